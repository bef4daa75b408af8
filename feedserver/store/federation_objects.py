"""Signed ActivityStreams objects: our posts' (made once, proof inside) and partners' profiles."""

from __future__ import annotations

import json
from typing import Any

from feedserver.store.db import Connection


async def put_post_object(conn: Connection, post_id: str, obj: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO post_objects (post_id, object) VALUES (?, ?)"
        " ON CONFLICT (post_id) DO UPDATE SET object = excluded.object",
        (post_id, json.dumps(obj, ensure_ascii=False, separators=(",", ":"))),
    )


async def post_object(conn: Connection, post_id: str) -> dict[str, Any] | None:
    async with conn.execute("SELECT object FROM post_objects WHERE post_id = ?", (post_id,)) as c:
        row = await c.fetchone()
    return json.loads(row[0]) if row else None


async def put_page_object(conn: Connection, page_id: str, obj: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO page_objects (page_id, object) VALUES (?, ?)"
        " ON CONFLICT (page_id) DO UPDATE SET object = excluded.object",
        (page_id, json.dumps(obj, ensure_ascii=False, separators=(",", ":"))),
    )


async def page_object(conn: Connection, page_id: str) -> dict[str, Any] | None:
    async with conn.execute("SELECT object FROM page_objects WHERE page_id = ?", (page_id,)) as c:
        row = await c.fetchone()
    return json.loads(row[0]) if row else None


async def partner_profiles(conn: Connection, topic: str | None = None) -> list[dict[str, Any]]:
    """Cached partner profiles with the partner's name and server, optionally by topic."""
    async with conn.execute(
        "SELECT pp.*, p.name AS organization, p.base_url FROM partner_profiles pp"
        " JOIN partners p ON p.host = pp.host"
        " WHERE ? IS NULL OR (' ' || pp.topics || ' ') LIKE ('% ' || ? || ' %')"
        " ORDER BY pp.name",
        (topic, topic),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
