"""The hosting side of shared groups: the partner servers a `partners` group is shared
with, its remote members (username@host), and which servers hold a copy of it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime

from feedserver.models import GroupMember
from feedserver.store import rows
from feedserver.store.db import Connection


async def partners_of(conn: Connection, group_id: str) -> list[str]:
    async with conn.execute(
        "SELECT host FROM group_partners WHERE group_id = ? ORDER BY host", (group_id,)
    ) as cur:
        return [row[0] for row in await cur.fetchall()]


async def set_partners(conn: Connection, group_id: str, hosts: Iterable[str]) -> None:
    """Replace the group's partner list; remote members of a host no longer listed go."""
    keep = sorted(set(hosts))
    marks = ",".join("?" * len(keep))
    await conn.execute(
        f"DELETE FROM group_partners WHERE group_id = ? AND host NOT IN ({marks})",
        (group_id, *keep),
    )
    await conn.execute(
        f"DELETE FROM remote_members WHERE group_id = ? AND host NOT IN ({marks})",
        (group_id, *keep),
    )
    for host in keep:
        await conn.execute(
            "INSERT INTO group_partners (group_id, host) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (group_id, host),
        )


async def groups_partners(conn: Connection, hosts: Iterable[str]) -> dict[str, bool]:
    """{host: whether it is a partner whose partnership has the groups scope}."""
    wanted = sorted(set(hosts))
    found = dict.fromkeys(wanted, False)
    if wanted:
        marks = ",".join("?" * len(wanted))
        async with conn.execute(
            f"SELECT host FROM partners WHERE groups = 1 AND host IN ({marks})", wanted
        ) as cur:
            for row in await cur.fetchall():
                found[row[0]] = True
    return found


async def put_remote_member(
    conn: Connection, group_id: str, host: str, username: str, actor_id: str,
    display_name: str, role: str, now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO remote_members (group_id, host, username, actor_id, display_name, role,"
        " joined_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (group_id, host, username)"
        " DO UPDATE SET role = excluded.role, actor_id = excluded.actor_id,"
        " display_name = excluded.display_name",
        (group_id, host, username, actor_id, display_name, role, rows.ts(now)),
    )


async def delete_remote_member(conn: Connection, group_id: str, host: str, username: str) -> bool:
    async with conn.execute(
        "DELETE FROM remote_members WHERE group_id = ? AND host = ? AND username = ? RETURNING 1",
        (group_id, host, username),
    ) as cur:
        return await cur.fetchone() is not None


async def remote_member(
    conn: Connection, group_id: str, host: str, username: str
) -> GroupMember | None:
    async with conn.execute(
        "SELECT * FROM remote_members WHERE group_id = ? AND host = ? AND username = ?",
        (group_id, host, username),
    ) as cur:
        row = await cur.fetchone()
    return _member(row) if row else None


async def remote_members(
    conn: Connection, group_id: str, host: str | None = None
) -> list[tuple[str, GroupMember]]:
    """(actor id, member) of the group's remote members, of one host or all."""
    sql = "SELECT * FROM remote_members WHERE group_id = ?"
    args: tuple[str, ...] = (group_id,)
    if host is not None:
        sql, args = sql + " AND host = ?", (group_id, host)
    async with conn.execute(sql + " ORDER BY host, username", args) as cur:
        return [(row["actor_id"], _member(row)) for row in await cur.fetchall()]


def _member(row: sqlite3.Row) -> GroupMember:
    return GroupMember(
        f"{row['username']}@{row['host']}", row["display_name"], row["role"],
        rows.parse_ts(row["joined_at"]),
    )  # fmt: skip


async def member_hosts(conn: Connection, group_id: str) -> list[str]:
    """The servers that should hold a copy of the group now: the group is `partners`, the
    host is in its partner list, still a partner with the groups scope, and at least one of
    its members belongs to the group."""
    async with conn.execute(
        "SELECT DISTINCT rm.host FROM remote_members rm"
        " JOIN groups g ON g.id = rm.group_id AND g.visibility = 'partners'"
        " JOIN group_partners gp ON gp.group_id = rm.group_id AND gp.host = rm.host"
        " JOIN partners p ON p.host = rm.host AND p.groups = 1"
        " WHERE rm.group_id = ? ORDER BY rm.host",
        (group_id,),
    ) as cur:
        return [row[0] for row in await cur.fetchall()]


async def copies(conn: Connection, group_actor: str) -> list[str]:
    async with conn.execute(
        "SELECT host FROM group_copies WHERE group_actor = ? ORDER BY host", (group_actor,)
    ) as cur:
        return [row[0] for row in await cur.fetchall()]


async def add_copy(conn: Connection, group_actor: str, host: str) -> None:
    await conn.execute(
        "INSERT INTO group_copies (group_actor, host) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (group_actor, host),
    )


async def drop_copy(conn: Connection, group_actor: str, host: str) -> None:
    await conn.execute(
        "DELETE FROM group_copies WHERE group_actor = ? AND host = ?", (group_actor, host)
    )


async def post_ids(conn: Connection, group_id: str, limit: int) -> list[str]:
    """The ids of the group's latest `limit` posts and replies, oldest first."""
    async with conn.execute(
        "SELECT id FROM (SELECT id, seq FROM posts WHERE group_id = ? ORDER BY seq DESC"
        " LIMIT ?) latest ORDER BY seq",
        (group_id, limit),
    ) as cur:
        return [row[0] for row in await cur.fetchall()]


async def accepted_answers(conn: Connection, post_ids: list[str]) -> list[tuple[str, str]]:
    """(question id, accepted answer id) of those of `post_ids` that accepted one."""
    if not post_ids:
        return []
    marks = ", ".join("?" for _ in post_ids)
    async with conn.execute(
        f"SELECT id, accepted_answer_id FROM posts WHERE id IN ({marks})"
        " AND accepted_answer_id IS NOT NULL ORDER BY seq",
        post_ids,
    ) as cur:
        return [(row[0], row[1]) for row in await cur.fetchall()]


async def helpful_marks(conn: Connection, post_ids: list[str]) -> list[tuple[str, str]]:
    """(post id, marking member id) of the helpful marks on `post_ids`, oldest first."""
    if not post_ids:
        return []
    marks = ", ".join("?" for _ in post_ids)
    async with conn.execute(
        f"SELECT post_id, member_id FROM helpful_marks WHERE post_id IN ({marks})"
        " ORDER BY created_at, post_id, member_id",
        post_ids,
    ) as cur:
        return [(row[0], row[1]) for row in await cur.fetchall()]
