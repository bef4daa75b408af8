-- PostgreSQL port of migrations/0192_cached_tombstones.sql (see docs/architecture.md, "Two engines").
-- Member side: a post of a partner's group its host deleted leaves a tombstone in the copy,
-- as a deleted post does in a group of ours: the copy's feed lists it as an RFC 6721
-- at:deleted-entry, so feed readers drop the entry. Only the object id, the thread it was
-- in and when: no text, no author. It goes with the copy (cascade), and keeps a late
-- relay of the deleted object from bringing it back.
CREATE TABLE cached_tombstones (
    object_id   TEXT PRIMARY KEY,             -- the deleted post's id on its host
    group_actor TEXT NOT NULL REFERENCES cached_groups(actor_id) ON DELETE CASCADE,
    parent_id   TEXT,                         -- the thread's object id (NULL: a thread)
    deleted_at  TEXT NOT NULL
);
CREATE INDEX cached_tombstones_group ON cached_tombstones(group_actor, deleted_at);
