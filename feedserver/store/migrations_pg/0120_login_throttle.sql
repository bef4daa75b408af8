-- PostgreSQL port of migrations/0120_login_throttle.sql (see docs/architecture.md, "Two engines").
-- The login throttle's memory, shared by every server process (serve --workers N): failed
-- logins per key, and the account-and-address pairs that logged in successfully. Keys are
-- digests ("user:", "addr:" or "pair:" and the name and address, hashed): the throttle only
-- compares them. Rows older than the throttle's window (failures) or 30 days (pairs) are
-- deleted as new ones are written.
CREATE TABLE login_failures (
    key_hash   TEXT NOT NULL,
    at         DOUBLE PRECISION NOT NULL  -- Unix seconds
);
CREATE INDEX login_failures_by_key ON login_failures (key_hash, at);
CREATE INDEX login_failures_by_at ON login_failures (at);

CREATE TABLE login_known_pairs (
    pair_hash  TEXT PRIMARY KEY,
    since      DOUBLE PRECISION NOT NULL  -- Unix seconds of the pair's last successful login
);
CREATE INDEX login_known_pairs_by_since ON login_known_pairs (since);
