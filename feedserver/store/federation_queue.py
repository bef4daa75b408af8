"""The durable delivery queue, and the housekeeping the worker does between passes (the
inbox's replay cache and applied activity ids, old failed deliveries, spent invites).

Delivery is first-in-first-out per receiving host, in the order rows were queued
(`created_at`, then `id`): a host is served only when its oldest pending row (its head) is
due and not leased. Claiming uses a lease (`locked_until`); on PostgreSQL the claim also
locks each host's head with FOR UPDATE SKIP LOCKED, so processes sharing the database never
claim one host twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime

from feedserver.models import Delivery
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect


def _delivery(row: sqlite3.Row) -> Delivery:
    return Delivery(
        id=row["id"],
        host=row["host"],
        activity_id=row["activity_id"],
        body=row["body"],
        key_name=row["key_name"],
        state=row["state"],
        attempts=row["attempts"],
        created_at=rows.parse_ts(row["created_at"]),
        next_attempt_at=rows.parse_ts(row["next_attempt_at"]),
        last_status=row["last_status"],
        last_error=row["last_error"],
    )


async def enqueue(
    conn: Connection, *, id: str, host: str, activity_id: str, body: str,
    now: datetime, key_name: str | None = None,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO deliveries (id, host, activity_id, body, key_name, created_at,"
        " next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (host, activity_id) DO NOTHING",
        (id, host, activity_id, body, key_name, rows.ts(now), rows.ts(now)),
    )


# One statement: the hosts that are ready (not paused; head due and not leased), at most
# :hosts of them, the one waiting longest first; then for each the first rows of its queue,
# a fair share of the batch each (round robin). Every step is an index seek or range on
# deliveries_host_order (migration 0013), once per partner and once per ready host, so the
# cost grows with the batch and the number of partners, not with the queue.
_CLAIM = """
WITH ready AS (
  SELECT p.host AS host, h.next_attempt_at AS due_at
  FROM partners p JOIN deliveries h ON h.id = (
    SELECT d.id FROM deliveries d WHERE d.host = p.host AND d.state = 'pending'
    ORDER BY d.created_at, d.id LIMIT 1)
  WHERE (p.paused_until IS NULL OR p.paused_until <= :now)
    AND h.next_attempt_at <= :now
    AND (h.locked_until IS NULL OR h.locked_until <= :now)
  ORDER BY h.next_attempt_at, p.host LIMIT :hosts
),
share AS (SELECT (:limit + count(*) - 1) / NULLIF(count(*), 0) AS n FROM ready),
picked AS (
  SELECT x.id AS id, x.host AS host, r.due_at AS due_at,
    row_number() OVER (PARTITION BY x.host ORDER BY x.created_at, x.id) AS k
  FROM ready r JOIN deliveries x ON x.id IN (
    SELECT y.id FROM deliveries y WHERE y.host = r.host AND y.state = 'pending'
    ORDER BY y.created_at, y.id LIMIT (SELECT n FROM share))
)
UPDATE deliveries SET locked_until = :lease
WHERE id IN (SELECT id FROM picked ORDER BY k, due_at, host LIMIT :limit)
RETURNING *
"""
# PostgreSQL: the same, with each ready host's head row locked (FOR UPDATE SKIP LOCKED) by the
# claiming transaction. Another process claiming at the same moment skips those hosts, and
# once this one commits it finds their heads leased: one run per host across processes.
_CLAIM_PG = _CLAIM.replace(
    "ORDER BY h.next_attempt_at, p.host LIMIT :hosts",
    "ORDER BY h.next_attempt_at, p.host LIMIT :hosts FOR UPDATE OF h SKIP LOCKED",
)


async def claim_due(
    conn: Connection, now: datetime, lease_until: datetime, limit: int, hosts: int
) -> list[Delivery]:
    """Lease up to `limit` deliveries of at most `hosts` hosts, each host's in queue order:
    for every host that is not paused and whose oldest pending delivery is due and not
    leased (the one due longest first), that one and the ones queued after it. A host whose
    head is not due gets nothing (head-of-line blocking: it keeps an Update before the
    Delete that follows it, and a Retry-After pauses the host); nor does a host whose head
    is leased, being sent by a run that is still going.

    Returned in queue order (created_at, id)."""
    params = {"now": rows.ts(now), "lease": rows.ts(lease_until), "limit": limit, "hosts": hosts}
    claim = _CLAIM_PG if dialect(conn) == POSTGRESQL else _CLAIM
    async with conn.execute(claim, params) as cur:
        found = [_delivery(r) for r in await cur.fetchall()]
    return sorted(found, key=lambda d: (d.created_at, d.id))


async def delivered(conn: Connection, delivery_id: str) -> None:
    """Done with a delivery (a no-op when it was dropped while being sent)."""
    await conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


async def retry_later(
    conn: Connection, delivery_id: str, when: datetime, status: int | None, error: str
) -> None:
    """Back off (a no-op when the delivery was dropped while being sent)."""
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (rows.ts(when), status, error[:500], delivery_id),
    )


async def give_up(conn: Connection, delivery_id: str, status: int | None, error: str) -> None:
    """Fail a delivery for good; it stays for admins to see (a no-op when it was dropped)."""
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, state = 'failed', locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (status, error[:500], delivery_id),
    )


async def give_up_overdue(conn: Connection, host: str, queued_before: datetime, error: str) -> int:
    """Fail, without another attempt, a host's pending deliveries queued before
    `queued_before` (past their give-up time) once the host failed again: behind a head that
    failed, each would otherwise wait its turn to fail. A bounded batch; returns how many."""
    cur = await conn.execute(
        "UPDATE deliveries SET state = 'failed', locked_until = NULL, last_error = ?"
        " WHERE id IN (SELECT id FROM deliveries WHERE host = ? AND state = 'pending'"
        " AND created_at < ? ORDER BY created_at, id LIMIT ?)",
        (error[:500], host, rows.ts(queued_before), PRUNE_BATCH),
    )
    return cur.rowcount


async def release(conn: Connection, delivery_ids: Collection[str]) -> None:
    """Give leased deliveries back unsent (no attempt counted): the host's run stopped."""
    if delivery_ids:
        marks = ", ".join("?" * len(delivery_ids))
        await conn.execute(
            f"UPDATE deliveries SET locked_until = NULL WHERE id IN ({marks})", [*delivery_ids]
        )


