-- Which terms each group's posts hold (term, group_id), for search (store/search.py): only
-- the viewer's groups that hold every word are searched, so a word common only in groups the
-- viewer cannot read costs a few lookups here, not FTS5's intersection of the word's rows
-- with the viewer's groups' `grp` rows (~50 ms for a word in a third of the posts at a
-- million posts, empty only at its end).
-- FTS5 tokenizes; SQL cannot. So a trigger writes the post's text into a scratch FTS5 table
-- (contentless, the same tokenizer as posts_fts), reads its terms back through fts5vocab,
-- and empties it again ('delete-all'), all in the post's write transaction (~55 us a post).
-- Pairs of deleted or moved posts stay: a group that no longer holds a word is searched
-- for it and found empty (a lookup more, never a wrong row).
CREATE TABLE posts_fts_groups (
    term     TEXT NOT NULL,
    group_id TEXT NOT NULL,
    PRIMARY KEY (term, group_id)
) WITHOUT ROWID;
CREATE VIRTUAL TABLE posts_fts_scratch USING fts5(title, body, tags, content = '', tokenize = 'unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE posts_fts_scratch_terms USING fts5vocab(posts_fts_scratch, row);
INSERT OR IGNORE INTO posts_fts_groups (term, group_id)
    SELECT DISTINCT v.term, p.group_id FROM posts_fts_terms v JOIN posts p ON p.seq = v.doc
    WHERE v.col IN ('title', 'body', 'tags');
CREATE TRIGGER posts_fts_groups_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts_scratch (rowid, title, body, tags) VALUES (new.seq, new.title, new.body, new.tags);
    INSERT OR IGNORE INTO posts_fts_groups (term, group_id) SELECT term, new.group_id FROM posts_fts_scratch_terms;
    INSERT INTO posts_fts_scratch (posts_fts_scratch) VALUES ('delete-all');
END;
CREATE TRIGGER posts_fts_groups_update AFTER UPDATE OF title, body, tags, group_id ON posts BEGIN
    INSERT INTO posts_fts_scratch (rowid, title, body, tags) VALUES (new.seq, new.title, new.body, new.tags);
    INSERT OR IGNORE INTO posts_fts_groups (term, group_id) SELECT term, new.group_id FROM posts_fts_scratch_terms;
    INSERT INTO posts_fts_scratch (posts_fts_scratch) VALUES ('delete-all');
END;
