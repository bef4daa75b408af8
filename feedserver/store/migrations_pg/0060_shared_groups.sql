-- PostgreSQL port of migrations/0060_shared_groups.sql (see docs/architecture.md, "Two engines").
-- Groups shared with partner servers: a partnership's `groups` scope, on the hosting server
-- which partners a `partners` group is shared with and its remote members, and on a member
-- server the cached copy of a partner's group (its members here, its posts as received).

ALTER TABLE partner_invites ADD COLUMN groups BIGINT NOT NULL DEFAULT 0;  -- scope offered
ALTER TABLE partners ADD COLUMN groups BIGINT NOT NULL DEFAULT 0;         -- scope: share groups

-- Hosting side: a `partners` group names the partner servers it is shared with.
CREATE TABLE group_partners (
    group_id TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    host     TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    PRIMARY KEY (group_id, host)
);
CREATE INDEX group_partners_host ON group_partners(host);

-- Hosting side: members of a local group who live on a partner server (username@host).
CREATE TABLE remote_members (
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    host         TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    username     TEXT NOT NULL,               -- their username on `host`
    actor_id     TEXT NOT NULL,               -- as their server's WebFinger names it
    display_name TEXT NOT NULL DEFAULT '',
    role         TEXT NOT NULL CHECK (role IN ('owner', 'mentor', 'member')),
    joined_at    TEXT NOT NULL,
    PRIMARY KEY (group_id, host, username)
);
CREATE INDEX remote_members_host ON remote_members(host, group_id);

-- Hosting side: which partner servers hold a copy of a group (were sent it and not yet told
-- to delete it). Keyed by the group's actor id, not its row: a copy outlives nothing it
-- must be told about.
CREATE TABLE group_copies (
    group_actor TEXT NOT NULL,
    host        TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    PRIMARY KEY (group_actor, host)
);

-- Member side: a partner's group some of our members belong to, as its host last told us.
CREATE TABLE cached_groups (
    actor_id    TEXT PRIMARY KEY,             -- the Group actor on its host
    host        TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    name        TEXT NOT NULL,                -- its name on `host`; here it is name@host
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    version     BIGINT NOT NULL,             -- the host's change counter: only newer applies
    updated_at  TEXT NOT NULL,
    UNIQUE (host, name)
);

-- Member side: which of our members belong to a cached group, with their role there.
CREATE TABLE cached_group_members (
    group_actor TEXT NOT NULL REFERENCES cached_groups(actor_id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'mentor', 'member')),
    PRIMARY KEY (group_actor, member_id)
);
CREATE INDEX cached_group_members_member ON cached_group_members(member_id);

-- Member side: the group's posts as received (the signed object, proof inside, kept whole).
CREATE TABLE cached_posts (
    object_id   TEXT PRIMARY KEY,             -- the post's id on its host
    group_actor TEXT NOT NULL REFERENCES cached_groups(actor_id) ON DELETE CASCADE,
    parent_id   TEXT,                         -- inReplyTo: another cached post's object id
    kind        TEXT NOT NULL,
    author      TEXT NOT NULL,                -- username@host (or a local username)
    title       TEXT NOT NULL DEFAULT '',
    body_html   TEXT NOT NULL,
    tags        TEXT NOT NULL DEFAULT '',
    published   TEXT NOT NULL,
    updated     TEXT NOT NULL,                -- only a newer version replaces it
    object      TEXT NOT NULL
);
CREATE INDEX cached_posts_group ON cached_posts(group_actor, published);
