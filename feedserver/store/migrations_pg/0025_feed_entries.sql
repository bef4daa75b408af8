-- PostgreSQL port of migrations/0025_feed_entries.sql (see docs/architecture.md, "Two engines").
-- Feeds: what a feed shows that the posts table does not say.

-- When a post's feed entry changed for a reason other than its own edit: it became, or
-- stopped being, the accepted answer. Its entry's `updated` is the later of this and the
-- post's updated_at, so a change of accepted answer never moves an entry backwards.
-- Written in the same transaction as the accept (store/feeds.py, called from domain/posts).
CREATE TABLE feed_entry_changes (
    post_id    TEXT PRIMARY KEY,
    changed_at TEXT NOT NULL
);

-- Answers accepted before this table existed keep the moment they were accepted.
INSERT INTO feed_entry_changes (post_id, changed_at)
    SELECT accepted_answer_id, updated_at FROM posts WHERE accepted_answer_id IS NOT NULL;

-- The tags a deleted top-level post carried, so a tag feed shows only its own tombstones.
-- Written in the same transaction as the delete.
CREATE TABLE tombstone_tags (
    tag        TEXT NOT NULL,
    post_id    TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    deleted_at TEXT NOT NULL,
    PRIMARY KEY (tag, deleted_at, post_id)
);

-- The feeds of answers and replies, of unanswered questions and of a member's activity read
-- one index range per group (or per author) from a cursor, like the group feed.
CREATE INDEX posts_group_replies ON posts(group_id, id) WHERE parent_id IS NOT NULL;
CREATE INDEX posts_group_unanswered ON posts(group_id, id)
    WHERE parent_id IS NULL AND kind = 'question' AND reply_count = 0;
CREATE INDEX posts_author_timeline ON posts(author_id, id);
