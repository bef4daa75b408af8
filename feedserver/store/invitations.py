"""Invitations: one-time join links."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from feedserver.models import Invitation
from feedserver.store import rows
from feedserver.store.db import Connection

_SELECT = (
    "SELECT i.*, c.username AS created_by_username, u.username AS used_by_username,"
    " g.name AS group_name"
    " FROM invitations i JOIN members c ON c.id = i.created_by"
    " LEFT JOIN members u ON u.id = i.used_by"
    " LEFT JOIN groups g ON g.id = i.group_id"
)


def _invitation(row: sqlite3.Row) -> Invitation:
    def maybe(text: str | None) -> datetime | None:
        return rows.parse_ts(text) if text else None

    return Invitation(
        id=row["id"],
        note=row["note"],
        created_by_username=row["created_by_username"],
        created_at=rows.parse_ts(row["created_at"]),
        expires_at=rows.parse_ts(row["expires_at"]),
        used_at=maybe(row["used_at"]),
        used_by_username=row["used_by_username"],
        revoked_at=maybe(row["revoked_at"]),
        group_name=row["group_name"],
    )


async def insert(
    conn: Connection,
    *,
    id: str,
    token_hash: str,
    note: str,
    created_by: str,
    now: datetime,
    expires_at: datetime,
    group_id: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO invitations"
        " (id, token_hash, note, created_by, created_at, expires_at, group_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (id, token_hash, note, created_by, rows.ts(now), rows.ts(expires_at), group_id),
    )


async def by_id(conn: Connection, invitation_id: str) -> Invitation | None:
    async with conn.execute(f"{_SELECT} WHERE i.id = ?", (invitation_id,)) as cur:
        row = await cur.fetchone()
    return _invitation(row) if row else None


async def by_token_hash(conn: Connection, token_hash: str) -> Invitation | None:
    async with conn.execute(f"{_SELECT} WHERE i.token_hash = ?", (token_hash,)) as cur:
        row = await cur.fetchone()
    return _invitation(row) if row else None


async def claim(conn: Connection, token_hash: str, member_id: str, now: datetime) -> bool:
    """Mark a usable invitation used, in the caller's transaction. False when it was not
    usable (unknown, used, revoked or expired): the check and the claim are one statement, so
    two people opening the same link cannot both join."""
    stamp = rows.ts(now)
    cur = await conn.execute(
        "UPDATE invitations SET used_at = ?, used_by = ? WHERE token_hash = ?"
        " AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?",
        (stamp, member_id, token_hash, stamp),
    )
    return cur.rowcount == 1


async def revoke(conn: Connection, invitation_id: str, now: datetime) -> bool:
    cur = await conn.execute(
        "UPDATE invitations SET revoked_at = ? WHERE id = ? AND used_at IS NULL"
        " AND revoked_at IS NULL",
        (rows.ts(now), invitation_id),
    )
    return cur.rowcount == 1


async def recent(conn: Connection, *, before: str | None, limit: int) -> list[Invitation]:
    """Newest first, paged by id (ids are time-ordered)."""
    sql, params = _SELECT, []
    if before is not None:
        sql += " WHERE i.id < ?"
        params.append(before)
    async with conn.execute(f"{sql} ORDER BY i.id DESC LIMIT ?", (*params, limit)) as cur:
        return [_invitation(r) for r in await cur.fetchall()]


async def set_email(conn: Connection, invitation_id: str, address: str) -> None:
    await conn.execute("UPDATE invitations SET email = ? WHERE id = ?", (address, invitation_id))


async def email_of(conn: Connection, token_hash: str) -> str | None:
    """The address the admin gave with the invitation, if any."""
    async with conn.execute(
        "SELECT email FROM invitations WHERE token_hash = ?", (token_hash,)
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row and row[0] else None
