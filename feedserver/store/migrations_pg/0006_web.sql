-- PostgreSQL port of migrations/0006_web.sql (see docs/architecture.md, "Two engines").
-- Invitations: an admin creates a one-time link; whoever opens it first picks a username and
-- password and becomes a member. Web sessions reuse the `sessions` table (kind 'session'):
-- the browser holds the same kind of token an API client does, in an HttpOnly cookie.

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY,            -- time-ordered random id, safe to show and log
    token_hash  TEXT NOT NULL UNIQUE,        -- sha256 of the secret in the link; never stored plain
    note        TEXT NOT NULL DEFAULT '',    -- whom it is for, as the admin wrote it
    created_by  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    used_by     TEXT REFERENCES members(id) ON DELETE SET NULL,
    revoked_at  TEXT
);
CREATE INDEX invitations_created ON invitations(created_at);
