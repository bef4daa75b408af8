"""Per-day insight figures (table insight_days): bumped in the write transactions, summed by
reports. A key is (subject, group_id, tag): see migrations/0100_insights.sql."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from feedserver.store.db import Connection

Key = tuple[str, str, str]  # (subject, group_id, tag)
SERVER = "*"  # group_id of the whole server's rows

COUNTERS = frozenset({
    "asked", "answered", "accepted", "routed", "routed_answered", "answers_given",
    "answers_accepted", "helpful", "page_edits",
})  # fmt: skip
HISTOGRAMS = frozenset({"first_hist", "accept_hist", "routed_hist"})


async def bump(conn: Connection, keys: Iterable[Key], day: str, column: str, delta: int) -> None:
    """Add `delta` to one counter of each key's row for `day` (made when missing)."""
    if column not in COUNTERS:  # names go into the SQL text: only known ones
        raise ValueError(column)
    await conn.executemany(
        f"INSERT INTO insight_days (subject, group_id, tag, day, {column}) VALUES (?, ?, ?, ?, ?)"
        f" ON CONFLICT DO UPDATE SET {column} = {column} + excluded.{column}",
        [(*key, day, delta) for key in keys],
    )


async def bump_histogram(
    conn: Connection, keys: Iterable[Key], day: str, column: str, bound: int, delta: int
) -> None:
    """Add `delta` to the bucket `bound` of one histogram of each key's row for `day`."""
    if column not in HISTOGRAMS:
        raise ValueError(column)
    path = f'$."{int(bound)}"'
    await conn.executemany(
        f"INSERT INTO insight_days (subject, group_id, tag, day, {column})"
        " VALUES (?, ?, ?, ?, json_object(?, ?))"
        f" ON CONFLICT DO UPDATE SET {column} ="
        f" json_set({column}, ?, coalesce(json_extract({column}, ?), 0) + ?)",
        [(*key, day, str(int(bound)), delta, path, path, delta) for key in keys],
    )


def _row(r: Any) -> dict[str, Any]:
    found = dict(r)
    for column in HISTOGRAMS:
        found[column] = {int(k): int(v) for k, v in json.loads(found[column]).items() if v}
    return found


async def days(
    conn: Connection, keys: Sequence[Key], first: str, last: str
) -> list[dict[str, Any]]:
    """Every row of these keys from day `first` to `last` (inclusive): one primary-key range
    per key."""
    found: list[dict[str, Any]] = []
    for subject, group_id, tag in keys:
        async with conn.execute(
            "SELECT * FROM insight_days WHERE subject = ? AND group_id = ? AND tag = ?"
            " AND day BETWEEN ? AND ?",
            (subject, group_id, tag, first, last),
        ) as cur:
            found += [_row(r) for r in await cur.fetchall()]
    return found


async def tag_counts(
    conn: Connection, group_ids: Sequence[str], first: str, last: str
) -> dict[str, int]:
    """Questions asked per tag in these groups' rows (or SERVER's) over the days."""
    counts: dict[str, int] = {}
    for group_id in group_ids:
        async with conn.execute(
            "SELECT tag, sum(asked) FROM insight_days WHERE subject = '' AND group_id = ?"
            " AND day BETWEEN ? AND ? AND tag <> '' GROUP BY tag",
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
