-- Moderation: suspended and deleted members, and the audit log of admin actions.

-- A suspended member keeps their content but cannot log in; their tokens, sessions and feed
-- secret are deleted when they are suspended, and every token lookup also refuses them.
-- A deleted member's row stays (posts and revisions of others' pages point at it), renamed
-- and stripped of everything personal; deleted_at says so.
ALTER TABLE members ADD COLUMN suspended_at TEXT;
ALTER TABLE members ADD COLUMN deleted_at TEXT;

-- What an admin did, to whom, when: never a secret. `actor` is the admin's username at the
-- time (or 'cli' for the command line); `subject` the member's username at the time.
CREATE TABLE admin_audit (
    seq        INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
