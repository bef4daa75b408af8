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


async def move_actor(
    conn: Connection, *, host: str, old_actor: str, new_actor: str, old_username: str,
    new_username: str,
) -> str | None:  # fmt: skip
    """A partner's member renamed on their server (deleted there, their posts kept): the
    account they write under here and their memberships follow the new name. The account's
    id, or None when neither is known here. Raises LookupError when the new name is taken."""
    old_address, new_address = f"{old_username}@{host}", f"{new_username}@{host}"
    async with conn.execute(
        "SELECT 1 FROM members WHERE username = ? UNION ALL"
        " SELECT 1 FROM remote_members WHERE host = ? AND (username = ? OR actor_id = ?)",
        (new_address, host, new_username, new_actor),
    ) as cur:
        taken = await cur.fetchone() is not None
    async with conn.execute(
        "SELECT 1 FROM remote_members WHERE host = ? AND actor_id = ?", (host, old_actor)
    ) as cur:
        member = await cur.fetchone() is not None
    async with conn.execute(
        "SELECT id FROM members WHERE username = ? AND home_host = ?", (old_address, host)
    ) as cur:
        row = await cur.fetchone()
    if not member and row is None:
        return None
    if taken:
        raise LookupError(new_address)
    await conn.execute(
        "UPDATE remote_members SET username = ?, actor_id = ?, display_name = ?"
        " WHERE host = ? AND actor_id = ?",
        (new_username, new_actor, new_username, host, old_actor),
    )
    if row is None:
        return None
    await conn.execute(
        "UPDATE members SET username = ?, display_name = ? WHERE id = ?",
        (new_address, new_address, row[0]),
    )
    return str(row[0])
