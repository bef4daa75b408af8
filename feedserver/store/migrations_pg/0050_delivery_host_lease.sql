-- PostgreSQL port of migrations/0050_delivery_host_lease.sql (see docs/architecture.md, "Two engines").
-- One delivery run per receiving host, whatever process runs it: a run holds its host's lease
-- (taken in the claim's write transaction, released when the run ends, or expired when its
-- process died) and no other run claims that host meanwhile. A lease on the queue's head row
-- alone was lost when that row went (a newer profile activity superseded it), and a second
-- run then sent what came after it while it was still on the wire.
CREATE TABLE delivery_leases (
    host        TEXT PRIMARY KEY REFERENCES partners(host) ON DELETE CASCADE,
    holder      TEXT NOT NULL,                  -- the run's own id: only it releases the lease
    until       TEXT NOT NULL                   -- the lease ends then even if never released
);

-- A delivery superseded while a run held it (a newer activity for the same object was
-- queued behind it) is never deleted under that run: it is marked, is not sent again after
-- its run, and is deleted once its host is no longer leased.
ALTER TABLE deliveries ADD COLUMN superseded BIGINT NOT NULL DEFAULT 0;
CREATE INDEX deliveries_superseded ON deliveries(host) WHERE superseded = 1;
