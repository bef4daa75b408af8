-- FAQ pages by readers and by edits (domain/page_reads.py, domain/insight_tracking.py):
-- counts per page and UTC day, never who read. Readers are counted in memory, a member once
-- per page per day in each server process, and written in batches; edits in the transaction
-- of the revision. A report sums a period's rows of the scope's groups, by index.
CREATE TABLE insight_pages (
    page_id  TEXT NOT NULL,
    day      TEXT NOT NULL,              -- UTC 'YYYY-MM-DD'
    group_id TEXT NOT NULL,
    readers  INTEGER NOT NULL DEFAULT 0, -- distinct members who read it that day (see above)
    views    INTEGER NOT NULL DEFAULT 0, -- reads by members, repeats included
    edits    INTEGER NOT NULL DEFAULT 0, -- revisions saved that day
    PRIMARY KEY (page_id, day)
) WITHOUT ROWID;
CREATE INDEX insight_pages_group ON insight_pages(group_id, day);
