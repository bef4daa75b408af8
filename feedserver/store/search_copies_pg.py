"""Search over the copies of partners' groups on PostgreSQL (store/search_copies.py): the
posts' generated tsvector (`search`, migration 0180) matched with the viewer's copies in the
same query (the GIN index on (group_actor, search) when btree_gin is there, else the words'
own index and the copies' rows), the newest `window` + 1 matches as candidates, ranked with
`ts_rank_cd` and the weights our own posts use, a headline for the page's rows only."""

from __future__ import annotations

from typing import Any

from feedserver.models import CachedPost, CopyScope
from feedserver.store import cached_groups
from feedserver.store.search_pg import WEIGHTS, tsquery
from feedserver.store.search_pg_terms import CONFIG


def _visible(scope: CopyScope) -> tuple[str, list[Any]]:
    return (
        "c.group_actor = ANY(?::text[]) AND (c.state = 'accepted'"
        " OR (c.state = 'pending' AND c.writer_id = ?))",
        [list(scope.group_actors), scope.pending_writer],
    )


async def posts(
    conn: Any, scope: CopyScope, match: str, hit_start: str, hit_end: str, *,
    window: int, limit: int,
) -> list[tuple[CachedPost, str, float]]:  # fmt: skip
    query, query_params = tsquery(match)
    where, params = _visible(scope)
    # The query value is materialized, so the planner takes the index rather than walking
    # the copies for a word it believes common (as in search_pg._indexed).
    found = await conn.execute_fetchall(
        f"WITH q AS MATERIALIZED (SELECT {query} AS query)"
        f" SELECT c.object_id, -ts_rank_cd({WEIGHTS}, c.search, q.query) AS rank"
        f" FROM q, cached_posts c WHERE c.search @@ q.query AND {where}"
        " ORDER BY c.published DESC, c.object_id DESC LIMIT ?",
        (*query_params, *params, window + 1),
    )
    candidates = [(str(r[0]), float(r[1])) for r in found]
    if len(candidates) > window:  # broad: newest first, as our own posts' search does
        page = [(object_id, 0.0) for object_id, _ in candidates[:limit]]
    else:  # best first; equal ranks newest first (the candidates' order, kept by the sort)
        page = sorted(candidates, key=lambda c: c[1])[:limit]
    if not page:
        return []
    options = (
        f'StartSel="{hit_start}", StopSel="{hit_end}", MaxWords=16, MinWords=6, ShortWord=0,'
        ' MaxFragments=1, FragmentDelimiter=" … "'
    )
    rows = await conn.execute_fetchall(
        f"WITH q AS (SELECT {query} AS query)"
        f" SELECT c.object_id, c.group_actor, c.parent_id, c.kind, c.author, c.title,"
        f" c.body_html, c.tags, c.published, c.updated, c.state, c.writer_id,"
        f" c.accepted_answer, c.feed_key, c.received_at,"
        f" ts_headline({CONFIG}, c.title || ' ' || c.body_text, q.query, ?)"
        f" AS snippet FROM cached_posts c CROSS JOIN q"
        f" WHERE c.object_id = ANY(?::text[]) AND {where}",
        (*query_params, options, [object_id for object_id, _ in page], *params),
    )
    by_id = {r["object_id"]: r for r in rows}
    return [
        (cached_groups.from_row(by_id[object_id]), by_id[object_id]["snippet"], rank)
        for object_id, rank in page
        if object_id in by_id
    ]
