"""What a knowledge gap needs to know about topics: the best local score of each and the
partner servers whose shared profiles have evidence on it. One indexed read per question
asked of the database, whatever the number of topics (at most a page of them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from feedserver.store.db import Connection


def _marks(items: Sequence[str]) -> str:
    return ", ".join("?" for _ in items)


async def top_stored_scores(conn: Connection, topics: Sequence[str]) -> dict[str, float]:
    """The highest stored score per topic (topics nobody has evidence on are missing)."""
    if not topics:
        return {}
    async with conn.execute(
        "SELECT topic, max(score) FROM expertise_scores"
        f" WHERE topic IN ({_marks(topics)}) GROUP BY topic",
        list(topics),
    ) as cur:
        return {r[0]: float(r[1]) for r in await cur.fetchall()}


async def partner_experts(
    conn: Connection, topics: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Per topic, per partner: its name, base URL and how many of its shared profiles have
    evidence on the topic, most first."""
    found: dict[str, list[dict[str, Any]]] = {t: [] for t in topics}
    if not topics:
        return found
    async with conn.execute(
        "SELECT t.topic, p.name AS organization, p.base_url AS server, count(*) AS experts"
        " FROM partner_profile_topics t JOIN partner_profiles pp ON pp.object_id = t.object_id"
        " JOIN partners p ON p.host = pp.host"
        f" WHERE t.topic IN ({_marks(topics)}) AND t.evidence_count > 0"
        " GROUP BY t.topic, p.host ORDER BY t.topic, experts DESC, p.host",
        list(topics),
    ) as cur:
        for r in await cur.fetchall():
            found[r[0]].append({"organization": r[1], "server": r[2], "experts": int(r[3])})
    return found
