"""The mail outbox: rows written with the event, claimed (leased) by the sender before it
talks to the SMTP server, marked sent after."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import MailItem
from feedserver.store import rows
from feedserver.store.db import Connection


async def enqueue(
    conn: Connection, *, id: str, member_id: str, kind: str, seqs: tuple[int, ...],
    now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO mail_outbox (id, member_id, kind, items, next_attempt_at, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (id, member_id, kind, " ".join(map(str, seqs)), rows.ts(now), rows.ts(now)),
    )


def _item(r: sqlite3.Row) -> MailItem:
    return MailItem(
        id=r["id"], member_id=r["member_id"], kind=r["kind"],
        seqs=tuple(int(s) for s in r["items"].split()), attempts=r["attempts"],
        created_at=rows.parse_ts(r["created_at"]),
    )  # fmt: skip


async def claim_due(
    conn: Connection, now: datetime, lease_until: datetime, limit: int
) -> list[MailItem]:
    """Due rows, and rows whose sender's lease ran out (it crashed mid-send), leased now."""
    stamp = rows.ts(now)
    async with conn.execute(
        "SELECT * FROM mail_outbox WHERE (state = 'queued' AND next_attempt_at <= ?)"
        " OR (state = 'sending' AND lease_until <= ?) ORDER BY created_at, id LIMIT ?",
        (stamp, stamp, limit),
    ) as cur:
        found = [_item(r) for r in await cur.fetchall()]
    await conn.executemany(
        "UPDATE mail_outbox SET state = 'sending', lease_until = ?, attempts = attempts + 1"
        " WHERE id = ?",
        [(rows.ts(lease_until), item.id) for item in found],
    )
    return [
        MailItem(i.id, i.member_id, i.kind, i.seqs, i.attempts + 1, i.created_at) for i in found
    ]


async def finish(conn: Connection, mail_id: str, state: str, now: datetime, error: str) -> None:
    """sent, failed (given up) or dropped (nothing left its member may read)."""
    await conn.execute(
        "UPDATE mail_outbox SET state = ?, lease_until = NULL, last_error = ?,"
        " sent_at = CASE WHEN ? = 'sent' THEN ? ELSE sent_at END WHERE id = ?",
        (state, error, state, rows.ts(now), mail_id),
    )


async def retry_later(conn: Connection, mail_id: str, at: datetime, error: str) -> None:
    await conn.execute(
        "UPDATE mail_outbox SET state = 'queued', lease_until = NULL, next_attempt_at = ?,"
        " last_error = ? WHERE id = ?",
        (rows.ts(at), error, mail_id),
    )


async def next_due(conn: Connection) -> datetime | None:
    async with conn.execute(
        "SELECT min(coalesce(CASE state WHEN 'queued' THEN next_attempt_at END, lease_until))"
        " FROM mail_outbox WHERE state IN ('queued', 'sending')"
    ) as cur:
        row = await cur.fetchone()
    return rows.parse_ts(row[0]) if row and row[0] else None


async def listing(
    conn: Connection, state: str | None, after: str | None, limit: int
) -> list[dict[str, object]]:
    """Outbox rows for admins, oldest first: never a mail's text, only where it stands."""
    where, params = "o.id > ?", [after or ""]
    if state is not None:
        where, params = f"{where} AND o.state = ?", [*params, state]
    async with conn.execute(
        "SELECT o.id, m.username, o.kind, o.state, o.attempts, o.next_attempt_at, o.last_error,"
        " o.created_at, o.sent_at FROM mail_outbox o JOIN members m ON m.id = o.member_id"
        f" WHERE {where} ORDER BY o.id LIMIT ?",
        (*params, limit),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
