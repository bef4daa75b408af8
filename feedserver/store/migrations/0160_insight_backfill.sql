-- Insight figures for what was written before migration 0100 (domain/insight_backfill.py):
-- one row saying where history ends and how far its rebuild got, so it runs once and resumes
-- after a crash. History is every post and page this database already held when this
-- migration ran (by seq) that was also older than 0100 (by time): 0100 and 0160 normally
-- run together, and a database that had 0100 before tracked what came after it.
CREATE TABLE insight_backfill (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    tracked_from TEXT NOT NULL,              -- when 0100 ran, as rows.ts text
    last_post    INTEGER NOT NULL,           -- the newest posts.seq of history
    last_page    INTEGER NOT NULL,           -- the newest pages.seq of history
    next_post    INTEGER NOT NULL DEFAULT 0, -- questions up to this seq are done
    done_at      TEXT                        -- set once: the backfill never runs again
);
INSERT INTO insight_backfill (id, tracked_from, last_post, last_page)
SELECT 1, replace(m.applied_at, ' ', 'T') || '.000000Z',
       (SELECT coalesce(max(seq), 0) FROM posts), (SELECT coalesce(max(seq), 0) FROM pages)
FROM schema_migrations m WHERE m.version = 100;
