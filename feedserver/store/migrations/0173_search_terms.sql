-- SQLite port of migrations_pg/0173_search_terms.sql: nothing to do (the statement below is
-- a placeholder). On PostgreSQL a table of (lexeme, group), kept by triggers, says which
-- longer words a typed prefix stands for and which groups hold a word; on SQLite FTS5's own
-- term list answers the first (0171), and the groups are matched inside the FTS5 query (0140).
SELECT 1;
