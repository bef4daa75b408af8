-- The full-text index's list of terms (fts5vocab, one row per instance; it stores nothing
-- itself). Search looks up the few longer words a typed prefix stands for and reads them as
-- whole words, newest first: FTS5 builds a prefix's whole list of rows before it yields
-- one (~100-180 ms for a prefix of a word in every post at a million posts). The `instance`
-- kind yields its first row without counting the term's rows, so a lookup is one seek.
CREATE VIRTUAL TABLE posts_fts_terms USING fts5vocab(posts_fts, instance);
