"""What a knowledge gap needs to know about a topic: the best local score and the partner
servers whose shared profiles have evidence on it. Both are index reads per topic."""

from __future__ import annotations

from typing import Any

from feedserver.store.db import Connection


async def top_stored_score(conn: Connection, topic: str) -> float | None:
    async with conn.execute(
        "SELECT score FROM expertise_scores WHERE topic = ? ORDER BY score DESC LIMIT 1",
        (topic,),
    ) as cur:
        row = await cur.fetchone()
    return float(row[0]) if row else None


async def partner_experts(conn: Connection, topic: str) -> list[dict[str, Any]]:
    """Per partner: its name, base URL and how many of its shared profiles have evidence."""
    async with conn.execute(
        "SELECT p.name AS organization, p.base_url AS server, count(*) AS experts"
        " FROM partner_profile_topics t JOIN partner_profiles pp ON pp.object_id = t.object_id"
        " JOIN partners p ON p.host = pp.host"
        " WHERE t.topic = ? AND t.evidence_count > 0"
        " GROUP BY p.host ORDER BY experts DESC, p.host",
        (topic,),
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
