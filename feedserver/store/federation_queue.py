"""The durable delivery queue, and the housekeeping the worker does between passes (the
inbox's replay cache and applied activity ids, old failed deliveries, spent invites).

Delivery is first-in-first-out per receiving host, in the order rows were queued
(`created_at`, then `id`): a host is served only when its oldest pending row (its head) is
due and no run holds the host. A run holds its host by a lease in the database
(`delivery_leases`, taken in the claim's write transaction), so two runs never send to one
host, in one process or several; its rows are marked claimed (`locked_until`). A claimed row
is never deleted under its run: a newer activity that supersedes it marks it `superseded`,
and it is deleted, unsent again, once its run is over. On PostgreSQL the claim also locks
each host's head with FOR UPDATE SKIP LOCKED, so two processes' claims never wait on or take
one host's rows at the same moment.
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
    AND NOT EXISTS (SELECT 1 FROM delivery_leases l WHERE l.host = p.host AND l.until > :now)
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
    conn: Connection, now: datetime, lease_until: datetime, limit: int, hosts: int,
    holder: str,
) -> list[Delivery]:  # fmt: skip
    """Lease up to `limit` deliveries of at most `hosts` hosts, each host's in queue order,
    and each of those hosts to `holder` until `lease_until` (`release_host` ends it sooner):
    for every host that is not paused, not held by another run, and whose oldest pending
    delivery is due (the one due longest first), that one and the ones queued after it. A
    host whose head is not due gets nothing (head-of-line blocking: it keeps an Update before
    the Delete that follows it, and a Retry-After pauses the host); nor does a host held by a
    run that is still going. Superseded rows of hosts no run holds go first, unsent.

    Returned in queue order (created_at, id)."""
    stamp = rows.ts(now)
    await conn.execute(
        "DELETE FROM deliveries WHERE superseded = 1 AND NOT EXISTS (SELECT 1 FROM"
        " delivery_leases l WHERE l.host = deliveries.host AND l.until > ?)",
        (stamp,),
    )
    params = {"now": stamp, "lease": rows.ts(lease_until), "limit": limit, "hosts": hosts}
    claim = _CLAIM_PG if dialect(conn) == POSTGRESQL else _CLAIM
    async with conn.execute(claim, params) as cur:
        found = [_delivery(r) for r in await cur.fetchall()]
    await conn.executemany(
        "INSERT INTO delivery_leases (host, holder, until) VALUES (?, ?, ?)"
        " ON CONFLICT (host) DO UPDATE SET holder = excluded.holder, until = excluded.until",
        [(host, holder, rows.ts(lease_until)) for host in sorted({d.host for d in found})],
    )
    return sorted(found, key=lambda d: (d.created_at, d.id))


async def release_host(conn: Connection, host: str, holder: str) -> None:
    """The run of `holder` for `host` is over: another may claim the host (a no-op when the
    lease expired and another run holds it now)."""
    await conn.execute("DELETE FROM delivery_leases WHERE host = ? AND holder = ?", (host, holder))


async def delivered(conn: Connection, delivery_id: str) -> None:
    """Done with a delivery (superseded or not)."""
    await conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


async def retry_later(
    conn: Connection, delivery_id: str, when: datetime, status: int | None, error: str
) -> None:
    """Back off; a delivery superseded while it was being sent is deleted instead, so it is
    never sent after the activity that superseded it."""
    await _forget_superseded(conn, delivery_id)
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (rows.ts(when), status, error[:500], delivery_id),
    )


async def give_up(conn: Connection, delivery_id: str, status: int | None, error: str) -> None:
    """Fail a delivery for good; it stays for admins to see (a superseded one is deleted)."""
    await _forget_superseded(conn, delivery_id)
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, state = 'failed', locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (status, error[:500], delivery_id),
    )


async def _forget_superseded(conn: Connection, delivery_id: str) -> None:
    await conn.execute("DELETE FROM deliveries WHERE id = ? AND superseded = 1", (delivery_id,))


async def give_up_overdue(
    conn: Connection, host: str, queued_before: datetime, error: str
) -> list[tuple[str, str]]:
    """Fail, without another attempt, a host's pending deliveries queued before
    `queued_before` (past their give-up time) once the host failed again: behind a head that
    failed, each would otherwise wait its turn to fail. A bounded batch; returns their
    activity ids and bodies (a member's write into a shared group they carried is refused)."""
    async with conn.execute(
        "UPDATE deliveries SET state = 'failed', locked_until = NULL, last_error = ?"
        " WHERE id IN (SELECT id FROM deliveries WHERE host = ? AND state = 'pending'"
        " AND created_at < ? ORDER BY created_at, id LIMIT ?) RETURNING activity_id, body",
        (error[:500], host, rows.ts(queued_before), PRUNE_BATCH),
    ) as cur:
        return [(row[0], row[1]) for row in await cur.fetchall()]


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


async def _supersede(conn: Connection, where: str, params: tuple[str, ...]) -> int:
    """Remove the pending deliveries `where` selects: those no run holds are deleted, one
    being sent right now (claimed) is marked superseded instead. Its send finishing deletes
    it whatever the outcome (it is never retried), and until its run is over the host's lease
    keeps every other run from sending what was queued after it. Returns how many."""
    cur = await conn.execute(
        f"DELETE FROM deliveries WHERE {where} AND state = 'pending' AND locked_until IS NULL",
        params,
    )
    gone = cur.rowcount
    cur = await conn.execute(
        f"UPDATE deliveries SET superseded = 1 WHERE {where} AND state = 'pending'"
        " AND locked_until IS NOT NULL AND superseded = 0",
        params,
    )
    return gone + cur.rowcount


async def drop_pending_like(conn: Connection, host: str, activity_pattern: str) -> int:
    """Remove (`_supersede`) pending deliveries to `host` whose activity id matches the SQL
    LIKE pattern (a scan of that host's queue); returns how many."""
    return await _supersede(conn, "host = ? AND activity_id LIKE ?", (host, activity_pattern))


async def drop_pending(conn: Connection, host: str, activity_prefix: str) -> int:
    """Remove (`_supersede`) pending deliveries to `host` whose activity id starts with the
    prefix. Failed deliveries stay for admins. Returns how many."""
    # [prefix, _after_prefix) holds exactly the ids that start with it: an index range.
    return await _supersede(
        conn, "host = ? AND activity_id >= ? AND activity_id < ?",
        (host, activity_prefix, _after_prefix(activity_prefix)),
    )  # fmt: skip
