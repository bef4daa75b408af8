"""Groups, memberships and join requests."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Group, GroupMember, JoinRequest, Membership, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition


async def insert(
    conn: Connection,
    *,
    id: str,
    name: str,
    title: str,
    description: str,
    visibility: str,
    now: datetime,
    language: str = "",
) -> bool:
    """False when the name is taken."""
    cur = await conn.execute(
        "INSERT INTO groups (id, name, title, description, visibility, created_at, language)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
        (id, name, title, description, visibility, rows.ts(now), language),
    )
    return cur.rowcount == 1


async def by_name(conn: Connection, name: str) -> Group | None:
    async with conn.execute("SELECT * FROM groups WHERE name = ?", (name,)) as cur:
        row = await cur.fetchone()
    return rows.group(row) if row else None


async def by_id(conn: Connection, group_id: str) -> Group | None:
    async with conn.execute("SELECT * FROM groups WHERE id = ?", (group_id,)) as cur:
        row = await cur.fetchone()
    return rows.group(row) if row else None


async def update(
    conn: Connection,
    group_id: str,
    *,
    title: str,
    description: str,
    visibility: str,
    language: str | None = None,
) -> None:
    """`language` None keeps the group's."""
    await conn.execute(
        "UPDATE groups SET title = ?, description = ?, visibility = ?,"
        " language = COALESCE(?, language), version = version + 1 WHERE id = ?",
        (title, description, visibility, language, group_id),
    )


async def bump_version(conn: Connection, group_id: str) -> None:
    """Every change a feed or a partner must see goes through here, inside its transaction."""
    await conn.execute("UPDATE groups SET version = version + 1 WHERE id = ?", (group_id,))


async def visible_page(
    conn: Connection, scope: ReadScope, *, after: str | None, limit: int
) -> list[Group]:
    where, params = group_condition(scope, "g.id", "g.visibility")
    async with conn.execute(
        f"SELECT g.* FROM groups g WHERE {where} AND g.name > ? ORDER BY g.name LIMIT ?",
        (*params, after or "", limit),
    ) as cur:
        return [rows.group(r) for r in await cur.fetchall()]


async def with_membership(
    conn: Connection, name: str, member_id: str | None
) -> tuple[Group, Membership | None] | None:
    """A group by name and the member's membership in it, in one query."""
    async with conn.execute(
        "SELECT g.*, ms.role, ms.joined_at FROM groups g"
        " LEFT JOIN memberships ms ON ms.group_id = g.id AND ms.member_id = ?"
        " WHERE g.name = ?",
        (member_id, name),
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    found = rows.group(row)
    if row["role"] is None:
        return found, None
    return found, Membership(
        found.id, member_id or "", row["role"], rows.parse_ts(row["joined_at"])
    )


async def membership(conn: Connection, group_id: str, member_id: str) -> Membership | None:
    async with conn.execute(
        "SELECT * FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        return None
    return Membership(
        group_id=row["group_id"],
        member_id=row["member_id"],
        role=row["role"],
        joined_at=rows.parse_ts(row["joined_at"]),
    )


async def put_membership(
    conn: Connection, *, group_id: str, member_id: str, role: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO memberships (group_id, member_id, role, joined_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (group_id, member_id) DO UPDATE SET role = excluded.role",
        (group_id, member_id, role, rows.ts(now)),
    )
    await conn.execute(
        "DELETE FROM join_requests WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    )


async def delete_membership(conn: Connection, group_id: str, member_id: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM memberships WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    )
    return cur.rowcount == 1


async def count_role(conn: Connection, group_id: str, role: str) -> int:
    async with conn.execute(
        "SELECT count(*) FROM memberships WHERE group_id = ? AND role = ?", (group_id, role)
    ) as cur:
        return int(rows.aggregate(await cur.fetchone())[0])


async def members_page(
    conn: Connection, group_id: str, *, after: str | None, limit: int
) -> list[GroupMember]:
    async with conn.execute(
        "SELECT m.username, m.display_name, ms.role, ms.joined_at FROM memberships ms"
        " JOIN members m ON m.id = ms.member_id"
        " WHERE ms.group_id = ? AND m.username > ? ORDER BY m.username LIMIT ?",
        (group_id, after or "", limit),
    ) as cur:
        return [
            GroupMember(r["username"], r["display_name"], r["role"], rows.parse_ts(r["joined_at"]))
            for r in await cur.fetchall()
        ]


async def insert_join_request(
    conn: Connection, *, group_id: str, member_id: str, now: datetime
) -> bool:
    """False when the member had asked already."""
    cur = await conn.execute(
        "INSERT INTO join_requests (group_id, member_id, requested_at) VALUES (?, ?, ?)"
        " ON CONFLICT (group_id, member_id) DO NOTHING",
        (group_id, member_id, rows.ts(now)),
    )
    return cur.rowcount == 1


async def has_join_request(conn: Connection, group_id: str, member_id: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM join_requests WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    ) as cur:
        return await cur.fetchone() is not None


async def join_requests(conn: Connection, group_id: str, *, limit: int) -> list[JoinRequest]:
    async with conn.execute(
        "SELECT j.group_id, m.username, m.display_name, j.requested_at FROM join_requests j"
        " JOIN members m ON m.id = j.member_id WHERE j.group_id = ?"
        " ORDER BY j.requested_at LIMIT ?",
        (group_id, limit),
    ) as cur:
        return [
            JoinRequest(
                r["group_id"], r["username"], r["display_name"], rows.parse_ts(r["requested_at"])
            )
            for r in await cur.fetchall()
        ]


async def delete_join_request(conn: Connection, group_id: str, member_id: str) -> bool:
    cur = await conn.execute(
        "DELETE FROM join_requests WHERE group_id = ? AND member_id = ?", (group_id, member_id)
    )
    return cur.rowcount == 1
