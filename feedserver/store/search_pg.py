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
from feedserver.store.scope import group_condition, readable_groups
from feedserver.store.search_pg_terms import CONFIG, holding, longer_words

WEIGHTS = "'{0.1, 0.25, 0.5, 1.0}'::float4[]"  # D, C (body), B (tags), A (title)
# A match read from the GIN index costs about this many posts walked (a heap row fetched, in a
# bitmap that turns lossy for many matches, against a row's tsvector tested in order).
MATCH_COST = 5
# Groups up to which older matches are read from the (group_id, search) index (see _indexed).
GROUP_SCANS = 4
_TERM = re.compile(r'"((?:[^"]|"")*)"(\*?)|(\bOR\b)')


def parse(match: str) -> tuple[list[str], list[str], bool]:
    """FTS5 query text's whole words, prefix words, and whether any word may match (OR)."""
    words: list[str] = []
    prefixes: list[str] = []
    any_word = False
    for quoted, star, or_ in _TERM.findall(match):
        if or_:
            any_word = True
            continue
        word = quoted.replace('""', '"')
        (prefixes if star else words).append(word)
    return words, prefixes, any_word


def tsquery(match: str, longer: list[str] | None = None) -> tuple[str, list[str]]:
    """A tsquery expression (SQL, with `?` for its parameters) for FTS5 query text; with
    `longer`, the prefix word is those lexemes (search_pg_terms.longer_words), not a prefix."""
    words, prefixes, any_word = parse(match)
    parts: list[str] = []
    params: list[str] = []
    if words:
        joiner = " or " if any_word else " "
        # Each word quoted: websearch syntax (or, -, quotes) in the text is only text.
        parts.append(f"websearch_to_tsquery({CONFIG}, ?)")
        params.append(joiner.join('"' + w.replace('"', " ") + '"' for w in words))
    for word in prefixes:
        if longer is not None:  # lexemes as they are, not parsed again: the tsquery's input
            parts.append("?::tsquery")
            params.append(" | ".join(f"'{lexeme}'" for lexeme in longer))
            continue
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
    groups = await readable_groups(conn, scope)
    if groups == []:
        return []
    # Only the newest `window` readable matches are ranked (ranking every match of a word in
    # most posts read ~400k rows at a million posts: 2.3 s), then cut to the page; only the
    # page's rows get a headline (it is costly). Only the viewer's groups that hold every
    # word are searched (search_terms). The last word is tried as typed first, as on
    # SQLite: when it fills the window, its prefix adds nothing to it.
    typed = match.removesuffix("*")
    words, prefixes, any_word = parse(match)
    query, query_params = tsquery(typed)
    held = await holding(conn, groups, words + prefixes, any_word)
    found = await _newest(conn, query, query_params, held, window)
    if typed != match and len(found) < window:
        longer = await longer_words(conn, prefixes[-1])
        if longer != []:  # [] : no longer word, the prefix adds nothing
            query, query_params = tsquery(match, longer)
            held = await holding(conn, groups, words, any_word, longer)
            found = await _newest(conn, query, query_params, held, window)
    found.sort(key=lambda r: (r["rank"], _Descending(r["id"])))
    page = [r["seq"] for r in found[offset : offset + limit]]
    if not page:
        return []
    # The page's rows, checked against the scope once more with the policy's own condition.
    where, params = group_condition(scope, "p.group_id", "g.visibility")
    sql = (
        f"WITH q AS (SELECT {query} AS query)"
        f" SELECT {rows.POST_COLUMNS}, -ts_rank_cd({WEIGHTS}, p.search, q.query) AS rank,"
        f" ts_headline({CONFIG}, p.title || ' ' || p.body, q.query, ?) AS snippet"
        f" FROM posts p {rows.POST_JOINS} CROSS JOIN q"
        f" WHERE p.seq = ANY(?::bigint[]) AND {where}"
    )
    args = (*query_params, _headline_options(hit_start, hit_end), page, *params)
    async with conn.execute(sql, args) as cur:
        by_seq = {r["seq"]: r for r in await cur.fetchall()}
    return [
        (rows.post(by_seq[seq]), by_seq[seq]["snippet"], by_seq[seq]["rank"])
        for seq in page
        if seq in by_seq
    ]


