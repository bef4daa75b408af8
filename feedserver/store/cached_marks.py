"""Helpful marks on a copy's posts, as the group's host relays them: a mark id each (the
host's, naming no one), so a repeated relay counts once and an `Undo` names what it takes."""

from __future__ import annotations

from feedserver.store.db import Connection


async def put(conn: Connection, mark_id: str, object_id: str) -> bool:
    """Whether the mark is new."""
    async with conn.execute(
        "INSERT INTO cached_marks (mark_id, object_id) VALUES (?, ?)"
        " ON CONFLICT (mark_id) DO NOTHING RETURNING mark_id",
        (mark_id, object_id),
    ) as cur:
        return await cur.fetchone() is not None


async def drop(conn: Connection, mark_id: str, object_id: str) -> bool:
    """Whether there was such a mark on that post."""
    async with conn.execute(
        "DELETE FROM cached_marks WHERE mark_id = ? AND object_id = ? RETURNING mark_id",
        (mark_id, object_id),
    ) as cur:
        return await cur.fetchone() is not None
