-- Members, sessions, groups, posts, revisions, helpful marks, tombstones and full-text search.
-- Times are UTC ISO-8601 strings of fixed width ('2026-01-02T03:04:05.123456Z'), so they sort.

CREATE TABLE members (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY,          -- sha256 of the bearer token; the token is never stored
    member_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('session', 'personal')),
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE INDEX sessions_member ON sessions(member_id);

CREATE TABLE groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    title       TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    visibility  TEXT NOT NULL CHECK (visibility IN ('private', 'org', 'partners')),
    created_at  TEXT NOT NULL,
    version     INTEGER NOT NULL DEFAULT 0  -- bumped by every change a feed or partner must see
);
CREATE INDEX groups_visibility ON groups(visibility);

CREATE TABLE memberships (
    group_id  TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('owner', 'mentor', 'member')),
    joined_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX memberships_member ON memberships(member_id, group_id);

CREATE TABLE join_requests (
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    member_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    requested_at TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);

CREATE TABLE posts (
    seq                INTEGER PRIMARY KEY,   -- rowid: links the full-text index, never exposed
    id                 TEXT NOT NULL UNIQUE,  -- time-ordered random id, the one in URLs
    group_id           TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    parent_id          TEXT REFERENCES posts(id) ON DELETE CASCADE,
    kind               TEXT NOT NULL CHECK (kind IN ('question', 'story', 'tip', 'note', 'answer', 'reply')),
    author_id          TEXT NOT NULL REFERENCES members(id),
    title              TEXT NOT NULL DEFAULT '',
    body               TEXT NOT NULL,
    body_html          TEXT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '',  -- space-separated normalized slugs
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL,
    revision           INTEGER NOT NULL DEFAULT 1,
    accepted_answer_id TEXT,
    helpful_count      INTEGER NOT NULL DEFAULT 0,
    reply_count        INTEGER NOT NULL DEFAULT 0
);
-- A group's timeline (top-level posts, newest first) and a thread's replies: both read by
-- index range, so a page costs the same at a thousand or a million posts.
CREATE INDEX posts_group_timeline ON posts(group_id, id) WHERE parent_id IS NULL;
CREATE INDEX posts_group_kind ON posts(group_id, kind, id) WHERE parent_id IS NULL;
CREATE INDEX posts_group_all ON posts(group_id, updated_at);
CREATE INDEX posts_parent ON posts(parent_id, id);
CREATE INDEX posts_author ON posts(author_id);

CREATE TABLE post_tags (
    tag      TEXT NOT NULL,
    post_id  TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    group_id TEXT NOT NULL,
    PRIMARY KEY (tag, post_id)
);
CREATE INDEX post_tags_group ON post_tags(group_id, tag, post_id);
CREATE INDEX post_tags_post ON post_tags(post_id);

CREATE TABLE post_revisions (
    post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL,
    editor_id  TEXT NOT NULL REFERENCES members(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, revision)
);

CREATE TABLE helpful_marks (
    post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, member_id)
);

-- What was deleted, for feeds (RFC 6721) and partners: no text is kept.
CREATE TABLE tombstones (
    post_id    TEXT PRIMARY KEY,
    group_id   TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    parent_id  TEXT,
    kind       TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
CREATE INDEX tombstones_group ON tombstones(group_id, deleted_at);

-- Full-text index over titles, bodies and tags; rowid = posts.seq. Triggers keep it in step
-- inside the post's own transaction, so it can never drift (and costs no extra round trip).
CREATE VIRTUAL TABLE posts_fts USING fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2');
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, body, tags) VALUES (new.seq, new.title, new.body, new.tags);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body, tags ON posts BEGIN
    UPDATE posts_fts SET title = new.title, body = new.body, tags = new.tags WHERE rowid = new.seq;
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    DELETE FROM posts_fts WHERE rowid = old.seq;
END;
