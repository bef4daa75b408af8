-- Learning insights (domain/insights*.py): aggregates kept in the write transactions, so a
-- report reads a few rows per day of its period and never the posts.

-- One row per question: the facts its contribution to insight_days was computed from, so an
-- answer, an accept, a retag or a deletion takes exactly that contribution back and adds the
-- new one. Read by the writers only, by key; never per report.
CREATE TABLE insight_questions (
    question_id     TEXT PRIMARY KEY,
    group_id        TEXT NOT NULL,
    asker_id        TEXT NOT NULL,
    tags            TEXT NOT NULL DEFAULT '',  -- space-separated, as on the post
    asked_at        TEXT NOT NULL,
    first_answer_at TEXT,
    accepted_at     TEXT
) WITHOUT ROWID;

-- A question routed to an expert and when that expert first answered it.
CREATE TABLE insight_asks (
    question_id TEXT NOT NULL,
    expert_id   TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    asked_at    TEXT NOT NULL,
    answered_at TEXT,
    PRIMARY KEY (question_id, expert_id)
) WITHOUT ROWID;
-- An expert's load this week, per group or for the whole server: a week of asks, by index.
CREATE INDEX insight_asks_group ON insight_asks(group_id, asked_at);
CREATE INDEX insight_asks_recent ON insight_asks(asked_at);

-- Figures per day. group_id '*' is the whole server; tag '' every question; subject '' the
-- group's figures, a member id that member's own (their questions, their answers).
-- Delays are histograms {"<bucket upper bound, seconds>": count}, bucketed by
-- domain/insights_buckets.py, so medians and p90s need no per-question rows.
CREATE TABLE insight_days (
    subject          TEXT NOT NULL,
    group_id         TEXT NOT NULL,
    tag              TEXT NOT NULL,
    day              TEXT NOT NULL,             -- UTC 'YYYY-MM-DD' the question was asked
    asked            INTEGER NOT NULL DEFAULT 0,
    answered         INTEGER NOT NULL DEFAULT 0,
    accepted         INTEGER NOT NULL DEFAULT 0,
    first_hist       TEXT NOT NULL DEFAULT '{}',  -- question to first answer
    accept_hist      TEXT NOT NULL DEFAULT '{}',  -- question to accepted answer
    routed           INTEGER NOT NULL DEFAULT 0,  -- asks made this day
    routed_answered  INTEGER NOT NULL DEFAULT 0,  -- of those, answered by the person asked
    routed_hist      TEXT NOT NULL DEFAULT '{}',  -- ask to that person's answer
    answers_given    INTEGER NOT NULL DEFAULT 0,  -- answers written this day
    answers_accepted INTEGER NOT NULL DEFAULT 0,  -- of those, accepted
    helpful          INTEGER NOT NULL DEFAULT 0,  -- helpful marks on those answers
    page_edits       INTEGER NOT NULL DEFAULT 0,  -- FAQ page revisions this day
    PRIMARY KEY (subject, group_id, tag, day)
) WITHOUT ROWID;
-- Every tag of a scope over a period (knowledge gaps), by day range.
CREATE INDEX insight_days_by_day ON insight_days(subject, group_id, day, tag);

-- Searches and "who knows" look-ups that found nothing: counts per normalized term and UTC
-- week, never who searched or when. While a week is open, `sketch` is a 256-bit map of
-- HMAC(week salt, member id) mod 256: its population count is a lower bound of the distinct
-- members (collisions only lower it), so the k-anonymity threshold is never overstated. When
-- the week closes the sketch and the salt are dropped and only the count stays.
CREATE TABLE insight_search_misses (
    week     TEXT NOT NULL,             -- the Monday, 'YYYY-MM-DD'
    term     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('search', 'experts')),
    searches INTEGER NOT NULL,
    members  INTEGER NOT NULL,          -- distinct members, at least (see above)
    sketch   BLOB,                      -- NULL once the week closed
    PRIMARY KEY (week, term, kind)
) WITHOUT ROWID;

CREATE TABLE insight_salts (
    week TEXT PRIMARY KEY,
    salt BLOB NOT NULL
) WITHOUT ROWID;
