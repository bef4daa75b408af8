"""Full-text search (FTS5, bm25), always restricted to the scope the access policy gave.

Two steps, so a search costs what its page holds, not what the server holds:
1. rank: row ids and bm25 only, with the read scope inside the FTS query (the index's `grp`
   column holds each post's group), so rows the viewer may not read are never ranked, and a
   viewer who reads none of the matches costs one empty index lookup. A query matching more
   than RANK_WINDOW posts ranks its newest RANK_WINDOW matches only: beyond that, bm25 over
   every match costs seconds at a million posts for a word that is in most of them;
2. the page's rows, with a snippet built for each of them only.
"""

from __future__ import annotations

from feedserver.models import Post, ReadScope
from feedserver.store import rows
from feedserver.store.db import Connection
from feedserver.store.scope import group_condition, readable_groups

# Private-use characters mark the hit in a snippet, so the caller can escape the text first
# and only then turn the markers into <mark>: user text never reaches the page unescaped.
HIT_START, HIT_END = "\ue000", "\ue001"
# How many of a query's newest matches are ranked (see above).
RANK_WINDOW = 2000
# The columns user text is matched in: never `grp`.
_TEXT_COLUMNS = "{title body tags}"


def scoped_match(match: str, groups: list[str] | None) -> str:
    """The FTS5 query: the user's words in the text columns, AND one of these groups."""
    text = f"{_TEXT_COLUMNS} : ({match})"
    if groups is None:
        return text
    return text + " AND grp : (" + " OR ".join(f'"{g}"' for g in groups) + ")"


async def ranked(
    conn: Connection, match: str, *, offset: int, limit: int
) -> list[tuple[int, float]]:
    """(rowid, bm25 rank) of one page of an FTS query's matches, best first."""
    window = await conn.execute_fetchall(
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
        (match, RANK_WINDOW - 1),
    )
    oldest = next(iter(window), None)
    found = await conn.execute_fetchall(
        "SELECT rowid, bm25(posts_fts, 4.0, 1.0, 2.0, 0.0) AS rank FROM posts_fts"
        " WHERE posts_fts MATCH ? AND rowid >= ? ORDER BY rank, rowid DESC LIMIT ? OFFSET ?",
        (match, oldest[0] if oldest is not None else 0, limit, offset),
    )
    return [(r[0], r[1]) for r in found]


async def posts(
    conn: Connection, scope: ReadScope, match: str, *, offset: int, limit: int
) -> list[tuple[Post, str, float]]:
    groups = await readable_groups(conn, scope)
    if groups == []:
        return []
    page = await ranked(conn, scoped_match(match, groups), offset=offset, limit=limit)
    if not page:
        return []
    # The page's rows, checked against the scope once more (the index is kept in step by
    # triggers; this is the policy's own condition, so a drift could never leak a row).
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    seqs = [seq for seq, _ in page]
    marks = ", ".join("?" for _ in seqs)
    sql = (
        f"SELECT {rows.POST_COLUMNS},"
        f" snippet(posts_fts, -1, '{HIT_START}', '{HIT_END}', '…', 16) AS snippet"
        f" FROM posts_fts JOIN posts p ON p.seq = posts_fts.rowid {rows.POST_JOINS}"
        f" WHERE posts_fts MATCH ? AND posts_fts.rowid IN ({marks}) AND {where}"
    )
    found = await conn.execute_fetchall(sql, (scoped_match(match, None), *seqs, *params))
    by_seq = {r["seq"]: r for r in found}
    return [
        (rows.post(by_seq[seq]), by_seq[seq]["snippet"], rank)
        for seq, rank in page
        if seq in by_seq
    ]
