-- PostgreSQL port of migrations/0011_replay_cache_by_created.sql (see docs/architecture.md, "Two engines").
-- The replay cache, keyed by the signature's own `created` (seconds) before its hash. Keyed
-- by the hash alone, every delivery wrote one more random leaf of that b-tree (a page in the
-- WAL per delivery in a group commit) and an index entry by expiry. Keyed by `created`, which
-- is within minutes of now, new rows land together at the right edge, and pruning is a range
-- at the left: no second index. A replay carries the same `created` (it is signed), so it
-- meets the same key.
CREATE TABLE seen_signatures_by_created (
    created        BIGINT NOT NULL,  -- the signature's `created` parameter, Unix seconds
    signature_hash BYTEA NOT NULL,     -- sha-256 of the signature bytes
    PRIMARY KEY (created, signature_hash)
);
-- Rows from before this migration know their expiry, not their `created`: they are dropped.
-- For the minutes until they would have expired, a replay of one of those requests is still
-- refused from applying twice by its activity id (recorded for days, inbox_activities).
DROP TABLE seen_signatures;
ALTER TABLE seen_signatures_by_created RENAME TO seen_signatures;
