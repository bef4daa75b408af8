-- PostgreSQL port of migrations/0004_federation.sql (see docs/architecture.md, "Two engines").
-- Federation: the server's keys, partners and their pinned keys, one-time invites, the
-- inbox's replay cache and applied activity ids, the durable delivery queue, the signed
-- ActivityStreams form of each post (object proof made once), and partners' shared profiles.

-- Public halves only: the private keys live in files under data_dir/keys (mode 0600).
CREATE TABLE server_keys (
    name             TEXT PRIMARY KEY,          -- key id fragment: {base}/actor#{name}
    public_multibase TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    expires_at       TEXT                       -- set when rotated out; still published until then
);

CREATE TABLE partner_invites (
    secret_hash TEXT PRIMARY KEY,               -- sha256 of the secret; the secret is never stored
    profiles    BIGINT NOT NULL DEFAULT 0,     -- scope offered: share expertise profiles
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE partners (
    host            TEXT PRIMARY KEY,           -- authority of base_url, e.g. example.org:443
    base_url        TEXT NOT NULL,
    actor_id        TEXT NOT NULL,
    inbox_url       TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',   -- the organization's name
    profiles        BIGINT NOT NULL DEFAULT 0, -- scope: exchange expertise profiles
    created_at      TEXT NOT NULL,
    failures        BIGINT NOT NULL DEFAULT 0, -- consecutive failed deliveries
    paused_until    TEXT,
    last_success_at TEXT,
    last_error      TEXT
);

CREATE TABLE partner_keys (
    key_id           TEXT PRIMARY KEY,          -- the partner's full key id URL
    host             TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    public_multibase TEXT NOT NULL,
    pinned_at        TEXT NOT NULL,
    expires_at       TEXT
);
CREATE INDEX partner_keys_host ON partner_keys(host);

-- Replay cache: a signature is accepted once; rows are pruned after the signature window.
CREATE TABLE seen_signatures (
    signature_hash TEXT PRIMARY KEY,
    expires_at     TEXT NOT NULL
);
CREATE INDEX seen_signatures_expiry ON seen_signatures(expires_at);

-- The inbox is idempotent: an activity id is applied once.
CREATE TABLE inbox_activities (
    activity_id TEXT PRIMARY KEY,
    host        TEXT NOT NULL,
    type        TEXT NOT NULL,
    received_at TEXT NOT NULL
);

-- One row per receiving server and activity.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    host            TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    activity_id     TEXT NOT NULL,
    body            TEXT NOT NULL,              -- the exact JSON sent (signed objects inside)
    key_name        TEXT,                       -- sign with this server key (rotation); NULL: current
    state           TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    locked_until    TEXT,
    last_status     BIGINT,
    last_error      TEXT,
    UNIQUE (host, activity_id)
);
CREATE INDEX deliveries_due ON deliveries(state, next_attempt_at);

-- The signed ActivityStreams object of each post and reply (FEP-8b32 proof inside).
CREATE TABLE post_objects (
    post_id TEXT PRIMARY KEY REFERENCES posts(id) ON DELETE CASCADE,
    object  TEXT NOT NULL
);

-- The signed ActivityStreams `Article` of each FAQ page's current revision.
CREATE TABLE page_objects (
    page_id TEXT PRIMARY KEY REFERENCES pages(id) ON DELETE CASCADE,
    object  TEXT NOT NULL
);

-- Partners' shared expertise profiles, as received (proof inside); gone with the partner.
CREATE TABLE partner_profiles (
    object_id  TEXT PRIMARY KEY,
    host       TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    actor_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    summary    TEXT NOT NULL DEFAULT '',
    topics     TEXT NOT NULL DEFAULT '',        -- space-separated topic slugs
    object     TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX partner_profiles_host ON partner_profiles(host);
