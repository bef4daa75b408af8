"""Signed ActivityStreams objects: our posts' (made once, proof inside) and partners' profiles."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from feedserver.store import rows
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


async def put_partner_profile(
    conn: Connection, *, object_id: str, host: str, actor_id: str, name: str, summary: str,
    topics: list[str], obj: dict[str, Any], now: datetime,
) -> None:  # fmt: skip
    await conn.execute(
        "INSERT INTO partner_profiles (object_id, host, actor_id, name, summary, topics, object,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (object_id) DO UPDATE SET"
        " actor_id = excluded.actor_id, name = excluded.name, summary = excluded.summary,"
        " topics = excluded.topics, object = excluded.object, updated_at = excluded.updated_at"
        " WHERE partner_profiles.host = excluded.host",
        (object_id, host, actor_id, name, summary, " ".join(topics),
         json.dumps(obj, ensure_ascii=False), rows.ts(now)),
    )  # fmt: skip


async def delete_partner_profile(conn: Connection, host: str, object_id: str) -> None:
    await conn.execute(
        "DELETE FROM partner_profiles WHERE host = ? AND object_id = ?", (host, object_id)
    )


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
