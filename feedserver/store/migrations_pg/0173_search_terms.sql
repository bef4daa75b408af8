-- Which lexemes each group's posts hold (group_id, lexeme), in byte order of lexeme, for
-- search (store/search_pg.py):
-- - a typed prefix is read as the few longer lexemes it stands for, since a prefix
--   (`'word':*`) is a partial match that collects every row of every such lexeme before the
--   query runs (in the group index, once per group: ~1 s for a word in a third of the posts
--   at a million posts);
-- - only the viewer's groups that hold every word are searched, so a word common only in
--   groups the viewer cannot read costs a few lookups here, not an index intersection.
-- Kept by triggers in the posts' write transaction, adding only pairs not yet held. No unique
-- constraint on purpose: two transactions adding the same new pair never wait on each other
-- (and so never deadlock); a pair held twice is read twice, to no effect. Pairs of deleted or
-- moved posts stay: a group that no longer holds a word is searched for it and found empty
-- (a lookup more, never a wrong row: the posts themselves are always matched).
CREATE TABLE search_terms (
    lexeme   TEXT COLLATE "C" NOT NULL,
    group_id TEXT NOT NULL
);
INSERT INTO search_terms (lexeme, group_id)
    SELECT DISTINCT t.lexeme, p.group_id
    FROM posts p, unnest(tsvector_to_array(p.search)) AS t(lexeme);
CREATE INDEX search_terms_lexeme ON search_terms (lexeme, group_id);
CREATE FUNCTION search_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (lexeme, group_id)
        SELECT DISTINCT t.lexeme, w.group_id
        FROM written w, unnest(tsvector_to_array(w.search)) AS t(lexeme)
        WHERE NOT EXISTS (
            SELECT 1 FROM search_terms s WHERE s.lexeme = t.lexeme AND s.group_id = w.group_id
        );
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_search_terms_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add();
CREATE FUNCTION search_terms_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (lexeme, group_id)
        SELECT DISTINCT t.lexeme, NEW.group_id
        FROM unnest(tsvector_to_array(NEW.search)) AS t(lexeme)
        WHERE NOT EXISTS (
            SELECT 1 FROM search_terms s WHERE s.lexeme = t.lexeme AND s.group_id = NEW.group_id
        );
    RETURN NULL;
END
$$;
-- Only an edit of the text or a move to another group (not a count's update) brings pairs.
CREATE TRIGGER posts_search_terms_update AFTER UPDATE OF title, body, tags, group_id ON posts
    FOR EACH ROW EXECUTE FUNCTION search_terms_edit();
