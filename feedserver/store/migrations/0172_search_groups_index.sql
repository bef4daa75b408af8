-- SQLite port of migrations_pg/0172_search_groups_index.sql: nothing to do (the statement
-- below is a placeholder). On PostgreSQL, search reads older matches from a GIN index on
-- (group_id, search); FTS5 holds each post's group in its own `grp` column (0140).
SELECT 1;
