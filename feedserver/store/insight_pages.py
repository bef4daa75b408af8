"""FAQ pages by readers and by edits, per page and day (table insight_pages, migration
0161): written in batches (reads) and in the revisions' transactions (edits), summed per
page over a period for a report."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from feedserver.store.db import Connection

_ADD = (
    "INSERT INTO insight_pages (page_id, day, group_id, readers, views, edits)"
    " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (page_id, day) DO UPDATE SET"
    " readers = insight_pages.readers + excluded.readers,"
    " views = insight_pages.views + excluded.views, edits = insight_pages.edits + excluded.edits"
)


async def add_reads(conn: Connection, reads: Iterable[tuple[str, str, str, int, int]]) -> None:
    """Add (page id, day, group id, readers, views) to each page's row for the day."""
    await conn.executemany(_ADD, [(*r[:3], r[3], r[4], 0) for r in reads])


async def add_edits(conn: Connection, page_id: str, group_id: str, day: str, edits: int) -> None:
    await conn.execute(_ADD, (page_id, day, group_id, 0, 0, edits))


async def by_page(
    conn: Connection, group_ids: Sequence[str] | None, first: str, last: str, tag: str | None
) -> list[dict[str, Any]]:
    """Each page of these groups (None: every group) read or edited over the days, with its
    sums, most read first: bounded by the pages active in the period, not by the posts.
    Only pages that still exist; with `tag`, only pages carrying it."""
    where, params = "s.day BETWEEN ? AND ?", [first, last]
    if group_ids is not None:
        where += f" AND s.group_id IN ({', '.join('?' for _ in group_ids)})"
        params += group_ids
    if tag is not None:
        where += " AND (' ' || p.tags || ' ') LIKE ?"
        params.append(f"% {tag} %")
    async with conn.execute(
        "SELECT p.id AS page_id, p.group_id, g.name AS group_name, p.slug, p.title,"
        " sum(s.readers) AS readers, sum(s.views) AS views, sum(s.edits) AS edits"
        " FROM insight_pages s JOIN pages p ON p.id = s.page_id"
        f" JOIN groups g ON g.id = p.group_id WHERE {where}"
        " GROUP BY p.id, p.group_id, g.name, p.slug, p.title"
        " ORDER BY readers DESC, edits DESC, g.name, p.slug",
        params,
    ) as cur:
        return [dict(r) for r in await cur.fetchall()]
