-- PostgreSQL port of migrations/0174_search_groups.sql (see docs/architecture.md, "Two engines"):
-- nothing to do (the statement below is a placeholder). On SQLite a table of (term, group),
-- kept by triggers through a scratch FTS5 table, says which groups hold a word; PostgreSQL's
-- search_terms (0173) holds the same pairs, kept from the posts' tsvector.
SELECT 1;
