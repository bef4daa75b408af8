-- PostgreSQL port of migrations/0171_search_terms.sql (see docs/architecture.md, "Two engines"):
-- nothing to do (the statement below is a placeholder). On SQLite, search looks up the longer
-- words a typed prefix stands for in FTS5's term list, since an FTS5 prefix query builds its
-- whole list of rows first. PostgreSQL's prefix (`to_tsquery('word':*)`) is a partial match
-- in the GIN index, whose costs are store/search_pg.py's; there is no term list to add.
SELECT 1;
