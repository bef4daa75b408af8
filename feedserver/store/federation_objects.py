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


async def drop_post_object(conn: Connection, post_id: str) -> None:
    await conn.execute("DELETE FROM post_objects WHERE post_id = ?", (post_id,))


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


async def partner_ranked(
    conn: Connection, topic: str, *, evidenced: bool, words: list[str],
    after: tuple[int, str] | None, limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Partners' profiles on `topic`, most evidence first (then by id), keyset-paged after
    (count, object id); `evidenced` picks those with a count above zero, or those without."""
    count, last = after if after is not None else (None, "")
    text = "".join(" AND lower(pp.name || ' ' || pp.summary) LIKE ? ESCAPE '\\'" for _ in words)
    likes = [
        "%" + w.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for w in words
    ]
    async with conn.execute(
        "SELECT pp.*, t.evidence_count, p.name AS organization, p.base_url"
        " FROM partner_profile_topics t JOIN partner_profiles pp ON pp.object_id = t.object_id"
        " JOIN partners p ON p.host = pp.host"
        " WHERE t.topic = ? AND (CASE WHEN t.evidence_count > 0 THEN 1 ELSE 0 END) = ?"
        " AND (? IS NULL OR t.evidence_count < ? OR (t.evidence_count = ? AND t.object_id > ?))"
        " AND (? IS NOT NULL OR t.object_id > ?)"
        f"{text} ORDER BY t.evidence_count DESC, t.object_id LIMIT ?",
        (topic, int(evidenced), count, count, count, last, count, last, *likes, limit),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
