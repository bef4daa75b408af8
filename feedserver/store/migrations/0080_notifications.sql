-- Notifications in the app and by email, with the mail outbox they feed.

-- The address mail goes to: set by an admin (used at once) or confirmed by its owner.
ALTER TABLE members ADD COLUMN email TEXT;

-- An address a member gave themselves, used only once its link was opened (the link is
-- signed with the member's feed secret over the address, so no token is stored).
CREATE TABLE email_confirmations (
    member_id  TEXT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    email      TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- An address an admin gave with the invitation: the member who accepts it gets it at once.
ALTER TABLE invitations ADD COLUMN email TEXT;

-- One row per thing a member should hear about. Rows are written in the transaction of the
-- event that caused them, only for someone who may read it then; every read filters through
-- the access policy again (group_id), so a member who loses access sees nothing of it.
CREATE TABLE notifications (
    seq        INTEGER PRIMARY KEY,               -- newest first, the paging cursor
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    group_id   TEXT REFERENCES groups(id) ON DELETE CASCADE,  -- NULL: not about a group
    post_id    TEXT REFERENCES posts(id) ON DELETE CASCADE,   -- the post it is about
    thread_id  TEXT REFERENCES posts(id) ON DELETE CASCADE,   -- its thread's first post
    actor_id   TEXT REFERENCES members(id) ON DELETE SET NULL,
    subject    TEXT NOT NULL DEFAULT '',         -- a page's slug, a program's name...
    count      INTEGER NOT NULL DEFAULT 1,       -- batched kinds (helpful): how many
    created_at TEXT NOT NULL,
    read_at    TEXT,
    digest     INTEGER NOT NULL DEFAULT 0        -- 1: waiting for the member's daily digest
);
CREATE INDEX notifications_member ON notifications(member_id, seq);
CREATE INDEX notifications_unread ON notifications(member_id) WHERE read_at IS NULL;
CREATE INDEX notifications_post ON notifications(post_id);
CREATE INDEX notifications_thread ON notifications(thread_id);
CREATE INDEX notifications_digest ON notifications(member_id) WHERE digest = 1;

-- Per member and group: watching (every new post), normal (what involves me), muted.
CREATE TABLE notification_levels (
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    level     TEXT NOT NULL CHECK (level IN ('watching', 'normal', 'muted')),
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;

-- Per member: how mail comes. No row means 'immediately'.
CREATE TABLE notification_prefs (
    member_id      TEXT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    email_mode     TEXT NOT NULL CHECK (email_mode IN ('immediately', 'digest', 'never')),
    last_digest_at TEXT NOT NULL                 -- the daily digest counts from here
);

-- Mail to send, written in the event's transaction; the sender claims a row (a lease) before
-- it talks to the SMTP server and marks it sent after, so a crash between the two sends it
-- again once when the lease ends, and a crash before loses nothing.
CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    member_id       TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('notification', 'digest', 'confirm')),
    items           TEXT NOT NULL,               -- notification seqs, space-separated (confirm: '')
    state           TEXT NOT NULL DEFAULT 'queued'
                    CHECK (state IN ('queued', 'sending', 'sent', 'failed', 'dropped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox(state, next_attempt_at);
