"""What explains an expert's score, at a cost that grows with the page, not with the evidence.

Counts come from the tables store/evidence_counts.py keeps in step with the evidence: per
member, a row per kind (every piece; those without a group), per group (readable or not is
the scope's call on the group) and per day (the recent ones). Only the first day of the
recent window is counted from the evidence itself, since it is partly in the window. Then the
newest few readable pieces of work are read in full: from the member's newest evidence, or,
when that is mostly in groups the viewer may not read, group by group. Summing every piece of
evidence of the listed experts cost ~300 ms of CPU for the most common topic at a million
posts (bench/scale.py).

Readability is the access policy's, passed in as scopes (store/scope.group_condition); this
module decides nothing itself."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from feedserver.models import EvidenceSeen, ReadScope
from feedserver.store import evidence_copies, rows
from feedserver.store.db import Connection
from feedserver.store.directory import groupless_condition
from feedserver.store.evidence_counts import ENDORSEMENT, day
from feedserver.store.scope import group_condition

# How many of a member's newest pieces of evidence are looked at before going group by group.
NEWEST_WINDOW = 4


@dataclass
class EvidenceSummary:
    counts: Counter[str] = field(default_factory=Counter)  # every piece, by kind
    recent: Counter[str] = field(default_factory=Counter)  # those since `since`, by kind
    hidden: int = 0  # pieces the viewer may not read: counted, never described
    listed: list[EvidenceSeen] = field(default_factory=list)  # newest readable work, a few
    readable_work: int = 0  # pieces of work in groups the viewer may read


async def summaries(
    conn: Connection, scope: ReadScope, topic: str, member_ids: list[str], *,
    groupless: tuple[str, ...] | None, since: datetime, listed: int,
    copies_of: str | None = None,
) -> dict[str, EvidenceSummary]:  # fmt: skip
    """Per member: counts by kind, recent counts, hidden count, and the newest `listed`
    readable pieces of work (not endorsements) in a group, with their titles. `copies_of`:
    the member whose copies of partners' groups make the evidence earned there readable
    (access.copy_evidence_reader)."""
    found = {member_id: EvidenceSummary() for member_id in member_ids}
    if not member_ids:
        return found
    marks = ", ".join("?" for _ in member_ids)
    await _by_kind(conn, found, topic, marks, groupless)
    await _by_group(conn, found, scope, topic, marks)
    await _recent(conn, found, topic, marks, rows.ts(since))
    in_copies = await _in_copies(conn, found, copies_of, topic)
    if listed:
        in_group, params = group_condition(scope, "e.group_id", "g.visibility")
        for member_id, summary in found.items():
            if summary.readable_work:
                summary.listed = await _newest_readable(
                    conn, in_group, params, topic, member_id, summary, listed
                )
            if in_copies.get(member_id) and copies_of is not None:
                more = await evidence_copies.newest(conn, copies_of, topic, member_id, listed)
                both = sorted([*summary.listed, *more], key=lambda e: e.created_at, reverse=True)
                summary.listed = both[:listed]
    return found


async def _in_copies(
    conn: Connection, found: dict[str, EvidenceSummary], reader_id: str | None, topic: str
) -> dict[str, int]:
    """Evidence earned in partners' groups the reader reads here: no longer hidden."""
    if reader_id is None:
        return {}
    counted = await evidence_copies.counts(conn, reader_id, topic, list(found))
    for member_id, n in counted.items():
        found[member_id].hidden = max(0, found[member_id].hidden - n)
    return counted


async def _by_kind(
    conn: Connection, found: dict[str, EvidenceSummary], topic: str, marks: str,
    groupless: tuple[str, ...] | None,
) -> None:  # fmt: skip
    # Evidence without a group is readable by its kind (access.groupless_kinds).
    readable, params = groupless_condition(groupless)
    counted = await conn.execute_fetchall(
        "SELECT e.member_id, e.kind, e.n,"
        f" (CASE WHEN {readable} THEN 0 ELSE e.groupless END) AS hidden"
        f" FROM evidence_kind_counts e WHERE e.topic = ? AND e.member_id IN ({marks})",
        (*params, topic, *found),
    )
    for r in counted:
        summary = found[r["member_id"]]
        summary.counts[r["kind"]] += r["n"]
        summary.hidden += r["hidden"]


