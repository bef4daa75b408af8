-- PostgreSQL port of migrations/0188_partner_join_requests.sql (see docs/architecture.md, "Two engines").
-- Asking to join a shared group from a member server.

-- Hosting side: a partner's member (username@host) asked to join one of our shared groups
-- with a signed `Join`. Pending until an owner or mentor decides: approving makes them a
-- remote member and deletes the row; declining keeps it (`declined`, `decided_at`) for a
-- while, so the same person cannot ask again at once. Gone with the group or the partner.
CREATE TABLE partner_join_requests (
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    host         TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    username     TEXT NOT NULL,               -- their username on `host`
    actor_id     TEXT NOT NULL,               -- as their server's WebFinger names it
    activity_id  TEXT NOT NULL,               -- the Join: the Accept or Reject names it
    state        TEXT NOT NULL CHECK (state IN ('pending', 'declined')),
    requested_at TEXT NOT NULL,
    decided_at   TEXT,
    PRIMARY KEY (group_id, host, username)
);
CREATE INDEX partner_join_requests_host ON partner_join_requests(host, group_id);

-- Member side: what our members asked to join on partner servers, as they see it:
-- `pending` until the host answers (an Accept deletes the row: the copy follows),
-- `declined` by the group's owner or mentor, `refused` when the host would not take it.
CREATE TABLE partner_join_asks (
    member_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_actor TEXT NOT NULL,                -- the Group actor on its host
    host        TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    title       TEXT NOT NULL,
    activity_id TEXT NOT NULL UNIQUE,         -- our Join
    state       TEXT NOT NULL CHECK (state IN ('pending', 'declined', 'refused')),
    asked_at    TEXT NOT NULL,
    decided_at  TEXT,
    PRIMARY KEY (member_id, group_actor)
);
