"""Counts of expertise evidence per (topic, member) by kind, by group and by day, kept in step
with expertise_evidence by store/expertise.py in the transaction that writes or deletes it
(tables: migrations/0150_evidence_counts.sql). They let an expert's explanation be summed
from a few rows per member (store/evidence_summary.py) instead of all their evidence.

Nothing here knows who may read what: the counts are split by group and by kind so that the
access policy's scope can decide that at read time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from feedserver.models import Evidence
from feedserver.store import rows
from feedserver.store.db import Connection

# The kind an explanation counts but never names: the rest is "work".
ENDORSEMENT = "endorsement"

# Recount from the evidence itself (seeding and bulk rebuilds; the migration backfills alike).
REBUILD = (
    "DELETE FROM evidence_kind_counts",
    "DELETE FROM evidence_group_counts",
    "DELETE FROM evidence_day_counts",
    "INSERT INTO evidence_kind_counts (topic, member_id, kind, n, groupless)"
    " SELECT topic, member_id, kind, count(*), sum(CASE WHEN group_id IS NULL THEN 1 ELSE 0 END)"
    " FROM expertise_evidence GROUP BY topic, member_id, kind",
    "INSERT INTO evidence_group_counts (topic, member_id, group_id, n, work)"
    " SELECT topic, member_id, group_id, count(*),"
    f" sum(CASE WHEN kind <> '{ENDORSEMENT}' THEN 1 ELSE 0 END)"
    " FROM expertise_evidence WHERE group_id IS NOT NULL GROUP BY topic, member_id, group_id",
    "INSERT INTO evidence_day_counts (topic, member_id, day, kind, n)"
    " SELECT topic, member_id, substr(created_at, 1, 10), kind, count(*)"
    " FROM expertise_evidence GROUP BY topic, member_id, substr(created_at, 1, 10), kind",
)


def day(stamp: str) -> str:
    """The day bucket of a stored timestamp (rows.ts: fixed width, UTC, date first)."""
    return stamp[:10]


async def change(conn: Connection, pieces: Iterable[Evidence], sign: int) -> None:
    """Count pieces of evidence in (sign=1, just inserted) or out (sign=-1, just deleted)."""
    kinds: Counter[tuple[str, str, str]] = Counter()
    groupless: Counter[tuple[str, str, str]] = Counter()
    groups: Counter[tuple[str, str, str]] = Counter()
    work: Counter[tuple[str, str, str]] = Counter()
    days: Counter[tuple[str, str, str, str]] = Counter()
    for e in pieces:
        kinds[(e.topic, e.member_id, e.kind)] += sign
        if e.group_id is None:
            groupless[(e.topic, e.member_id, e.kind)] += sign
        else:
            groups[(e.topic, e.member_id, e.group_id)] += sign
            work[(e.topic, e.member_id, e.group_id)] += sign * (e.kind != ENDORSEMENT)
        days[(e.topic, e.member_id, day(rows.ts(e.created_at)), e.kind)] += sign
    if not kinds:
        return
    await conn.executemany(
        "INSERT INTO evidence_kind_counts (topic, member_id, kind, n, groupless)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, member_id, kind) DO UPDATE SET"
        " n = evidence_kind_counts.n + excluded.n,"
        " groupless = evidence_kind_counts.groupless + excluded.groupless",
        [(*key, n, groupless[key]) for key, n in kinds.items()],
    )
    if groups:
        await conn.executemany(
            "INSERT INTO evidence_group_counts (topic, member_id, group_id, n, work)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (topic, member_id, group_id) DO UPDATE SET"
            " n = evidence_group_counts.n + excluded.n,"
            " work = evidence_group_counts.work + excluded.work",
            [(*key, n, work[key]) for key, n in groups.items()],
        )
    await conn.executemany(
        "INSERT INTO evidence_day_counts (topic, member_id, day, kind, n) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (topic, member_id, day, kind) DO UPDATE SET"
        " n = evidence_day_counts.n + excluded.n",
        [(*key, n) for key, n in days.items()],
    )
    if sign < 0:
        # A count that reaches zero goes, so the rows read per member stay the ones that count.
        await conn.executemany(
            "DELETE FROM evidence_kind_counts WHERE topic = ? AND member_id = ? AND kind = ?"
            " AND n <= 0",
            list(kinds),
        )
        await conn.executemany(
            "DELETE FROM evidence_group_counts WHERE topic = ? AND member_id = ?"
            " AND group_id = ? AND n <= 0",
            list(groups),
        )
        await conn.executemany(
            "DELETE FROM evidence_day_counts WHERE topic = ? AND member_id = ? AND day = ?"
            " AND kind = ? AND n <= 0",
            list(days),
        )


async def rebuild(conn: Connection) -> None:
    for sql in REBUILD:
        await conn.execute(sql)
