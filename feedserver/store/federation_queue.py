"""The durable delivery queue, and pruning the inbox's replay cache.

Claiming due rows uses a lease (`locked_until`) on SQLite's single writer; the PostgreSQL
engine claims with FOR UPDATE SKIP LOCKED instead.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import Delivery
from feedserver.store import rows
from feedserver.store.db import Connection


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


async def claim_due(
    conn: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[Delivery]:
    """Lease up to `limit` due deliveries to hosts that are not paused."""
    async with conn.execute(
        "UPDATE deliveries SET locked_until = ? WHERE id IN ("
        " SELECT d.id FROM deliveries d JOIN partners p ON p.host = d.host"
        " WHERE d.state = 'pending' AND d.next_attempt_at <= ?"
        " AND (d.locked_until IS NULL OR d.locked_until <= ?)"
        " AND (p.paused_until IS NULL OR p.paused_until <= ?)"
        " ORDER BY d.next_attempt_at LIMIT ?) RETURNING *",
        (rows.ts(lease_until), rows.ts(now), rows.ts(now), rows.ts(now), limit),
    ) as cur:
        found = [_delivery(r) for r in await cur.fetchall()]
    return sorted(found, key=lambda d: d.next_attempt_at)


async def delivered(conn: Connection, delivery_id: str) -> None:
    await conn.execute("DELETE FROM deliveries WHERE id = ?", (delivery_id,))


async def retry_later(
    conn: Connection, delivery_id: str, when: datetime, status: int | None, error: str
) -> None:
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = ?, locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (rows.ts(when), status, error[:500], delivery_id),
    )


async def give_up(conn: Connection, delivery_id: str, status: int | None, error: str) -> None:
    await conn.execute(
        "UPDATE deliveries SET attempts = attempts + 1, state = 'failed', locked_until = NULL,"
        " last_status = ?, last_error = ? WHERE id = ?",
        (status, error[:500], delivery_id),
    )


async def resume_host(conn: Connection, host: str, now: datetime) -> None:
    """After a success, everything waiting for this host is due again."""
    await conn.execute(
        "UPDATE deliveries SET next_attempt_at = ? WHERE host = ? AND state = 'pending'"
        " AND next_attempt_at > ?",
        (rows.ts(now), host, rows.ts(now)),
    )


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


async def drop_pending(conn: Connection, host: str, activity_prefix: str, now: datetime) -> int:
    """Remove deliveries to `host` whose activity id starts with the prefix and which are
    waiting (not failed, not leased to the worker right now); returns how many."""
    cur = await conn.execute(
        "DELETE FROM deliveries WHERE host = ? AND state = 'pending'"
        " AND substr(activity_id, 1, length(?)) = ?"
        " AND (locked_until IS NULL OR locked_until <= ?)",
        (host, activity_prefix, activity_prefix, rows.ts(now)),
    )
    return cur.rowcount