class _Descending:
    """Sorts its value in reverse (for an id within equal ranks, as `ORDER BY id DESC`)."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value


async def _newest(
    conn: Any, query: str, query_params: list[str], groups: list[str] | None, window: int
) -> list[Any]:
    """(seq, id, rank) of the newest `window` matches in the groups (None: every group).

    Posts are walked newest first, in seq ranges that double (the first twice the window):
    a common word fills the window after a few thousand rows, whatever the data holds. When
    the matches seen so far are sparse, the rest is read from a GIN index instead, which
    costs the matches (each a heap row) rather than the rows (see `_indexed`), so a word
    rare in the viewer's groups is not walked to the first post."""
    if groups == []:
        return []
    found_top = await conn.execute_fetchall("SELECT max(seq) FROM posts")
    top = int(next(iter(found_top))[0] or 0)
    upper, chunk = top + 1, 2 * window
    found: list[Any] = []
    while upper > 1 and len(found) < window:
        lower = max(1, upper - chunk)
        found += await _walk(conn, query, query_params, groups, lower, upper, window - len(found))
        upper, chunk = lower, chunk * 2
        wanted, older = window - len(found), upper - 1
        if wanted <= 0 or older <= 0:
            break
        density = len(found) / (top + 1 - upper)  # matches per post walked so far
        walking = min(older, wanted / density) if density else older
        if density * older * MATCH_COST < walking:
            found += await _indexed(conn, query, query_params, groups, upper, wanted)
            break
    return found[:window]


async def _walk(
    conn: Any, query: str, query_params: list[str], groups: list[str] | None,
    lower: int, upper: int, wanted: int,
) -> list[Any]:  # fmt: skip
    """The newest `wanted` matches among posts lower <= seq < upper, walked newest first
    (the inner LIMIT keeps PostgreSQL to that range scan, whatever it guesses of the words)."""
    in_groups, params = _in_groups("r.group_id", groups)
    sql = (
        f"SELECT r.seq, r.id, -ts_rank_cd({WEIGHTS}, r.search, q.query) AS rank"
        f" FROM (SELECT seq, id, group_id, search FROM posts WHERE seq >= ? AND seq < ?"
        f" ORDER BY seq DESC LIMIT ?) r, (SELECT {query} AS query) q"
        f" WHERE r.search @@ q.query{in_groups} ORDER BY r.seq DESC LIMIT ?"
    )
    args = (lower, upper, upper - lower, *query_params, *params, wanted)
    return list(await conn.execute_fetchall(sql, args))


async def _indexed(
    conn: Any, query: str, query_params: list[str], groups: list[str] | None, upper: int,
    wanted: int,
) -> list[Any]:  # fmt: skip
    """The newest `wanted` matches among posts seq < upper, read from a GIN index. The query
    is a materialized CTE, so the planner, not knowing how common its words are, takes the
    index (planned with the words, it walks posts for a word it thinks common, which is what
    a word common only in groups the viewer cannot read must not do). For at most
    GROUP_SCANS groups, the (group_id, search) index gives their matches alone; for more,
    the words' index gives every match and other groups' rows are dropped (the group index
    scans once per group, reading much of each group's list: ~3 ms a group at 1M posts)."""
    if groups is not None and len(groups) > GROUP_SCANS:
        fenced = ", (SELECT p.seq, p.id, p.group_id, p.search FROM q, posts p"
        scan = f"{fenced} WHERE p.search @@ q.query AND p.seq < ? OFFSET 0) c"
        where, params = " WHERE c.group_id = ANY(?::text[])", [groups]
    else:
        in_groups, params = _in_groups("c.group_id", groups)
        scan = ", posts c"
        where = f" WHERE c.search @@ q.query AND c.seq < ?{in_groups}"
    sql = (
        f"WITH q AS MATERIALIZED (SELECT {query} AS query)"
        f" SELECT c.seq, c.id, -ts_rank_cd({WEIGHTS}, c.search, q.query) AS rank"
        f" FROM q{scan}{where} ORDER BY c.seq DESC LIMIT ?"
    )
    args = (*query_params, upper, *params, wanted)
    return list(await conn.execute_fetchall(sql, args))


def _in_groups(column: str, groups: list[str] | None) -> tuple[str, list[Any]]:
    return ("", []) if groups is None else (f" AND {column} = ANY(?::text[])", [groups])


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
