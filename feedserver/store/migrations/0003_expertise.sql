-- Expertise profiles, evidence and scores, question routing ("asks") and FAQ pages.

CREATE TABLE profiles (
    member_id      TEXT PRIMARY KEY REFERENCES members(id) ON DELETE CASCADE,
    headline       TEXT NOT NULL DEFAULT '',
    field          TEXT NOT NULL DEFAULT '',
    team           TEXT NOT NULL DEFAULT '',
    location       TEXT NOT NULL DEFAULT '',
    sharing        TEXT NOT NULL DEFAULT 'org' CHECK (sharing IN ('private', 'org', 'partners')),
    weekly_ask_cap INTEGER NOT NULL DEFAULT 5,
    updated_at     TEXT NOT NULL
);

CREATE TABLE profile_topics (
    member_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topic     TEXT NOT NULL,
    level     TEXT NOT NULL CHECK (level IN ('learning', 'practicing', 'expert')),
    PRIMARY KEY (member_id, topic)
);
-- "declared but not yet evidenced" members of a topic, by member id (directory's last phase).
CREATE INDEX profile_topics_topic ON profile_topics(topic, member_id);

CREATE TABLE endorsements (
    member_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topic       TEXT NOT NULL,
    endorser_id TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (member_id, topic, endorser_id)
);

-- One row per piece of evidence, recorded in the transaction of the action that caused it.
-- `value` = weight * 2^((created_at - epoch) / half_life): its contribution to the score at
-- the reference epoch, so removing the row subtracts exactly what adding it added.
CREATE TABLE expertise_evidence (
    id         INTEGER PRIMARY KEY,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topic      TEXT NOT NULL,
    kind       TEXT NOT NULL,             -- accepted_answer, helpful, story, tip, page_revision, endorsement, ...
    source_id  TEXT NOT NULL,             -- the answer, post, page or endorser that is the evidence
    root_id    TEXT NOT NULL,             -- thread root post or page whose tags give the topic
    group_id   TEXT REFERENCES groups(id) ON DELETE CASCADE,  -- NULL: not group-bound
    actor_id   TEXT NOT NULL DEFAULT '',  -- who marked helpful / endorsed ('' for none)
    value      REAL NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (kind, source_id, member_id, topic, actor_id)
);
CREATE INDEX expertise_evidence_member_topic ON expertise_evidence(topic, member_id, created_at);
CREATE INDEX expertise_evidence_root ON expertise_evidence(root_id);
CREATE INDEX expertise_evidence_source ON expertise_evidence(source_id);

-- Per (member, topic) aggregate kept in step with expertise_evidence. `score` is the decayed
-- score at the reference epoch; today's score is score * 2^(-(now - epoch) / half_life), the
-- same factor for every row, so the index order is the order of today's scores.
CREATE TABLE expertise_scores (
    member_id      TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topic          TEXT NOT NULL,
    score          REAL NOT NULL,
    evidence_count INTEGER NOT NULL,
    PRIMARY KEY (member_id, topic)
);
CREATE INDEX expertise_scores_rank ON expertise_scores(topic, score DESC, member_id);

-- The half-life and weights the stored values were computed with; a change rescales them once.
CREATE TABLE expertise_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- A question routed to an expert.
CREATE TABLE asks (
    post_id    TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    expert_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    asker_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (post_id, expert_id)
);
CREATE INDEX asks_expert ON asks(expert_id, created_at);

-- FAQ pages: one row per page (its current revision), every revision kept.
CREATE TABLE pages (
    seq            INTEGER PRIMARY KEY,     -- rowid: links pages_fts, never exposed
    id             TEXT NOT NULL UNIQUE,
    group_id       TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    slug           TEXT NOT NULL,
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    body_html      TEXT NOT NULL,
    tags           TEXT NOT NULL DEFAULT '',
    revision       INTEGER NOT NULL,
    locked         INTEGER NOT NULL DEFAULT 0,
    source_post_id TEXT,                     -- the question it was promoted from, if any
    created_by     TEXT NOT NULL REFERENCES members(id),
    updated_by     TEXT NOT NULL REFERENCES members(id),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (group_id, slug)
);
CREATE INDEX pages_group_updated ON pages(group_id, updated_at);
CREATE INDEX pages_source_post ON pages(source_post_id);

CREATE TABLE page_revisions (
    page_id    TEXT NOT NULL REFERENCES pages(id) ON DELETE CASCADE,
    revision   INTEGER NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    tags       TEXT NOT NULL,
    editor_id  TEXT NOT NULL REFERENCES members(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (page_id, revision)
);

CREATE VIRTUAL TABLE pages_fts USING fts5(title, body, tags, tokenize = 'unicode61 remove_diacritics 2');
