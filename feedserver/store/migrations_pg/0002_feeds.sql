-- PostgreSQL port of migrations/0002_feeds.sql (see docs/architecture.md, "Two engines").
-- Private Atom feeds: per-member feed secrets and a cheap version for feeds that span groups.

-- One secret per member. A feed token is key_id + HMAC-SHA256(secret, feed path), so a leaked
-- URL opens one feed; rotating replaces both columns and every old URL stops working.
-- key_id is random (not the member id) so the URL reveals nothing about who it belongs to.
CREATE TABLE feed_secrets (
    member_id  TEXT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    key_id     TEXT NOT NULL UNIQUE,
    secret     TEXT NOT NULL,              -- 32 random bytes, hex
    created_at TEXT NOT NULL
);

-- A global change counter. Whenever a group's version moves (by any code path: posts,
-- replies, edits, deletes, accepts, helpful marks, memberships, group edits), the group is
-- stamped with the next value of the counter. A feed over many groups (home, tag) then has
-- a version of max(feed_seq) over its groups plus their count: one indexed aggregate whose
-- cost grows with the member's groups, never with the posts. Every stamp is new, so the max
-- moves whenever any of those groups changes.
CREATE TABLE feed_clock (
    id  BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL
);
INSERT INTO feed_clock (id, seq) VALUES (1, 0);

ALTER TABLE groups ADD COLUMN feed_seq BIGINT NOT NULL DEFAULT 0;

-- The stamp, as SQLite's trigger gives it: every UPDATE that sets `version` takes the next
-- value of the clock (a trigger function, before the row is written).
CREATE FUNCTION groups_feed_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE feed_clock SET seq = seq + 1 WHERE id = 1 RETURNING seq INTO NEW.feed_seq;
    RETURN NEW;
END
$$;
CREATE TRIGGER groups_feed_seq BEFORE UPDATE OF version ON groups
    FOR EACH ROW EXECUTE FUNCTION groups_feed_seq();

-- Tombstones of a question's answers, for the thread feed.
CREATE INDEX tombstones_parent ON tombstones(parent_id, deleted_at);
