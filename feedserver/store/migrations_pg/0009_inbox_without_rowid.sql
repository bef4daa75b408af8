-- PostgreSQL port of migrations/0009_inbox_without_rowid.sql (see docs/architecture.md, "Two engines").
-- The inbox inserts one row into each of these tables per delivery, keyed by text. As rowid
-- tables they store every key twice (the table and its primary-key index), so every insert
-- writes two b-trees; WITHOUT ROWID stores each row once, in key order.
CREATE TABLE seen_signatures_keyed (
    signature_hash TEXT PRIMARY KEY,
    expires_at     TEXT NOT NULL
);
INSERT INTO seen_signatures_keyed SELECT signature_hash, expires_at FROM seen_signatures;
DROP TABLE seen_signatures;
ALTER TABLE seen_signatures_keyed RENAME TO seen_signatures;
CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);

CREATE TABLE inbox_activities_keyed (
    activity_id TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at TEXT NOT NULL
);
INSERT INTO inbox_activities_keyed SELECT activity_id, host, type, received_at FROM inbox_activities;
DROP TABLE inbox_activities;
ALTER TABLE inbox_activities_keyed RENAME TO inbox_activities;
