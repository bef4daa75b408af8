"""Members and their login sessions."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Member
from feedserver.store import rows
from feedserver.store.db import Connection


async def insert(
    conn: Connection,
    *,
    id: str,
    username: str,
    display_name: str,
    password_hash: str | None,
    is_admin: bool,
    now: datetime,
) -> bool:
    """False when the username is taken."""
    cur = await conn.execute(
        "INSERT INTO members (id, username, display_name, password_hash, is_admin, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
        (id, username, display_name, password_hash, int(is_admin), rows.ts(now)),
    )
    return cur.rowcount == 1


async def count(conn: Connection) -> int:
    async with conn.execute("SELECT count(*) FROM members") as cur:
        return int(rows.aggregate(await cur.fetchone())[0])


# A partner's member writing in our shared groups has an account here (`home_host`, named
# username@host) that is never found by username: no sign-in, page, profile or mention.
_LOCAL_BY_USERNAME = "SELECT * FROM members WHERE username = ? AND home_host IS NULL"


async def by_username(conn: Connection, username: str) -> Member | None:
    async with conn.execute(_LOCAL_BY_USERNAME, (username,)) as cur:
        row = await cur.fetchone()
    return rows.member(row) if row else None


async def by_id(conn: Connection, member_id: str) -> Member | None:
    async with conn.execute("SELECT * FROM members WHERE id = ?", (member_id,)) as cur:
        row = await cur.fetchone()
    return rows.member(row) if row else None


async def password_hash(conn: Connection, username: str) -> tuple[Member, str | None, bool] | None:
    """The member, their password hash and whether they are suspended."""
    async with conn.execute(_LOCAL_BY_USERNAME, (username,)) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return rows.member(row), row["password_hash"], row["suspended_at"] is not None


async def set_password_hash(conn: Connection, member_id: str, value: str) -> None:
    await conn.execute("UPDATE members SET password_hash = ? WHERE id = ?", (value, member_id))


async def list_page(conn: Connection, *, after: str | None, limit: int) -> list[Member]:
    async with conn.execute(
        "SELECT * FROM members WHERE home_host IS NULL AND username > ? ORDER BY username LIMIT ?",
        (after or "", limit),
    ) as cur:
        return [rows.member(r) for r in await cur.fetchall()]


async def insert_session(
    conn: Connection, *, token_hash: str, member_id: str, kind: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO sessions (token_hash, member_id, kind, created_at, last_used_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (token_hash, member_id, kind, rows.ts(now), rows.ts(now)),
    )


async def session_member(conn: Connection, token_hash: str) -> tuple[Member, str, datetime] | None:
    """The member, token kind and last use of a session token. A suspended member's tokens
    are revoked when suspended; refusing them here too closes any race with that."""
    async with conn.execute(
        "SELECT m.*, s.kind AS token_kind, s.last_used_at FROM sessions s"
        " JOIN members m ON m.id = s.member_id"
        " WHERE s.token_hash = ? AND m.suspended_at IS NULL",
        (token_hash,),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return rows.member(row), row["token_kind"], rows.parse_ts(row["last_used_at"])


async def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    await conn.execute(
        "UPDATE sessions SET last_used_at = ? WHERE token_hash = ?", (rows.ts(now), token_hash)
    )


async def delete_session(conn: Connection, token_hash: str) -> bool:
    cur = await conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))
    return cur.rowcount == 1
