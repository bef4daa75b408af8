-- PostgreSQL port of migrations/0051_partner_object_order.sql (see docs/architecture.md, "Two engines").
-- The inbox applies only newer state of a partner's object: a captured Update replayed after
-- the Delete that superseded it (or after a newer Update) changes nothing. Each cached profile
-- keeps the time its partner stamped it with (`updated`, fixed-width UTC text; NULL for rows
-- cached before this migration: any stamped Update is newer), and a deleted object leaves a
-- tombstone with the time of its Delete, so an Update older than the Delete is refused too.
ALTER TABLE partner_profiles ADD COLUMN object_updated TEXT;

CREATE TABLE partner_tombstones (
    object_id  TEXT PRIMARY KEY,
    host       TEXT NOT NULL REFERENCES partners(host) ON DELETE CASCADE,
    deleted_at TEXT NOT NULL                 -- the Delete's `published`, as the partner stamped it
);
CREATE INDEX partner_tombstones_host ON partner_tombstones(host);
