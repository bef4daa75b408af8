-- Every lexeme the posts' search column holds, in byte order: search reads a typed prefix as
-- the few longer words it stands for (store/search_pg.py), since a prefix (`'word':*`) is a
-- partial match that collects every row of every such lexeme before the query runs (in the
-- group index, once per group: ~1 s for a word in a third of the posts at a million posts).
-- Kept by a trigger in the posts' write transaction, adding only lexemes it does not hold.
-- No unique constraint on purpose: two transactions adding the same new lexeme never wait
-- on each other (and so never deadlock); a lexeme held twice is read once. Lexemes of
-- deleted posts stay: one that matches nothing more costs a lookup, never a wrong row.
CREATE TABLE search_terms (lexeme TEXT COLLATE "C" NOT NULL);
CREATE INDEX search_terms_lexeme ON search_terms (lexeme);
INSERT INTO search_terms (lexeme)
    SELECT DISTINCT t.lexeme FROM posts, unnest(tsvector_to_array(posts.search)) AS t(lexeme);
CREATE FUNCTION search_terms_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (lexeme)
        SELECT DISTINCT t.lexeme
        FROM written, unnest(tsvector_to_array(written.search)) AS t(lexeme)
        WHERE NOT EXISTS (SELECT 1 FROM search_terms s WHERE s.lexeme = t.lexeme);
    RETURN NULL;
END
$$;
CREATE TRIGGER posts_search_terms_insert AFTER INSERT ON posts
    REFERENCING NEW TABLE AS written FOR EACH STATEMENT EXECUTE FUNCTION search_terms_add();
CREATE FUNCTION search_terms_edit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO search_terms (lexeme)
        SELECT DISTINCT t.lexeme FROM unnest(tsvector_to_array(NEW.search)) AS t(lexeme)
        WHERE NOT EXISTS (SELECT 1 FROM search_terms s WHERE s.lexeme = t.lexeme);
    RETURN NULL;
END
$$;
-- Only an edit of the text (not a count's update) can bring new lexemes.
CREATE TRIGGER posts_search_terms_update AFTER UPDATE OF title, body, tags ON posts
    FOR EACH ROW EXECUTE FUNCTION search_terms_edit();
