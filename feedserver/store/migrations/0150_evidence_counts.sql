-- What explains an expert's score, counted ahead: store/evidence_counts.py keeps these in step
-- with expertise_evidence in the transaction that writes or deletes it, so the directory sums
-- a few rows per listed member (kinds, groups, days) instead of reading all their evidence.
-- Readability is not stored: it is decided at read time by the access policy's scope over
-- group_id (and the group's current visibility) or, without a group, over the kind.

-- Per (topic, member, kind): every piece, and how many of those have no group.
CREATE TABLE evidence_kind_counts (
    topic     TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    n         INTEGER NOT NULL,
    groupless INTEGER NOT NULL,
    PRIMARY KEY (topic, member_id, kind)
) WITHOUT ROWID;

-- Per (topic, member, group): pieces from that group, and how many are work (not
-- endorsements: those are what an explanation names).
CREATE TABLE evidence_group_counts (
    topic     TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_id  TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    n         INTEGER NOT NULL,
    work      INTEGER NOT NULL,
    PRIMARY KEY (topic, member_id, group_id)
) WITHOUT ROWID;

-- Per (topic, member, UTC day of created_at, kind): "in the last N days" sums the days after
-- the first one; only that first, partial day is counted from the evidence itself.
CREATE TABLE evidence_day_counts (
    topic     TEXT NOT NULL,
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    kind      TEXT NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (topic, member_id, day, kind)
) WITHOUT ROWID;

-- The newest readable work of a member, group by group, when their newest evidence overall is
-- mostly in groups the viewer may not read (store/evidence_summary.py).
CREATE INDEX expertise_evidence_member_group
    ON expertise_evidence(topic, member_id, group_id, created_at);

INSERT INTO evidence_kind_counts (topic, member_id, kind, n, groupless)
    SELECT topic, member_id, kind, count(*), sum(CASE WHEN group_id IS NULL THEN 1 ELSE 0 END)
    FROM expertise_evidence GROUP BY topic, member_id, kind;
INSERT INTO evidence_group_counts (topic, member_id, group_id, n, work)
    SELECT topic, member_id, group_id, count(*),
           sum(CASE WHEN kind <> 'endorsement' THEN 1 ELSE 0 END)
    FROM expertise_evidence WHERE group_id IS NOT NULL GROUP BY topic, member_id, group_id;
INSERT INTO evidence_day_counts (topic, member_id, day, kind, n)
    SELECT topic, member_id, substr(created_at, 1, 10), kind, count(*)
    FROM expertise_evidence GROUP BY topic, member_id, substr(created_at, 1, 10), kind;
