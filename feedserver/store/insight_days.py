"""Per-day insight figures (table insight_days): bumped in the write transactions, summed by
reports. A key is (subject, group_id, tag): see migrations/0100_insights.sql."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect

Key = tuple[str, str, str]  # (subject, group_id, tag)
SERVER = "*"  # group_id of the whole server's rows
BUCKETS = 94  # delay buckets per histogram (domain/insight_buckets.BOUNDS)
HISTOGRAMS = {"first_delay": "f", "accept_delay": "a", "routed_delay": "r"}  # name -> prefix
COUNTERS = (
    "asked", "answered", "answered_in_week", "accepted", "routed", "routed_answered",
    "answers_given", "answers_accepted", "helpful", "page_edits",
)  # fmt: skip


def _columns(prefix: str) -> list[str]:
    return [f"{prefix}{i:02d}" for i in range(BUCKETS)]


_KNOWN = frozenset((*COUNTERS, *(c for p in HISTOGRAMS.values() for c in _columns(p))))


def histogram_column(histogram: str, index: int) -> str:
    return _columns(HISTOGRAMS[histogram])[index]


async def add(conn: Connection, keys: Iterable[Key], day: str, deltas: dict[str, int]) -> None:
    """Add each of `deltas` (column -> amount) to each key's row for `day` (made when
    missing): one statement per key, whatever the number of columns."""
    columns = sorted(c for c, n in deltas.items() if n)
    if not columns:
        return
    if not _KNOWN.issuperset(columns):  # names go into the SQL text: only known ones
        raise ValueError(columns)
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    updates = ", ".join(f"{c} = insight_days.{c} + excluded.{c}" for c in columns)
    await conn.executemany(
        f"INSERT INTO insight_days (subject, group_id, tag, day, {names})"
        f" VALUES (?, ?, ?, ?, {marks}) ON CONFLICT (subject, group_id, tag, day)"
        f" DO UPDATE SET {updates}",
        [(*key, day, *(deltas[c] for c in columns)) for key in keys],
    )


# The Monday of a row's day, in SQL: sums by week happen in the database, not in Python.
_WEEK = "date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days')"
_WEEK_PG = "to_char(date_trunc('week', CAST(day AS date)), 'YYYY-MM-DD')"  # ISO weeks: Monday
_SUMS = ", ".join(
    f"sum({c})" for c in (*COUNTERS, *(c for p in HISTOGRAMS.values() for c in _columns(p)))
)


# week -> {counter: [n]} and {histogram name: [count per bucket]}, summed over the keys
Weeks = dict[str, dict[str, list[int]]]


async def by_week(
    conn: Connection, keys: Sequence[Key], first: str, last: str, settled_through: str
) -> Weeks:
    """The figures of these keys from day `first` to `last`, summed per week by SQLite, one
    primary-key range per key; `settled_asked` and `settled_in_week` count only the days up
    to `settled_through` (old enough to say whether a question was answered within 7 days)."""
    weeks: Weeks = {}
    week_of = _WEEK_PG if dialect(conn) == POSTGRESQL else _WEEK
    sql = (
        f"SELECT {week_of} AS week, sum(CASE WHEN day <= ? THEN asked ELSE 0 END),"
        f" sum(CASE WHEN day <= ? THEN answered_in_week ELSE 0 END), {_SUMS}"
        " FROM insight_days WHERE subject = ? AND group_id = ? AND tag = ?"
        " AND day BETWEEN ? AND ? GROUP BY week"
    )
    for key in keys:
        async with conn.execute(sql, (settled_through, settled_through, *key, first, last)) as cur:
            for row in await cur.fetchall():
                week = weeks.setdefault(row[0], {})
                values = [int(v) for v in row[1:]]
                parts: dict[str, list[int]] = {
                    "settled_asked": values[0:1],
                    "settled_in_week": values[1:2],
                }
                at = 2
                for name in COUNTERS:
                    parts[name], at = values[at : at + 1], at + 1
                for name in HISTOGRAMS:
                    parts[name], at = values[at : at + BUCKETS], at + BUCKETS
                for name, counts in parts.items():
                    total = week.setdefault(name, [0] * len(counts))
                    for index, count in enumerate(counts):
                        total[index] += count
    return weeks


async def tag_counts(
    conn: Connection, group_ids: Sequence[str], first: str, last: str
) -> dict[str, int]:
    """Questions asked per tag in these groups' rows (or SERVER's) over the days."""
    counts: dict[str, int] = {}
    # SQLite is told the covering index by day (it would pick the primary key's tag order);
    # PostgreSQL has no such clause and plans it itself.
    indexed = "" if dialect(conn) == POSTGRESQL else " INDEXED BY insight_days_by_day"
    for group_id in group_ids:
        async with conn.execute(
            f"SELECT tag, sum(asked) FROM insight_days{indexed}"
            " WHERE subject = '' AND group_id = ? AND day BETWEEN ? AND ? AND tag <> ''"
            " GROUP BY tag",
            (group_id, first, last),
        ) as cur:
            for tag, asked in await cur.fetchall():
                counts[tag] = counts.get(tag, 0) + int(asked)
    return counts


async def member_groups(conn: Connection, member_id: str, first: str, last: str) -> list[str]:
    """The groups in which this member has figures of their own over the days."""
    async with conn.execute(
        "SELECT DISTINCT group_id FROM insight_days WHERE subject = ? AND tag = ''"
        " AND day BETWEEN ? AND ?",
        (member_id, first, last),
    ) as cur:
        return [r[0] for r in await cur.fetchall()]
