"""What explains an expert's score, at a cost that grows with the page, not with the evidence:
counts per kind (recent or not, readable or not) summed in SQL, and only the newest few
readable items per member read in full. Reading every piece of evidence of the listed experts
cost ~1.4 s of CPU for the most common topic at a million posts (bench/scale.py).

Readability is the access policy's, passed in as scopes (store/scope.group_condition); this
module decides nothing itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from feedserver.models import EvidenceSeen, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.directory import groupless_condition
from feedserver.store.scope import group_condition


@dataclass
class EvidenceSummary:
    counts: Counter[str] = field(default_factory=Counter)  # every piece, by kind
    recent: Counter[str] = field(default_factory=Counter)  # those since `since`, by kind
    hidden: int = 0  # pieces the viewer may not read: counted, never described
    listed: list[EvidenceSeen] = field(default_factory=list)  # newest readable work, a few


def _readable(scope: ReadScope, groupless: tuple[str, ...] | None) -> tuple[str, list[object]]:
    """SQL truth value (0/1) of 'the viewer may read this piece of evidence' over `e` and `g`."""
    in_group, group_params = group_condition(scope, "e.group_id", "g.visibility")
    no_group, no_group_params = groupless_condition(groupless)
    sql = f"CASE WHEN e.group_id IS NULL THEN {no_group} ELSE {in_group} END"
    return sql, [*no_group_params, *group_params]


async def summaries(
    conn: Connection, scope: ReadScope, topic: str, member_ids: list[str], *,
    groupless: tuple[str, ...] | None, since: datetime, listed: int,
) -> dict[str, EvidenceSummary]:  # fmt: skip
    """Per member: counts by kind, recent counts, hidden count, and the newest `listed`
    readable pieces of work (not endorsements) in a group, with their titles."""
    found = {member_id: EvidenceSummary() for member_id in member_ids}
    if not member_ids:
        return found
    readable, readable_params = _readable(scope, groupless)
    marks = ", ".join("?" for _ in member_ids)
    counted = await conn.execute_fetchall(
        "SELECT q.member_id, q.kind, q.readable, q.recent, count(*) AS n FROM ("
        f" SELECT e.member_id, e.kind, (CASE WHEN {readable} THEN 1 ELSE 0 END) AS readable,"
        " (CASE WHEN e.created_at >= ? THEN 1 ELSE 0 END) AS recent"
        " FROM expertise_evidence e LEFT JOIN groups g ON g.id = e.group_id"
        f" WHERE e.topic = ? AND e.member_id IN ({marks})"
        ") q GROUP BY q.member_id, q.kind, q.readable, q.recent",
        (*readable_params, rows.ts(since), topic, *member_ids),
    )
    for r in counted:
        summary = found[r["member_id"]]
        summary.counts[r["kind"]] += r["n"]
        if r["recent"]:
            summary.recent[r["kind"]] += r["n"]
        if not r["readable"]:
            summary.hidden += r["n"]
    for member_id in member_ids:
        if listed and sum(found[member_id].counts.values()) > found[member_id].hidden:
            found[member_id].listed = await _newest_readable(
                conn, readable, readable_params, topic, member_id, listed
            )
    return found


async def _newest_readable(
    conn: Connection, readable: str, params: list[object], topic: str, member_id: str,
    limit: int,
) -> list[EvidenceSeen]:  # fmt: skip
    # Walks the (topic, member_id, created_at) index newest first and stops at `limit`.
    found = await conn.execute_fetchall(
        "SELECT e.kind, e.created_at, e.root_id, e.source_id, g.name AS group_name,"
        " COALESCE(rp.title, pg.title) AS title, pg.slug AS page_slug"
        " FROM expertise_evidence e JOIN groups g ON g.id = e.group_id"
        " LEFT JOIN posts rp ON rp.id = e.root_id LEFT JOIN pages pg ON pg.id = e.root_id"
        f" WHERE e.topic = ? AND e.member_id = ? AND e.kind <> 'endorsement' AND {readable}"
        " ORDER BY e.created_at DESC LIMIT ?",
        (topic, member_id, *params, limit),
    )
    return [
        EvidenceSeen(
            member_id=member_id,
            kind=r["kind"],
            created_at=rows.parse_ts(r["created_at"]),
            readable=True,
            root_id=r["root_id"],
            source_id=r["source_id"],
            group_name=r["group_name"],
            title=r["title"],
            page_slug=r["page_slug"],
        )  # fmt: skip
        for r in found
    ]
