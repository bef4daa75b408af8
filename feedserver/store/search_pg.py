"""Full-text search on PostgreSQL: the same queries and the same result shape as FTS5's
(store/search.py, store/pages.py) with a tsvector, its GIN index, `websearch_to_tsquery`,
`ts_rank_cd` and `ts_headline`.

The domain writes FTS5 query text (quoted words, `OR`, a last word with `*` for a prefix).
Here the whole words go to `websearch_to_tsquery` and the prefix word to `to_tsquery` with
`:*`, joined by AND (&&) or OR (||) as the query said. Rank is `-ts_rank_cd` with the column
weights bm25 uses (title 4, tags 2, body 1 as A 1.0, B 0.5, C 0.25), so that, as with
bm25, lower is better and posts and pages sort together. The snippet marks hits with the
caller's markers, from the text of the title and body.
"""

from __future__ import annotations

import re
from typing import Any

from feedserver.models import FaqPage, Post, ReadScope
from feedserver.store import rows
from feedserver.store.scope import group_condition

CONFIG = "'feedserver'::regconfig"
WEIGHTS = "'{0.1, 0.25, 0.5, 1.0}'::float4[]"  # D, C (body), B (tags), A (title)
_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)|(\bOR\b)')


def tsquery(match: str) -> tuple[str, list[str]]:
    """A tsquery expression (SQL, with `?` for its parameters) for FTS5 query text."""
    words: list[str] = []
    prefixes: list[str] = []
    any_word = False
    for quoted, star, or_ in _TERM.findall(match):
        if or_:
            any_word = True
            continue
        word = quoted.replace('""', '"')
        (prefixes if star else words).append(word)
    parts: list[str] = []
    params: list[str] = []
    if words:
        joiner = " or " if any_word else " "
        # Each word quoted: websearch syntax (or, -, quotes) in the text is only text.
        parts.append(f"websearch_to_tsquery({CONFIG}, ?)")
        params.append(joiner.join('"' + w.replace('"', " ") + '"' for w in words))
    for word in prefixes:
        parts.append(f"to_tsquery({CONFIG}, ?)")
        params.append("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*")
    if not parts:
        return "''::tsquery", []
    return "(" + (" || " if any_word else " && ").join(parts) + ")", params


def _headline_options(hit_start: str, hit_end: str) -> str:
    return (
        f'StartSel="{hit_start}", StopSel="{hit_end}", MaxWords=16, MinWords=6, ShortWord=0,'
        ' MaxFragments=1, FragmentDelimiter=" … "'
    )


async def posts(
    conn: Any, scope: ReadScope, match: str, hit_start: str, hit_end: str, *,
    window: int, offset: int, limit: int,
) -> list[tuple[Post, str, float]]:  # fmt: skip
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    query, query_params = tsquery(match)
    # Only the newest `window` readable matches are ranked (ranking every match of a word in
    # most posts read ~400k rows at a million posts: 2.3 s), then cut to the page; only the
    # page's rows get a headline (it is costly). The planner walks posts newest first for a
    # common word and reads the GIN index for a rare one.
    sql = (
        f"WITH q AS (SELECT {query} AS query)"
        f" SELECT {rows.POST_COLUMNS}, hit.rank,"
        f" ts_headline({CONFIG}, p.title || ' ' || p.body, q.query, ?) AS snippet"
        f" FROM (SELECT c.seq, -ts_rank_cd({WEIGHTS}, c.search, q.query) AS rank, c.id"
        f" FROM q, (SELECT p.seq, p.id, p.search FROM q, posts p"
        f" JOIN groups g ON g.id = p.group_id WHERE p.search @@ q.query AND {where}"
        " ORDER BY p.seq DESC LIMIT ?) c"
        " ORDER BY rank, c.id DESC LIMIT ? OFFSET ?) hit"
        f" JOIN posts p ON p.seq = hit.seq {rows.POST_JOINS} CROSS JOIN q"
        " ORDER BY hit.rank, p.id DESC"
    )
    args = (
        *query_params, _headline_options(hit_start, hit_end), *params, window, limit, offset,
    )  # fmt: skip
    async with conn.execute(sql, args) as cur:
        return [(rows.post(r), r["snippet"], r["rank"]) for r in await cur.fetchall()]


async def pages(
    conn: Any, scope: ReadScope, match: str, hit_start: str, hit_end: str, *, limit: int
) -> list[tuple[FaqPage, str, float]]:
    from feedserver.store import pages as page_store  # pages imports this module

    where, params = group_condition(scope, "pg.group_id", "g.visibility")
    query, query_params = tsquery(match)
    sql = (
        f"WITH q AS (SELECT {query} AS query)"
        f" SELECT {page_store.COLUMNS}, hit.rank,"
        f" ts_headline({CONFIG}, pg.title || ' ' || pg.body, q.query, ?) AS snippet"
        f" FROM (SELECT f.rowid AS seq, -ts_rank_cd({WEIGHTS}, f.search, q.query) AS rank"
        f" FROM q, pages_fts f JOIN pages pg ON pg.seq = f.rowid"
        f" JOIN groups g ON g.id = pg.group_id"
        f" WHERE f.search @@ q.query AND {where}"
        " ORDER BY rank, pg.id DESC LIMIT ?) hit"
        f" JOIN pages pg ON pg.seq = hit.seq {page_store.JOINS} CROSS JOIN q"
        " ORDER BY hit.rank, pg.id DESC"
    )
    args = (*query_params, _headline_options(hit_start, hit_end), *params, limit)
    async with conn.execute(sql, args) as cur:
        return [(page_store.page(r), r["snippet"], r["rank"]) for r in await cur.fetchall()]
