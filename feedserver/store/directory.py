"""The expertise directory: members ranked on a topic, and the evidence behind each score.

Both queries are filtered by the scopes the access policy gave (profiles the viewer may see,
groups the viewer may read); this module decides nothing itself.
"""

from __future__ import annotations

import sqlite3

from feedserver.models import EvidenceSeen, ProfileScope, ReadScope, TopicScore
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition, profile_condition

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


def _groupless_condition(kinds: tuple[str, ...] | None) -> tuple[str, list[object]]:
    if kinds is None:
        return "1 = 1", []
    if not kinds:
        return "0 = 1", []
    return f"e.kind IN ({', '.join('?' for _ in kinds)})", list(kinds)


async def evidence(
    conn: Connection, scope: ReadScope, topic: str, member_ids: list[str], *,
    groupless: tuple[str, ...] | None,
) -> list[EvidenceSeen]:  # fmt: skip
    """Every piece of evidence of these members on a topic, newest first. Titles, groups and
    ids come back only where the read scope allows; elsewhere they are NULL. Evidence with no
    group is readable only for the kinds in `groupless` (None: every kind), as the access
    policy says (access.groupless_kinds)."""
    if not member_ids:
        return []
    in_group, group_params = group_condition(scope, "e.group_id", "g.visibility")
    no_group, no_group_params = _groupless_condition(groupless)
    marks = ", ".join("?" for _ in member_ids)
    inner = (
        "SELECT e.member_id, e.kind, e.created_at, e.group_id, e.root_id, e.source_id,"
        " g.name AS gname, COALESCE(rp.title, pg.title) AS ptitle, pg.slug AS pslug,"
        f" (CASE WHEN e.group_id IS NULL THEN {no_group} ELSE {in_group} END) AS readable"
        " FROM expertise_evidence e LEFT JOIN groups g ON g.id = e.group_id"
        " LEFT JOIN posts rp ON rp.id = e.root_id LEFT JOIN pages pg ON pg.id = e.root_id"
        f" WHERE e.topic = ? AND e.member_id IN ({marks})"
    )
    linked = "q.readable AND q.group_id IS NOT NULL"
    sql = (
        "SELECT q.member_id, q.kind, q.created_at, q.readable,"
        f" CASE WHEN {linked} THEN q.root_id END AS root_id,"
        f" CASE WHEN {linked} THEN q.source_id END AS source_id,"
        f" CASE WHEN {linked} THEN q.gname END AS group_name,"
        f" CASE WHEN {linked} THEN q.ptitle END AS title,"
        f" CASE WHEN {linked} THEN q.pslug END AS page_slug"
        f" FROM ({inner}) q ORDER BY q.created_at DESC"
    )
    args = [*no_group_params, *group_params, topic, *member_ids]
    async with conn.execute(sql, args) as cur:
        return [
            EvidenceSeen(
                member_id=r["member_id"], kind=r["kind"],
                created_at=rows.parse_ts(r["created_at"]), readable=bool(r["readable"]),
                root_id=r["root_id"], source_id=r["source_id"], group_name=r["group_name"],
                title=r["title"], page_slug=r["page_slug"],
            )
            for r in await cur.fetchall()
        ]  # fmt: skip
