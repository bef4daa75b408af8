"""Search over posts and FAQ pages the viewer may read."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from feedserver.domain import access, search_copies, search_misses
from feedserver.domain.services import Services
from feedserver.errors import (
    BadRequest,
    ClientClosedRequest,
    QueryTooSlow,
    SearchBusy,
    ValidationFailed,
)
from feedserver.models import CopyHit, Page, PageHit, SearchHit, Viewer
from feedserver.store import pages as page_store
from feedserver.store import search as search_store
from feedserver.store.admission import ReadersBusy
from feedserver.store.db import Connection
from feedserver.store.read_guard import QueryStopped

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 16
MAX_OFFSET_DIGITS = 9  # a cursor is an offset into the ranked hits; SQLite takes 64 bits


def fts_query(text: str) -> str | None:
    """Free text to an FTS5 query: every word must appear (quoted, so no operator injection);
    the last word also matches as a prefix, for search-as-you-type."""
    words = _WORD.findall(text)[:MAX_TERMS]
    if not words:
        return None
    quoted = [f'"{w}"' for w in words]
    quoted[-1] += "*"
    return " ".join(quoted)


def snippet_html(raw: str) -> str:
    escaped = html.escape(raw, quote=False)
    return escaped.replace(search_store.HIT_START, "<mark>").replace(
        search_store.HIT_END, "</mark>"
    )


@asynccontextmanager
async def _bounded_read(
    services: Services, abandoned: Callable[[], bool] | None
) -> AsyncIterator[Connection]:
    """A reader set aside for searches, for one search: it waits in line for one (at most
    `search_readers` searches run at once), and is stopped after `search_timeout_ms` (the
    wait included), or as soon as `abandoned` says nobody waits for the answer (the client
    hung up), so searches never take the readers every other page needs."""
    seconds = services.config.search_timeout_ms / 1000
    try:
        async with services.db.read(seconds=seconds, abandoned=abandoned, search=True) as conn:
            yield conn
    except ReadersBusy as busy:
        why = "too many are waiting" if busy.full else "none came free in time"
        raise SearchBusy(f"Too many searches at once ({why}): try again in a moment") from None
    except QueryStopped as stopped:
        if stopped.abandoned:
            raise ClientClosedRequest("The client went away before the search ended") from None
        raise QueryTooSlow("The search took too long: try more specific words") from None


def _offset(cursor: str | None) -> int:
    """Search pages by offset; a cursor we did not write is the client's error, not ours."""
    if not cursor:
        return 0
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= MAX_OFFSET_DIGITS):
        raise BadRequest("The cursor is not valid")
    return int(cursor)


async def posts(
    services: Services, viewer: Viewer, text: str, *, cursor: str | None, limit: int,
    abandoned: Callable[[], bool] | None = None,
) -> Page[SearchHit]:  # fmt: skip
    access.require_member(viewer)
    match = fts_query(text)
    if match is None:
        raise ValidationFailed([{"field": "q", "message": "give at least one word to search for"}])
    offset = _offset(cursor)
    async with _bounded_read(services, abandoned) as conn:
        found = await search_store.posts(
            conn, access.read_scope(viewer), match, offset=offset, limit=limit + 1
        )
    more = len(found) > limit
    hits = [SearchHit(post, snippet_html(snip), rank) for post, snip, rank in found[:limit]]
    return Page(hits, str(offset + limit) if more else None)


async def posts_and_pages(
    services: Services, viewer: Viewer, text: str, *, cursor: str | None, limit: int,
    abandoned: Callable[[], bool] | None = None,
) -> Page[SearchHit | PageHit | CopyHit]:  # fmt: skip
    """Posts, FAQ pages and posts of the partners' groups the viewer reads (their copies
    here, search_copies) in one ranked list (bm25 with the same column weights)."""
    access.require_member(viewer)
    match = fts_query(text)
    if match is None:
        raise ValidationFailed([{"field": "q", "message": "give at least one word to search for"}])
    offset = _offset(cursor)
    wanted = offset + limit + 1
    scope = access.read_scope(viewer)
    async with _bounded_read(services, abandoned) as conn:
        posts_found = await search_store.posts(conn, scope, match, offset=0, limit=wanted)
        pages_found = await page_store.search(
            conn, scope, match, search_store.HIT_START, search_store.HIT_END, limit=wanted
        )
        copies_found = await search_copies.found(
            conn, viewer, match, search_store.HIT_START, search_store.HIT_END,
            window=search_store.RANK_WINDOW, broad_word=search_store.BROAD_WORD, limit=wanted,
        )  # fmt: skip
    merged: list[SearchHit | PageHit | CopyHit] = [
        SearchHit(post, snippet_html(snip), rank) for post, snip, rank in posts_found
    ]
    merged += [PageHit(page, snippet_html(snip), rank) for page, snip, rank in pages_found]
    merged += [CopyHit(g, p, snippet_html(snip), rank) for g, p, snip, rank in copies_found]
    merged.sort(key=lambda hit: hit.rank)  # stable: equal ranks keep posts' own order
    window = merged[offset : offset + limit + 1]
    if not window and offset == 0:  # Insights: a search that found nothing
        await search_misses.note(services, viewer.member_id, text, "search")
    more = len(window) > limit
    return Page(window[:limit], str(offset + limit) if more else None)


# Words too common to say two questions are alike.
# fmt: off
_COMMON = frozenset({
    "a", "an", "and", "are", "can", "do", "does", "for", "how", "i", "in", "is", "it", "my",
    "of", "on", "or", "the", "to", "what", "when", "where", "which", "who", "why", "will", "with",
})
# fmt: on


async def similar_questions(
    services: Services, viewer: Viewer, title: str, *, limit: int,
    abandoned: Callable[[], bool] | None = None,
) -> list[SearchHit]:  # fmt: skip
    """Questions the viewer may read that share words with a title being typed, best first:
    any word may match (unlike search, where every word must), so a question asked in other
    words is still found."""
    access.require_member(viewer)
    words = [w for w in _WORD.findall(title.lower()) if w not in _COMMON][:MAX_TERMS]
    if not words:
        return []
    match = " OR ".join(f'"{w}"' for w in words) + "*"
    async with _bounded_read(services, abandoned) as conn:
        found = await search_store.posts(
            conn, access.read_scope(viewer), match, offset=0, limit=limit * 4
        )
    hits = [SearchHit(p, snippet_html(s), r) for p, s, r in found if p.kind == "question"]
    return hits[:limit]
