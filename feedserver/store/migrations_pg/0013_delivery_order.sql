-- PostgreSQL port of migrations/0013_delivery_order.sql (see docs/architecture.md, "Two engines").
-- Delivery is first-in-first-out per receiving host: the worker finds each host's oldest
-- pending row (its head) and the rows queued after it in this order, an index range per host
-- whose cost is the rows it returns, not the queue's length. It also serves the admin's
-- per-host counts of pending and failed deliveries, and the give-up of a failing host's
-- overdue rows.
CREATE INDEX deliveries_host_order ON deliveries(host, state, created_at, id);
-- Failed deliveries stay for admins to see for `delivery_failed_retention_days`, then are
-- pruned oldest first: a small index over the failed rows only (state leads so that the
-- planner prefers it to deliveries_due for the range on created_at).
CREATE INDEX deliveries_failed_created ON deliveries(state, created_at) WHERE state = 'failed';
