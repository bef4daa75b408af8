"""Full-text search over the copies of partners' groups held here (migration 0180), always
restricted to the CopyScope the access policy gave, inside the index query: a viewer who
reads no copy costs no index query at all, and one who reads some costs their copies'
matches and the page, never other copies' matches (or our own posts').

On SQLite each copy's posts are one range of the index's row numbers (cached_posts_keys),
so each of the viewer's copies is one FTS5 query over its range (FTS5 seeks to it in each
word's list). Like our own posts (store/search.py): the newest RANK_WINDOW + 1 matches the
viewer may see are the candidates; bm25 over them, unless the query is broad (more
candidates than the window, or more than BROAD_WORD rows in the whole index, which bm25
would count first), when the newest come first; a snippet for the page's rows only. On
PostgreSQL, store/search_copies_pg.py.
"""

from __future__ import annotations

from typing import Any

from feedserver.models import CachedPost, CopyScope
from feedserver.store import cached_groups, search_copies_pg
from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect

# Row numbers of copy n: above n << 32, below (n + 1) << 32 (migration 0180).
_COPY_BITS = 32
# CROSS JOIN: SQLite keeps this order, the index first (planned freely, it read the copy's
# every row through cached_posts_group and then FTS5 once for each).
_JOINS = (
    " CROSS JOIN cached_posts_keys k ON k.seq = cached_posts_fts.rowid"
    " CROSS JOIN cached_posts c ON c.object_id = k.object_id"
)


def visible(scope: CopyScope, alias: str) -> tuple[str, list[object]]:
    """The scope as a WHERE fragment over cached_posts `alias`: its copies, and in them the
    posts their host took or the scope's writer's own pending writes."""
    marks = ", ".join("?" for _ in scope.group_actors)
    return (
        f"{alias}.group_actor IN ({marks}) AND ({alias}.state = 'accepted'"
        f" OR ({alias}.state = 'pending' AND {alias}.writer_id = ?))",
        [*scope.group_actors, scope.pending_writer],
    )


async def posts(
    conn: Connection, scope: CopyScope, match: str, hit_start: str, hit_end: str, *,
    window: int, broad_word: int, limit: int,
) -> list[tuple[CachedPost, str, float]]:  # fmt: skip
    """The best `limit` (post, snippet, rank) of the copies in `scope` matching `match`
    (FTS5 query text, as domain/search.py writes it), best first."""
    if not scope.group_actors:  # reads no copy: no index query at all
        return []
    if dialect(conn) == POSTGRESQL:
        return await search_copies_pg.posts(
            conn, scope, match, hit_start, hit_end, window=window, limit=limit
        )
    marks = ", ".join("?" for _ in scope.group_actors)
    found = await conn.execute_fetchall(
        f"SELECT n FROM cached_groups_keys WHERE actor_id IN ({marks}) ORDER BY n",
        scope.group_actors,
    )
    ranges = [(int(r[0]) << _COPY_BITS, (int(r[0]) + 1) << _COPY_BITS) for r in found]
    where, params = visible(scope, "c")
    candidates: list[Any] = []  # (seq, published) of each copy's newest window + 1 matches
    for low, high in ranges:
        candidates += await conn.execute_fetchall(
            f"SELECT cached_posts_fts.rowid, c.published FROM cached_posts_fts{_JOINS}"
            " WHERE cached_posts_fts MATCH ? AND cached_posts_fts.rowid > ?"
            f" AND cached_posts_fts.rowid < ? AND {where}"
            " ORDER BY cached_posts_fts.rowid DESC LIMIT ?",
            (match, low, high, *params, window + 1),
        )
    if not candidates:
        return []
    newest = sorted(candidates, key=lambda r: (r[1], r[0]), reverse=True)
    if len(candidates) > window or await _broad(conn, match, broad_word):
        page = [(int(r[0]), 0.0) for r in newest[:limit]]
    else:  # bm25 over the user's words, every candidate (at most the window) of each copy
        ranked: list[Any] = []  # (seq, rank)
        order = {int(r[0]): n for n, r in enumerate(newest)}
        for low, high in _spans([int(r[0]) for r in candidates]):
            ranked += await conn.execute_fetchall(
                "SELECT cached_posts_fts.rowid, bm25(cached_posts_fts, 4.0, 1.0, 2.0)"
                f" FROM cached_posts_fts{_JOINS} WHERE cached_posts_fts MATCH ?"
                f" AND cached_posts_fts.rowid BETWEEN ? AND ? AND {where}",
                (match, low, high, *params),
            )
        page = sorted(((int(s), float(r)) for s, r in ranked), key=lambda h: (h[1], order[h[0]]))
        page = page[:limit]
    return await _rows(conn, scope, match, hit_start, hit_end, page)


def _spans(seqs: list[int]) -> list[tuple[int, int]]:
    """(lowest, highest) row number of each copy among `seqs`: one range query a copy."""
    spans: dict[int, tuple[int, int]] = {}
    for seq in seqs:
        low, high = spans.get(seq >> _COPY_BITS, (seq, seq))
        spans[seq >> _COPY_BITS] = (min(low, seq), max(high, seq))
    return sorted(spans.values())


async def _broad(conn: Connection, match: str, broad_word: int) -> bool:
    """More than `broad_word` rows in the whole index: bm25 would count them all first."""
    found = await conn.execute_fetchall(
        "SELECT count(*) FROM (SELECT rowid FROM cached_posts_fts"
        " WHERE cached_posts_fts MATCH ? LIMIT ?)",
        (match, broad_word + 1),
    )
    return int(next(iter(found))[0]) > broad_word


async def _rows(
    conn: Connection, scope: CopyScope, match: str, hit_start: str, hit_end: str,
    page: list[tuple[int, float]],
) -> list[tuple[CachedPost, str, float]]:  # fmt: skip
    """The page's rows with a snippet each, checked against the scope once more."""
    where, params = visible(scope, "c")
    by_seq: dict[int, Any] = {}
    for low, high in _spans([seq for seq, _ in page]):
        seqs = [seq for seq, _ in page if low <= seq <= high]
        marks = ", ".join("?" for _ in seqs)
        for row in await conn.execute_fetchall(
            f"SELECT c.*, cached_posts_fts.rowid AS seq, snippet(cached_posts_fts, -1,"
            f" '{hit_start}', '{hit_end}', '…', 16) AS snippet FROM cached_posts_fts{_JOINS}"
            " WHERE cached_posts_fts MATCH ? AND cached_posts_fts.rowid BETWEEN ? AND ?"
            f" AND +cached_posts_fts.rowid IN ({marks}) AND {where}",
            (match, low, high, *seqs, *params),
        ):
            by_seq[int(row["seq"])] = row
    return [
        (cached_groups.from_row(by_seq[seq]), by_seq[seq]["snippet"], rank)
        for seq, rank in page
        if seq in by_seq
    ]
