"""Full-text search (FTS5, bm25), always restricted to the scope the access policy gave.

Steps, so a search costs what its page holds, not what the server holds:
1. candidates: the newest RANK_WINDOW + 1 matching row ids the viewer may read. A rare query
   (at most FEW rows) is read whole and its rows kept by group; any other has the read scope
   inside the FTS query (the index's `grp` column holds each post's group), so rows the
   viewer may not read are never touched. Merging the `grp` lists of a member's groups
   costs more than a rare word's few rows: ~25 ms for 33 groups at a million posts. And
   only the viewer's groups that hold every word are searched (store/search_groups.py), so
   a word common only in groups the viewer cannot read costs a few lookups, not an
   intersection that is empty only at its end (~50 ms at a million posts);
2. the last word is a prefix (search-as-you-type), and FTS5 builds a prefix's whole list of
   rows before it yields one (~80 ms for a word in every post at a million posts, against
   ~4 ms for the word itself, read lazily newest first). So the word as typed is tried first,
   and when it alone fills the window the prefix adds nothing to the page. Otherwise the
   longer words the prefix stands for are looked up in the index's term list (one seek
   each) and, when they are few, read as whole words: a prefix that is no word (`lore`) or
   that no longer word shares costs what its words' pages cost, not a list of every row;
3. rank: bm25 over the candidates. FTS5's bm25 counts every row of each word first (its
   IDF): for a word in most posts that alone is ~50 ms at a million posts, and bm25 tells
   such posts apart by little more than length. So a broad query (more candidates than the
   window, or a word in more than BROAD_WORD rows) lists its newest matches first instead;
4. the page's rows, with a snippet built for each of them only, found by a rowid range (an
   `IN` list made FTS5 evaluate the query once per row: 1.1 s for a prefix at a million).
"""

from __future__ import annotations

import re

from feedserver.models import Post, ReadScope
from feedserver.store import rows, search_pg
from feedserver.store.db import Connection
from feedserver.store.dialect import POSTGRESQL, dialect
from feedserver.store.scope import group_condition, readable_groups
from feedserver.store.search_groups import holding

# Private-use characters mark the hit in a snippet, so the caller can escape the text first
# and only then turn the markers into <mark>: user text never reaches the page unescaped.
HIT_START, HIT_END = "\ue000", "\ue001"
# How many of a query's newest matches are candidates (see above); deeper pages are not offered.
RANK_WINDOW = 2000
# Rows of the user's words beyond which bm25's count of them costs more than the page.
BROAD_WORD = 5000
# Rows of the user's words up to which they are read whole and kept by group (see above).
FEW = 200
# Longer words a typed prefix may stand for and still be read as whole words (see above).
PREFIX_TERMS = 8
# The columns user text is matched in: never `grp`.
_TEXT_COLUMNS = "{title body tags}"
# A last word typed as a prefix, of ASCII letters and digits only: the tokenizer folds these
# to lower case and nothing more, so the term list is looked up with what was indexed.
_ASCII_PREFIX = re.compile(r'"([A-Za-z0-9]+)"\*$')


def _text(words: str) -> str:
    """The FTS5 query for the user's words, matched in the text columns only (never `grp`)."""
    return f"{_TEXT_COLUMNS} : ({words})"


def _in_groups(text: str, groups: list[str]) -> str:
    """The same AND one of these groups."""
    return text + " AND grp : (" + " OR ".join(f'"{g}"' for g in groups) + ")"


async def ranked(
    conn: Connection, match: str, groups: list[str] | None, *, offset: int, limit: int
) -> tuple[str, list[tuple[int, float]]]:
    """The user's words that found them (`match`, or the same without the last word's
    prefix), and (rowid, rank) of one page of the matches the groups hold, best first."""
    words = match.removesuffix("*")  # the last word as typed
    candidates = await _candidates(conn, _text(words), await holding(conn, groups, words))
    if words != match and len(candidates) <= RANK_WINDOW:
        wider = await _prefix(conn, match)  # when the word alone does not fill the window
        if wider != words:
            words = wider
            held = await holding(conn, groups, words)
            candidates = await _candidates(conn, _text(words), held)
    text = _text(words)
    if not candidates:
        return text, []
    if len(candidates) > RANK_WINDOW or await _broad(conn, text):
        return text, [(seq, 0.0) for seq in candidates[:RANK_WINDOW][offset : offset + limit]]
    # bm25 over the user's words only (the groups' rows are not counted), from the oldest
    # candidate on; rows there that the groups do not hold are dropped.
    wanted = set(candidates)
    found = await conn.execute_fetchall(
        "SELECT rowid, bm25(posts_fts, 4.0, 1.0, 2.0, 0.0) AS rank FROM posts_fts"
        " WHERE posts_fts MATCH ? AND rowid >= ? ORDER BY rank, rowid DESC",
        (text, candidates[-1]),
    )
    hits = [(r[0], r[1]) for r in found if r[0] in wanted]
    return text, hits[offset : offset + limit]


