"""The searches' SQL as jobs: each runs on one search connection, with the access scope the
policy decided (in the serving process) passed in as data, and returns plain rows (models),
so it runs alike in the search process (store/search_process.py) and in process.

A job decides nothing about access: its scope arguments are domain/access.py's answers, and
the queries it runs are the store's own (search.py, pages.py, search_copies.py), which
restrict every row to them.
"""

from __future__ import annotations

import copyreg
import dataclasses
from typing import Any

from feedserver.models import CachedPost, CopyScope, FaqPage, Post, ReadScope
from feedserver.store import pages as page_store
from feedserver.store import search as search_store
from feedserver.store import search_copies, search_pg, search_pg_terms
from feedserver.store.db import Connection

PostRows = list[tuple[Post, str, float]]
PageRows = list[tuple[FaqPage, str, float]]
CopyRows = list[tuple[CachedPost, str, float]]

# The search's bounds (candidates ranked, what counts as a broad word...): read where the
# search is asked for and set where it runs, so a search process runs it exactly as the
# serving process would (whatever that process set them to).
_TUNABLE = (
    (search_store, ("RANK_WINDOW", "BROAD_WORD", "FEW", "PREFIX_TERMS")),
    (search_pg, ("MATCH_COST", "GROUP_SCANS")),
    (search_pg_terms, ("PREFIX_TERMS",)),
)


def _as_call(row: Any) -> tuple[type, tuple[Any, ...]]:
    """A found row pickled as its constructor's call: the serving process unpickles every
    answer on its event loop, and dataclasses' own pickling of slotted classes sets each
    field from Python, about twice the time (79 -> 44 us for a page of 21 posts)."""
    kind = type(row)
    return kind, tuple([getattr(row, name) for name in _FIELDS[kind]])


_FIELDS = {kind: [f.name for f in dataclasses.fields(kind)] for kind in (Post, FaqPage, CachedPost)}
for _kind in _FIELDS:
    copyreg.pickle(_kind, _as_call)


def tuning() -> dict[str, int]:
    return {
        f"{module.__name__}.{name}": getattr(module, name)
        for module, names in _TUNABLE
        for name in names
    }


def _apply(values: dict[str, int]) -> None:
    for module, names in _TUNABLE:
        for name in names:
            setattr(module, name, values[f"{module.__name__}.{name}"])


async def posts(
    conn: Connection, *, tuning: dict[str, int], scope: ReadScope, match: str, offset: int,
    limit: int,
) -> PostRows:  # fmt: skip
    _apply(tuning)
    return await search_store.posts(conn, scope, match, offset=offset, limit=limit)


async def posts_pages_copies(
    conn: Connection, *, tuning: dict[str, int], scope: ReadScope, copies: CopyScope,
    match: str, limit: int,
) -> tuple[PostRows, PageRows, CopyRows]:  # fmt: skip
    """The best `limit` posts, FAQ pages and copies' posts (each best first), raw snippets."""
    _apply(tuning)
    start, end = search_store.HIT_START, search_store.HIT_END
    found_posts = await search_store.posts(conn, scope, match, offset=0, limit=limit)
    found_pages = await page_store.search(conn, scope, match, start, end, limit=limit)
    found_copies = await search_copies.posts(
        conn, copies, match, start, end, window=search_store.RANK_WINDOW,
        broad_word=search_store.BROAD_WORD, limit=limit,
    )  # fmt: skip
    return found_posts, found_pages, found_copies
