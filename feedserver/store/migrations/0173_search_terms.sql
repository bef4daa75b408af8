-- SQLite port of migrations_pg/0173_search_terms.sql: nothing to do (the statement below is
-- a placeholder). On PostgreSQL a table of lexemes, kept by a trigger, says which longer
-- words a typed prefix stands for; on SQLite FTS5's own term list does (0171).
SELECT 1;