async def _prefix(conn: Connection, match: str) -> str:
    """`match` with its last word as a prefix: the word and the longer words it stands for
    as alternatives, or FTS5's own prefix when they are many or the word is not plain ASCII."""
    last = _ASCII_PREFIX.search(match)
    longer = await _longer_words(conn, last.group(1).lower()) if last else None
    if last is None or longer is None:
        return match
    words = " OR ".join(f'"{word}"' for word in [last.group(1), *longer])
    return match[: last.start()] + (f"({words})" if longer else f'"{last.group(1)}"')


async def _longer_words(conn: Connection, word: str) -> list[str] | None:
    """The index's terms that start with `word` and are longer, one seek each in its term
    list; None when there are more than PREFIX_TERMS."""
    terms: list[str] = []
    after = word
    while len(terms) <= PREFIX_TERMS:
        # The least term after `after` (no token holds a byte below "\x01").
        found = await conn.execute_fetchall(
            "SELECT term FROM posts_fts_terms WHERE term >= ? LIMIT 1", (after + "\x01",)
        )
        term = next((str(r[0]) for r in found), None)
        if term is None or not term.startswith(word):
            return terms
        terms.append(term)
        after = term
    return None


async def _candidates(conn: Connection, text: str, groups: list[str] | None) -> list[int]:
    """The newest RANK_WINDOW + 1 rowids matching `text` in the groups (None: every row)."""
    if groups == []:  # none of the viewer's groups holds the words (search_groups)
        return []
    newest = "SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
    if groups is not None:
        few = [r[0] for r in await conn.execute_fetchall(newest, (text, FEW + 1))]
        if not few:
            return []
        if len(few) > FEW:
            text = _in_groups(text, groups)
        else:
            found = await conn.execute_fetchall(
                f"SELECT seq FROM posts WHERE seq IN ({', '.join('?' for _ in few)})"
                f" AND group_id IN ({', '.join('?' for _ in groups)}) ORDER BY seq DESC",
                (*few, *groups),
            )
            return [r[0] for r in found]
    return [r[0] for r in await conn.execute_fetchall(newest, (text, RANK_WINDOW + 1))]


async def _broad(conn: Connection, text: str) -> bool:
    found = await conn.execute_fetchall(
        "SELECT count(*) FROM (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ? LIMIT ?)",
        (text, BROAD_WORD + 1),
    )
    return int(next(iter(found))[0]) > BROAD_WORD


async def posts(
    conn: Connection, scope: ReadScope, match: str, *, offset: int, limit: int
) -> list[tuple[Post, str, float]]:
    if dialect(conn) == POSTGRESQL:
        return await search_pg.posts(
            conn, scope, match, HIT_START, HIT_END, window=RANK_WINDOW, offset=offset,
            limit=limit,
        )  # fmt: skip
    groups = await readable_groups(conn, scope)
    if groups == []:
        return []
    text, page = await ranked(conn, match, groups, offset=offset, limit=limit)
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
        f" WHERE posts_fts MATCH ? AND posts_fts.rowid BETWEEN ? AND ?"
        f" AND +posts_fts.rowid IN ({marks}) AND {where}"
    )
    found = await conn.execute_fetchall(sql, (text, min(seqs), max(seqs), *seqs, *params))
    by_seq = {r["seq"]: r for r in found}
    return [
        (rows.post(by_seq[seq]), by_seq[seq]["snippet"], rank)
        for seq, rank in page
        if seq in by_seq
    ]
