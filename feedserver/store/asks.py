"""Questions routed to experts ("asks")."""

from __future__ import annotations

from datetime import datetime

from feedserver.models import Ask, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition


async def insert(
    conn: Connection, *, post_id: str, expert_id: str, asker_id: str, now: datetime
) -> bool:
    """False when this question was already routed to this expert."""
    cur = await conn.execute(
        "INSERT INTO asks (post_id, expert_id, asker_id, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (post_id, expert_id) DO NOTHING",
        (post_id, expert_id, asker_id, rows.ts(now)),
    )
    return cur.rowcount == 1


async def count_since(conn: Connection, expert_id: str, since: datetime) -> int:
    async with conn.execute(
        "SELECT COUNT(*) FROM asks WHERE expert_id = ? AND created_at >= ?",
        (expert_id, rows.ts(since)),
    ) as cur:
        return int(rows.aggregate(await cur.fetchone())[0])


async def asked(conn: Connection, post_id: str) -> set[str]:
    """Experts this question was already routed to."""
    async with conn.execute("SELECT expert_id FROM asks WHERE post_id = ?", (post_id,)) as cur:
        return {r[0] for r in await cur.fetchall()}


async def for_expert(
    conn: Connection, expert_id: str, scope: ReadScope, *, before: tuple[str, str] | None,
    limit: int,
) -> list[Ask]:  # fmt: skip
    """Asks to this expert, newest first, only for posts the scope may still read."""
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    sql = (
        f"SELECT {rows.POST_COLUMNS}, a.created_at AS asked_at, am.username AS asker"
        f" FROM asks a JOIN posts p ON p.id = a.post_id {rows.POST_JOINS}"
        " JOIN members am ON am.id = a.asker_id"
        f" WHERE a.expert_id = ? AND {where}"
    )
    args: list[object] = [expert_id, *params]
    if before is not None:
        sql += " AND (a.created_at < ? OR (a.created_at = ? AND a.post_id < ?))"
        args += [before[0], before[0], before[1]]
    sql += " ORDER BY a.created_at DESC, a.post_id DESC LIMIT ?"
    args.append(limit)
    async with conn.execute(sql, args) as cur:
        return [
            Ask(rows.post(r), r["asker"], rows.parse_ts(r["asked_at"]))
            for r in await cur.fetchall()
        ]
