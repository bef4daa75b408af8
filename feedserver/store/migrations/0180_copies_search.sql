-- Member side: search over the copies of partners' groups (store/search_copies.py), like
-- our own posts' (0140): an FTS5 table of each cached post's title, text and tags.
--
-- `body_text` is the post's text without its HTML, written by store/cached_groups.py with
-- every version of the post (the index holds words, not markup). Rows held before this
-- migration get their HTML as it is (tags read as words) until their host's next version.
ALTER TABLE cached_posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
UPDATE cached_posts SET body_text = body_html;
-- FTS5 rows need an integer rowid that never changes, and cached_posts has none of its own
-- (its key is the object id; an implicit rowid may be renumbered by VACUUM). So each post's
-- index row number lives here, and it says which copy the post is of: copy number n holds
-- the row numbers above n << 32 and below (n + 1) << 32, each copy's newest last. A search
-- of the viewer's copies reads each one's range of the index (FTS5 seeks to a rowid range
-- in every word's list), so a word common in copies the viewer cannot read costs nothing
-- (an AND with a column naming the copy would walk that word's every row).
CREATE TABLE cached_groups_keys (
    n        INTEGER PRIMARY KEY,
    actor_id TEXT NOT NULL UNIQUE
);
CREATE TABLE cached_posts_keys (
    seq       INTEGER PRIMARY KEY,
    object_id TEXT NOT NULL UNIQUE
);
CREATE VIRTUAL TABLE cached_posts_fts USING fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO cached_groups_keys (actor_id) SELECT actor_id FROM cached_groups ORDER BY actor_id;
INSERT INTO cached_posts_keys (seq, object_id)
    SELECT (g.n << 32) + row_number() OVER (
        PARTITION BY c.group_actor ORDER BY c.published, c.object_id), c.object_id
    FROM cached_posts c JOIN cached_groups_keys g ON g.actor_id = c.group_actor;
INSERT INTO cached_posts_fts (rowid, title, body, tags)
    SELECT k.seq, c.title, c.body_text, c.tags
    FROM cached_posts c JOIN cached_posts_keys k ON k.object_id = c.object_id;
-- Kept in the write's own transaction by triggers, whatever deletes the row: a Delete of the
-- post, the copy deleted (ON DELETE CASCADE from cached_groups), the partnership ended
-- (cascade from partners through cached_groups), the writer's account deleted. SQLite runs a
-- table's delete triggers for the rows a foreign key's cascade deletes; FTS5 tables
-- themselves have no foreign keys, which is why the triggers are needed. (A post never moves
-- to another copy: store/cached_groups.put_post keeps its group.)
CREATE TRIGGER cached_groups_keys_insert AFTER INSERT ON cached_groups BEGIN
    INSERT OR IGNORE INTO cached_groups_keys (actor_id) VALUES (new.actor_id);
END;
CREATE TRIGGER cached_groups_keys_delete AFTER DELETE ON cached_groups BEGIN
    DELETE FROM cached_groups_keys WHERE actor_id = old.actor_id;
END;
CREATE TRIGGER cached_posts_fts_insert AFTER INSERT ON cached_posts BEGIN
    INSERT INTO cached_posts_keys (seq, object_id) SELECT coalesce(
        (SELECT k.seq FROM cached_posts_keys k
         WHERE k.seq > (g.n << 32) AND k.seq < ((g.n + 1) << 32) ORDER BY k.seq DESC LIMIT 1),
        g.n << 32) + 1, new.object_id
    FROM cached_groups_keys g WHERE g.actor_id = new.group_actor;
    INSERT INTO cached_posts_fts (rowid, title, body, tags) VALUES (
        (SELECT seq FROM cached_posts_keys WHERE object_id = new.object_id),
        new.title, new.body_text, new.tags);
END;
CREATE TRIGGER cached_posts_fts_update AFTER UPDATE OF title, body_text, tags ON cached_posts BEGIN
    UPDATE cached_posts_fts SET title = new.title, body = new.body_text, tags = new.tags
    WHERE rowid = (SELECT seq FROM cached_posts_keys WHERE object_id = new.object_id);
END;
CREATE TRIGGER cached_posts_fts_delete AFTER DELETE ON cached_posts BEGIN
    DELETE FROM cached_posts_fts
    WHERE rowid = (SELECT seq FROM cached_posts_keys WHERE object_id = old.object_id);
    DELETE FROM cached_posts_keys WHERE object_id = old.object_id;
END;
