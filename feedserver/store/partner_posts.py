"""The hosting side of writes from partner servers: the account a partner's member writes
under here (username@host, `members.home_host`), which remote member an actor is, and the
original object id of each post written on a member server."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Member, Role
from feedserver.store import rows
from feedserver.store.db import Connection


async def member_role(
    conn: Connection, group_id: str, host: str, actor_id: str
) -> tuple[str, Role] | None:
    """(username, role) of the group's remote member on `host` whose actor is `actor_id`."""
    async with conn.execute(
        "SELECT username, role FROM remote_members WHERE group_id = ? AND host = ?"
        " AND actor_id = ?",
        (group_id, host, actor_id),
    ) as cur:
        row = await cur.fetchone()
    return (row["username"], row["role"]) if row else None


async def author(
    conn: Connection, *, new_id: str, username: str, host: str, display_name: str,
    now: datetime,
) -> Member:  # fmt: skip
    """The account username@host writes under here, created (as `new_id`) on its first
    write."""
    address = f"{username}@{host}"
    await conn.execute(
        "INSERT INTO members (id, username, display_name, password_hash, is_admin, created_at,"
        " home_host) VALUES (?, ?, ?, NULL, 0, ?, ?) ON CONFLICT (username) DO NOTHING",
        (new_id, address, display_name or address, rows.ts(now), host),
    )
    async with conn.execute(
        "SELECT * FROM members WHERE username = ? AND home_host = ?", (address, host)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None, "a local member can never be named username@host"
    return rows.member(row)


async def put_origin(conn: Connection, post_id: str, object_id: str, host: str) -> None:
    await conn.execute(
        "INSERT INTO partner_posts (post_id, object_id, host) VALUES (?, ?, ?)",
        (post_id, object_id, host),
    )


async def post_of_object(conn: Connection, object_id: str) -> str | None:
    async with conn.execute(
        "SELECT post_id FROM partner_posts WHERE object_id = ?", (object_id,)
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def object_of_post(conn: Connection, post_id: str) -> str | None:
    async with conn.execute(
        "SELECT object_id FROM partner_posts WHERE post_id = ?", (post_id,)
    ) as cur:
        row = await cur.fetchone()
    return row[0] if row else None
