-- PostgreSQL port of migrations/0180_copies_search.sql (see docs/architecture.md, "Two engines").
-- Member side: search over the copies of partners' groups (store/search_copies.py), like
-- our own posts' (0001): a tsvector PostgreSQL keeps itself (a generated column, so every
-- write and every cascaded delete keeps it in step) with a GIN index.
--
-- `body_text` is the post's text without its HTML, written by store/cached_groups.py with
-- every version of the post; rows held before this migration get theirs from their HTML here.
ALTER TABLE cached_posts ADD COLUMN body_text TEXT NOT NULL DEFAULT '';
UPDATE cached_posts SET body_text = regexp_replace(body_html, '<[^>]*>', ' ', 'g');
ALTER TABLE cached_posts ADD COLUMN search tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('feedserver'::regconfig, title), 'A')
    || setweight(to_tsvector('feedserver'::regconfig, tags), 'B')
    || setweight(to_tsvector('feedserver'::regconfig, body_text), 'C')
) STORED;
CREATE INDEX cached_posts_search ON cached_posts USING gin (search);
-- With btree_gin (migration 0172), the viewer's copies and the words in one index scan.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE INDEX IF NOT EXISTS cached_posts_group_search ON cached_posts
            USING gin (group_actor, search);
    END IF;
END
$$;
