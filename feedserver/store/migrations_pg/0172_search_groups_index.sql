-- Search reads older matches from a GIN index on (group_id, search), so that only matches in
-- the viewer's groups are read (store/search_pg.py): a word common in groups the viewer
-- cannot read costs the matches they can read, not every post holding it. A GIN index over a
-- text column needs the btree_gin extension (PostgreSQL's contrib, in Debian's postgresql
-- package; "trusted", so a role with CREATE on the database may add it). Without it search
-- still works and stays exact, reading the older matches from posts_search and dropping
-- those of other groups; an operator adds it later with the two statements below.
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gin;
EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'btree_gin is not available (%): search reads older matches without the group index (see migration 0172)', SQLERRM;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'btree_gin') THEN
        CREATE INDEX IF NOT EXISTS posts_group_search ON posts USING gin (group_id, search);
    END IF;
END
$$;
