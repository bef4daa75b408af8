"""The expertise directory: members ranked on a topic (what explains each score is in
store/evidence_summary.py).

Both queries are filtered by the scopes the access policy gave (profiles the viewer may see,
groups the viewer may read); this module decides nothing itself.
"""

from __future__ import annotations

import sqlite3

from feedserver.models import ProfileScope, TopicScore
from feedserver.store.db import Connection
from feedserver.store.scope import profile_condition

_ENTRY = (
    "m.id AS member_id, m.username, m.display_name, COALESCE(p.headline, '') AS headline,"
    " COALESCE(p.field, '') AS field, COALESCE(p.team, '') AS team,"
    " COALESCE(p.location, '') AS location, t.level"
)
_SHARING = "COALESCE(p.sharing, 'org')"
_TEXT = (
    "lower(m.username || ' ' || m.display_name || ' ' || COALESCE(p.headline, '') || ' ' ||"
    " COALESCE(p.field, '') || ' ' || COALESCE(p.team, '') || ' ' || COALESCE(p.location, ''))"
)


def _text_filter(words: list[str]) -> tuple[str, list[object]]:
    # Free text narrows the ranked list to profiles mentioning every word; the scan still runs
    # in score order, so it stops as soon as a page is full.
    if not words:
        return "", []
    escaped = [
        w.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") for w in words
    ]
    return (
        "".join(f" AND {_TEXT} LIKE ? ESCAPE '\\'" for _ in escaped),
        [f"%{w}%" for w in escaped],
    )


def _entry(r: sqlite3.Row, topic: str, score: float, count: int) -> TopicScore:
    return TopicScore(
        member_id=r["member_id"], username=r["username"], display_name=r["display_name"],
        topic=topic, stored_score=score, evidence_count=count, level=r["level"],
        headline=r["headline"], field=r["field"], team=r["team"], location=r["location"],
    )  # fmt: skip


async def ranked(
    conn: Connection,
    scope: ProfileScope,
    topic: str,
    *,
    words: list[str],
    after: tuple[float, str] | None,
    limit: int,
    exclude: str | None = None,
) -> list[TopicScore]:
    """Evidenced members of a topic, best first, read in index order (topic, score DESC)."""
    where, params = profile_condition(scope, "s.member_id", _SHARING)
    text, text_params = _text_filter(words)
    sql = (
        f"SELECT {_ENTRY}, s.score, s.evidence_count FROM expertise_scores s"
        " JOIN members m ON m.id = s.member_id"
        " LEFT JOIN profiles p ON p.member_id = s.member_id"
        " LEFT JOIN profile_topics t ON t.member_id = s.member_id AND t.topic = s.topic"
        f" WHERE s.topic = ? AND {where}{text}"
    )
    args: list[object] = [topic, *params, *text_params]
    if after is not None:
        sql += " AND (s.score < ? OR (s.score = ? AND s.member_id > ?))"
        args += [after[0], after[0], after[1]]
    if exclude is not None:
        sql += " AND s.member_id <> ?"
        args.append(exclude)
    sql += " ORDER BY s.score DESC, s.member_id LIMIT ?"
    args.append(limit)
    async with conn.execute(sql, args) as cur:
        return [_entry(r, topic, r["score"], r["evidence_count"]) for r in await cur.fetchall()]


async def declared_only(
    conn: Connection,
    scope: ProfileScope,
    topic: str,
    *,
    words: list[str],
    after: str | None,
    limit: int,
) -> list[TopicScore]:
    """Members who declared a topic but have no evidence on it yet, by member id."""
    where, params = profile_condition(scope, "t.member_id", _SHARING)
    text, text_params = _text_filter(words)
    sql = (
        f"SELECT {_ENTRY} FROM profile_topics t JOIN members m ON m.id = t.member_id"
        " LEFT JOIN profiles p ON p.member_id = t.member_id"
        f" WHERE t.topic = ? AND t.member_id > ? AND {where}{text}"
        " AND NOT EXISTS (SELECT 1 FROM expertise_scores s"
        " WHERE s.member_id = t.member_id AND s.topic = t.topic)"
        " ORDER BY t.member_id LIMIT ?"
    )
    async with conn.execute(sql, [topic, after or "", *params, *text_params, limit]) as cur:
        return [_entry(r, topic, 0.0, 0) for r in await cur.fetchall()]


async def member_topics(
    conn: Connection, member_id: str, limit: int
) -> list[tuple[str, float, int]]:
    """(topic, stored score, evidence count) of one member, best first."""
    async with conn.execute(
        "SELECT topic, score, evidence_count FROM expertise_scores WHERE member_id = ?"
        " ORDER BY score DESC LIMIT ?",
        (member_id, limit),
    ) as cur:
        return [(r[0], r[1], r[2]) for r in await cur.fetchall()]


def groupless_condition(kinds: tuple[str, ...] | None) -> tuple[str, list[object]]:
    if kinds is None:
        return "1 = 1", []
    if not kinds:
        return "0 = 1", []
    return f"e.kind IN ({', '.join('?' for _ in kinds)})", list(kinds)
