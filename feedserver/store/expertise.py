"""Expertise evidence and the per-(member, topic) aggregates kept in step with it.

Every write runs inside the caller's transaction, next to the action that caused it (an
accepted answer, a helpful mark, ...), so a score is never out of step with what happened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from feedserver.models import Evidence
from feedserver.store import evidence_counts, rows
from feedserver.store.db import Connection

_COLUMNS = "member_id, topic, kind, source_id, root_id, group_id, actor_id, value, created_at"


def _params(e: Evidence) -> tuple[object, ...]:
    return (
        e.member_id, e.topic, e.kind, e.source_id, e.root_id, e.group_id, e.actor_id, e.value,
        rows.ts(e.created_at),
    )  # fmt: skip


async def _add(conn: Connection, member_id: str, topic: str, value: float, count: int) -> None:
    await conn.execute(
        "INSERT INTO expertise_scores (member_id, topic, score, evidence_count)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (member_id, topic) DO UPDATE SET"
        " score = expertise_scores.score + excluded.score,"
        " evidence_count = expertise_scores.evidence_count + excluded.evidence_count",
        (member_id, topic, value, count),
    )


async def record(conn: Connection, events: Iterable[Evidence]) -> int:
    """Add evidence (a duplicate is ignored); returns how many rows were new."""
    added: list[Evidence] = []
    for event in events:
        cur = await conn.execute(
            f"INSERT INTO expertise_evidence ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, source_id, member_id, topic, actor_id) DO NOTHING",
            _params(event),
        )
        if cur.rowcount == 1:
            added.append(event)
            await _add(conn, event.member_id, event.topic, event.value, 1)
    await evidence_counts.change(conn, added, +1)
    return len(added)


async def _remove_where(conn: Connection, where: str, params: Sequence[object]) -> list[Evidence]:
    async with conn.execute(
        f"SELECT id, {_COLUMNS} FROM expertise_evidence WHERE {where}", params
    ) as cur:
        found = await cur.fetchall()
    if not found:
        return []
    await conn.executemany(
        "DELETE FROM expertise_evidence WHERE id = ?", [(r["id"],) for r in found]
    )
    removed = [_evidence(r) for r in found]
    await evidence_counts.change(conn, removed, -1)
    totals: dict[tuple[str, str], tuple[float, int]] = {}  # (member, topic): (value, count)
    for r in found:
        key = (r["member_id"], r["topic"])
        value, count = totals.get(key, (0.0, 0))
        totals[key] = (value + r["value"], count + 1)
    for (member_id, topic), (value, count) in totals.items():
        await _add(conn, member_id, topic, -value, -count)
        # Removing the last piece of evidence removes the row, so float residue never lingers
        # as a tiny phantom score.
        await conn.execute(
            "DELETE FROM expertise_scores WHERE member_id = ? AND topic = ?"
            " AND evidence_count <= 0",
            (member_id, topic),
        )
    return removed


def _evidence(r: sqlite3.Row) -> Evidence:
    return Evidence(
        member_id=r["member_id"],
        topic=r["topic"],
        kind=r["kind"],
        source_id=r["source_id"],
        root_id=r["root_id"],
        group_id=r["group_id"],
        actor_id=r["actor_id"],
        value=r["value"],
        created_at=rows.parse_ts(r["created_at"]),
    )


async def remove(
    conn: Connection,
    *,
    kind: str,
    source_id: str,
    member_id: str | None = None,
    actor_id: str | None = None,
    topic: str | None = None,
) -> list[Evidence]:
    """Undo one action's evidence (unaccept, unmark helpful, withdraw an endorsement)."""
    where, params = "kind = ? AND source_id = ?", [kind, source_id]
    if member_id is not None:
        where += " AND member_id = ?"
        params.append(member_id)
    if actor_id is not None:
        where += " AND actor_id = ?"
        params.append(actor_id)
    if topic is not None:
        where += " AND topic = ?"
        params.append(topic)
    return await _remove_where(conn, where, params)


async def remove_for_object(conn: Connection, object_id: str) -> list[Evidence]:
    """Everything a deleted post (and its thread) or page was evidence of."""
    return await _remove_where(conn, "root_id = ? OR source_id = ?", [object_id, object_id])


async def remove_for_root(conn: Connection, root_id: str) -> list[Evidence]:
    """Evidence whose topics come from this post or page (taken out before a retag)."""
    return await _remove_where(conn, "root_id = ?", [root_id])


async def shared_members_with_evidence_in(conn: Connection, group_id: str) -> list[str]:
    """Members with evidence from this group whose profile is shared with partners: the shared
    profiles the group's visibility shapes. Read by the (group_id, member_id) index, so it
    costs what the group holds."""
    async with conn.execute(
        "SELECT DISTINCT e.member_id FROM expertise_evidence e"
        " JOIN profiles p ON p.member_id = e.member_id AND p.sharing = 'partners'"
        " WHERE e.group_id = ? ORDER BY e.member_id",
        (group_id,),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]


async def bulk_insert(conn: Connection, events: Iterable[Evidence]) -> None:
    """Seeding and rebuilds: evidence rows only; follow with rebuild()."""
    await conn.executemany(
        f"INSERT INTO expertise_evidence ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (kind, source_id, member_id, topic, actor_id) DO NOTHING",
        (_params(e) for e in events),
    )


async def rebuild(conn: Connection) -> None:
    """Scores and counts recounted from the evidence (after bulk_insert)."""
    await rebuild_scores(conn)
    await evidence_counts.rebuild(conn)


async def rebuild_scores(conn: Connection) -> None:
    await conn.execute("DELETE FROM expertise_scores")
    await conn.execute(
        "INSERT INTO expertise_scores (member_id, topic, score, evidence_count)"
        " SELECT member_id, topic, SUM(value), COUNT(*) FROM expertise_evidence"
        " GROUP BY member_id, topic"
    )


async def revalue(conn: Connection, value: Callable[[str, datetime], float]) -> None:
    """Recompute every stored value (the half-life or a weight changed), then the scores."""
    async with conn.execute("SELECT id, kind, created_at FROM expertise_evidence") as cur:
        found = await cur.fetchall()
    await conn.executemany(
        "UPDATE expertise_evidence SET value = ? WHERE id = ?",
        [(value(r["kind"], rows.parse_ts(r["created_at"])), r["id"]) for r in found],
    )
    await rebuild_scores(conn)


async def meta(conn: Connection, key: str) -> str | None:
    async with conn.execute("SELECT value FROM expertise_meta WHERE key = ?", (key,)) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def set_meta(conn: Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO expertise_meta (key, value) VALUES (?, ?)"
        " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
