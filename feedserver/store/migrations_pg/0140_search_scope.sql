-- PostgreSQL port of migrations/0140_search_scope.sql (see docs/architecture.md, "Two engines"):
-- nothing to do (the statement below is a placeholder). On SQLite the FTS5 index gained a `grp` column so that the viewer's
-- groups are matched inside the FTS5 query. PostgreSQL's search (store/search_pg.py) has no
-- separate index table: the tsvector is a generated column of `posts` itself (0001), so the
-- query already filters on `posts.group_id` in the same statement and the planner combines
-- the GIN index with the group condition. There is nothing to add; the file keeps the two
-- engines' migration numbers equal (tests/test_engines.py).
SELECT 1;