async def _by_group(
    conn: Connection, found: dict[str, EvidenceSummary], scope: ReadScope, topic: str,
    marks: str,
) -> None:  # fmt: skip
    # Summed in SQL: a row per member comes back, however many groups they have evidence in.
    readable, params = group_condition(scope, "e.group_id", "g.visibility")
    counted = await conn.execute_fetchall(
        "SELECT q.member_id, sum((1 - q.readable) * q.n) AS hidden,"
        " sum(q.readable * q.work) AS work FROM ("
        f" SELECT e.member_id, e.n, e.work, (CASE WHEN {readable} THEN 1 ELSE 0 END) AS readable"
        " FROM evidence_group_counts e JOIN groups g ON g.id = e.group_id"
        f" WHERE e.topic = ? AND e.member_id IN ({marks})) q GROUP BY q.member_id",
        (*params, topic, *found),
    )
    for r in counted:
        summary = found[r["member_id"]]
        summary.hidden += r["hidden"]
        summary.readable_work = r["work"]


async def _recent(
    conn: Connection, found: dict[str, EvidenceSummary], topic: str, marks: str, since: str
) -> None:
    # Whole days after the first come from the day counts; the first day is partly in the
    # window, so its pieces at or after `since` are counted one by one (one day of evidence,
    # by the (topic, member_id, created_at) index).
    first = day(since)
    after = (date.fromisoformat(first) + timedelta(days=1)).isoformat()
    counted = list(await conn.execute_fetchall(
        "SELECT member_id, kind, sum(n) AS n FROM evidence_day_counts"
        f" WHERE topic = ? AND member_id IN ({marks}) AND day > ? GROUP BY member_id, kind",
        (topic, *found, first),
    ))  # fmt: skip
    counted += await conn.execute_fetchall(
        "SELECT member_id, kind, count(*) AS n FROM expertise_evidence"
        f" WHERE topic = ? AND member_id IN ({marks}) AND created_at >= ? AND created_at < ?"
        " GROUP BY member_id, kind",
        (topic, *found, since, after),
    )
    for r in counted:
        found[r["member_id"]].recent[r["kind"]] += r["n"]


def _seen(source: str, where: str) -> str:
    """The newest pieces of work of `source` (aliased e) matching `where`, then their titles:
    looked up for those few only."""
    return (
        "SELECT w.kind, w.created_at, w.root_id, w.source_id, w.group_name,"
        " COALESCE(rp.title, pg.title) AS title, pg.slug AS page_slug FROM ("
        " SELECT e.kind, e.created_at, e.root_id, e.source_id, g.name AS group_name"
        f" FROM {source} JOIN groups g ON g.id = e.group_id"
        f" WHERE {where} AND e.kind <> '{ENDORSEMENT}' ORDER BY e.created_at DESC LIMIT ?) AS w"
        " LEFT JOIN posts rp ON rp.id = w.root_id LEFT JOIN pages pg ON pg.id = w.root_id"
        " ORDER BY w.created_at DESC"
    )


async def _newest_readable(
    conn: Connection, readable: str, params: list[object], topic: str, member_id: str,
    summary: EvidenceSummary, limit: int,
) -> list[EvidenceSeen]:  # fmt: skip
    # First the member's newest few pieces, whatever their group: usually enough. If they are
    # not, and there is more readable work than they held, the newest of each readable group
    # (by the (topic, member_id, group_id, created_at) index): groups x limit rows at most.
    window = limit * NEWEST_WINDOW
    newest = (
        "(SELECT kind, created_at, root_id, source_id, group_id FROM expertise_evidence"
        " WHERE topic = ? AND member_id = ?"
        " ORDER BY created_at DESC LIMIT ?) AS e"
    )
    found = list(
        await conn.execute_fetchall(
            _seen(newest, readable), (topic, member_id, window, *params, limit)
        )
    )
    covered = sum(summary.counts.values()) <= window
    if len(found) < limit and not covered and summary.readable_work > len(found):
        groups = await conn.execute_fetchall(
            "SELECT e.group_id FROM evidence_group_counts e JOIN groups g ON g.id = e.group_id"
            f" WHERE e.topic = ? AND e.member_id = ? AND e.work > 0 AND {readable}",
            (topic, member_id, *params),
        )
        in_one_group = _seen(
            "expertise_evidence e",
            f"e.topic = ? AND e.member_id = ? AND e.group_id = ? AND {readable}",
        )
        found = []
        for (group_id,) in groups:
            found += await conn.execute_fetchall(
                in_one_group, (topic, member_id, group_id, *params, limit)
            )
        found.sort(key=lambda r: r["created_at"], reverse=True)
        found = found[:limit]
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
