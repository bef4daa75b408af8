-- PostgreSQL port of migrations/0010_inbox_activity_retention.sql (see docs/architecture.md, "Two engines").
-- Received activity ids are remembered for a retention period (idempotency only needs to
-- outlast a partner's retries), then pruned by time: that needs an index by time.
CREATE INDEX inbox_activities_received ON inbox_activities(received_at);
