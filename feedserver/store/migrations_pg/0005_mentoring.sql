-- PostgreSQL port of migrations/0005_mentoring.sql (see docs/architecture.md, "Two engines").
-- Mentoring programs: programs, enrolment, proposals under review, published
-- pairings and the cohort group each mentor oversees.

CREATE TABLE programs (
    id               TEXT PRIMARY KEY,          -- time-ordered random id (the one in URLs)
    name             TEXT NOT NULL,
    description      TEXT NOT NULL DEFAULT '',
    enrol_opens_at   TEXT,                      -- NULL: open from creation
    enrol_closes_at  TEXT,                      -- NULL: never closes
    default_capacity BIGINT NOT NULL CHECK (default_capacity BETWEEN 1 AND 50),
    weights          TEXT NOT NULL,             -- JSON object of matching.Weights fields
    exclude_reporting_line BIGINT NOT NULL DEFAULT 0,
    created_by       TEXT NOT NULL REFERENCES members(id),
    created_at       TEXT NOT NULL
);

-- Who runs a program besides admins: sees proposals and reports, matches and publishes.
CREATE TABLE program_owners (
    program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    member_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    PRIMARY KEY (program_id, member_id)
);
CREATE INDEX program_owners_member ON program_owners(member_id);

CREATE TABLE program_mentors (
    program_id  TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    topics      TEXT NOT NULL DEFAULT '',      -- space-separated tags the mentor offers
    capacity    BIGINT NOT NULL CHECK (capacity BETWEEN 0 AND 50),
    manager_id  TEXT REFERENCES members(id) ON DELETE SET NULL,
    enrolled_at TEXT NOT NULL,
    PRIMARY KEY (program_id, member_id)
);

CREATE TABLE program_mentees (
    program_id  TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    goals       TEXT NOT NULL,                  -- space-separated tags, most important first
    same_team   TEXT NOT NULL CHECK (same_team IN ('prefer', 'avoid', 'any')),
    priority    TEXT NOT NULL CHECK (priority IN ('expertise', 'team', 'balanced')),
    avoid       TEXT NOT NULL DEFAULT '',       -- space-separated member ids never to pair with
    manager_id  TEXT REFERENCES members(id) ON DELETE SET NULL,
    enrolled_at TEXT NOT NULL,
    PRIMARY KEY (program_id, member_id)
);

-- A proposal is stored for review; `draft` until published or superseded by a newer one.
CREATE TABLE program_proposals (
    id          TEXT PRIMARY KEY,
    program_id  TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    created_by  TEXT NOT NULL REFERENCES members(id),
    created_at  TEXT NOT NULL
);
CREATE INDEX program_proposals_program ON program_proposals(program_id, status);

-- One row per mentee in a proposal: a pair (mentor_id set) or an unmatched mentee (reason).
CREATE TABLE proposal_entries (
    proposal_id TEXT NOT NULL REFERENCES program_proposals(id) ON DELETE CASCADE,
    mentee_id   TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    mentor_id   TEXT REFERENCES members(id) ON DELETE CASCADE,
    score       DOUBLE PRECISION NOT NULL DEFAULT 0,
    reasons     TEXT NOT NULL DEFAULT '[]',     -- JSON list of sentences
    PRIMARY KEY (proposal_id, mentee_id)
);

-- The private group a mentor oversees in a program; later publications join it.
CREATE TABLE mentoring_cohorts (
    program_id TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    mentor_id  TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_id   TEXT NOT NULL UNIQUE REFERENCES groups(id) ON DELETE CASCADE,
    created_at TEXT NOT NULL,
    PRIMARY KEY (program_id, mentor_id)
);

CREATE TABLE mentoring_pairings (
    id           TEXT PRIMARY KEY,
    program_id   TEXT NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    mentor_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    mentee_id    TEXT NOT NULL REFERENCES members(id) ON DELETE CASCADE,
    group_id     TEXT NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    score        DOUBLE PRECISION NOT NULL,
    reasons      TEXT NOT NULL DEFAULT '[]',
    status       TEXT NOT NULL CHECK (status IN ('active', 'completed', 'ended', 'rematch')),
    created_at   TEXT NOT NULL,
    closed_at    TEXT,
    close_note   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mentoring_pairings_program ON mentoring_pairings(program_id, status);
CREATE INDEX mentoring_pairings_mentee ON mentoring_pairings(mentee_id, program_id);
CREATE INDEX mentoring_pairings_mentor ON mentoring_pairings(mentor_id, program_id, status);
-- At most one live pairing per mentee and program, enforced by the database itself.
CREATE UNIQUE INDEX mentoring_pairings_one_active ON mentoring_pairings(program_id, mentee_id)
    WHERE status = 'active';
