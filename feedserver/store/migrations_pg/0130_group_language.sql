-- PostgreSQL port of migrations/0130_group_language.sql (see docs/architecture.md, "Two engines").
-- A group's language (a BCP 47 tag such as fr or pt-BR): the xml:lang of its feeds. Empty
-- means the server's feed_language setting.
ALTER TABLE groups ADD COLUMN language TEXT NOT NULL DEFAULT '';