async def resume_host(conn: Connection, host: str, now: datetime) -> None:
    """After a success, everything waiting for this host is due again."""
    await conn.execute(
        "UPDATE deliveries SET next_attempt_at = ? WHERE host = ? AND state = 'pending'"
        " AND next_attempt_at > ?",
        (rows.ts(now), host, rows.ts(now)),
    )


async def requeue_refused(conn: Connection, host: str, due_at: datetime) -> int:
    """A host's deliveries that failed for good on 401/403 are pending again, due at
    `due_at`, in their old queue order (created_at is kept); returns how many."""
    cur = await conn.execute(
        "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, locked_until = NULL"
        " WHERE host = ? AND state = 'failed' AND last_status IN (401, 403)",
        (rows.ts(due_at), host),
    )
    return cur.rowcount


async def pin_key_name(conn: Connection, key_name: str) -> int:
    """Key rotation: pending deliveries that would be signed with the current key keep the
    key they were queued under, the one partners know until the rotation reaches them.
    Returns how many."""
    cur = await conn.execute(
        "UPDATE deliveries SET key_name = ? WHERE state = 'pending' AND key_name IS NULL",
        (key_name,),
    )
    return cur.rowcount


async def listing(
    conn: Connection, state: str | None, after: str | None, limit: int
) -> list[Delivery]:
    async with conn.execute(
        "SELECT * FROM deliveries WHERE (? IS NULL OR state = ?) AND (? IS NULL OR id > ?)"
        " ORDER BY id LIMIT ?",
        (state, state, after, after, limit),
    ) as cur:
        return [_delivery(r) for r in await cur.fetchall()]


# Rows one pruning pass deletes at most, so that it holds the write lock briefly.
PRUNE_BATCH = 10_000


async def prune_inbox(
    conn: Connection, signatures_before: int, activities_before: datetime
) -> None:
    """Forget signatures `created` before `signatures_before` (Unix seconds: the inbox
    refuses them as stale anyway) and activity ids received before `activities_before`; a
    bounded batch of each per call."""
    await conn.execute(
        "DELETE FROM seen_signatures WHERE (created, signature_hash) IN (SELECT created,"
        " signature_hash FROM seen_signatures WHERE created < ? ORDER BY created LIMIT ?)",
        (signatures_before, PRUNE_BATCH),
    )
    await conn.execute(
        "DELETE FROM inbox_activities WHERE activity_id IN (SELECT activity_id"
        " FROM inbox_activities WHERE received_at < ? LIMIT ?)",
        (rows.ts(activities_before), PRUNE_BATCH),
    )


async def prune_failed(conn: Connection, queued_before: datetime) -> int:
    """Delete failed deliveries (kept only for admins to see) queued before
    `queued_before`, oldest first, a bounded batch; returns how many."""
    cur = await conn.execute(
        "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries"
        " WHERE state = 'failed' AND created_at < ?"
        " ORDER BY created_at LIMIT ?)",
        (rows.ts(queued_before), PRUNE_BATCH),
    )
    return cur.rowcount


async def prune_invites(conn: Connection, spent_before: datetime) -> int:
    """Delete partner invites used or expired before `spent_before`, a bounded batch;
    returns how many. (Invites are made by hand: the table is small, a scan is cheap.)"""
    cur = await conn.execute(
        "DELETE FROM partner_invites WHERE secret_hash IN (SELECT secret_hash"
        " FROM partner_invites WHERE used_at < ? OR expires_at < ? LIMIT ?)",
        (rows.ts(spent_before), rows.ts(spent_before), PRUNE_BATCH),
    )
    return cur.rowcount


def _after_prefix(prefix: str) -> str:
    """The least string greater than every string that starts with `prefix` (activity ids
    are URLs: their last character is never U+10FFFF)."""
    assert prefix, "an empty prefix would name every delivery"
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


async def drop_pending_like(conn: Connection, host: str, activity_pattern: str) -> int:
    """Remove pending deliveries to `host` whose activity id matches the SQL LIKE pattern
    (a scan of that host's queue); returns how many."""
    cur = await conn.execute(
        "DELETE FROM deliveries WHERE host = ? AND state = 'pending' AND activity_id LIKE ?",
        (host, activity_pattern),
    )
    return cur.rowcount


async def drop_pending(conn: Connection, host: str, activity_prefix: str) -> int:
    """Remove pending deliveries to `host` whose activity id starts with the prefix,
    including one being sent right now (leased): its send finishing finds no row and changes
    nothing, so an Update on the wire is never retried after the activity that superseded it.
    Failed deliveries stay for admins. Returns how many."""
    # [prefix, _after_prefix) holds exactly the ids that start with it: an index range.
    cur = await conn.execute(
        "DELETE FROM deliveries WHERE host = ? AND activity_id >= ? AND activity_id < ?"
        " AND state = 'pending'",
        (host, activity_prefix, _after_prefix(activity_prefix)),
    )
    return cur.rowcount
