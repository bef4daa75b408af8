-- The full-text index also holds each post's group (column `grp`, one token: the group id), so
-- a search restricted to the groups a viewer reads is one index query: the scope is ANDed with
-- the words inside FTS5, and a viewer who reads none of the matches costs nothing. Searches
-- name the columns they look in ({title body tags}), so `grp` is never matched by user text.
DROP TRIGGER posts_fts_insert;
DROP TRIGGER posts_fts_update;
DROP TRIGGER posts_fts_delete;
DROP TABLE posts_fts;
CREATE VIRTUAL TABLE posts_fts USING fts5(title, body, tags, grp, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_fts (rowid, title, body, tags, grp) SELECT seq, title, body, tags, group_id FROM posts;
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts (rowid, title, body, tags, grp) VALUES (new.seq, new.title, new.body, new.tags, new.group_id);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF title, body, tags, group_id ON posts BEGIN
    UPDATE posts_fts SET title = new.title, body = new.body, tags = new.tags, grp = new.group_id WHERE rowid = new.seq;
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    DELETE FROM posts_fts WHERE rowid = old.seq;
END;
