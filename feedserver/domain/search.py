"""Search over posts and FAQ pages the viewer may read."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

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
from feedserver.store import search as search_store
from feedserver.store import search_jobs, search_process
from feedserver.store.admission import ReadersBusy
from feedserver.store.read_guard import QueryStopped
from feedserver.store.search_process import SearchFailed
from feedserver.store.search_worker import Job

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


async def _run(
    services: Services, job: Job, abandoned: Callable[[], bool] | None, **kwargs: Any
) -> Any:
    """One search job (store/search_jobs.py, with the scope the policy decided) in the search
    process, or on a reader set aside for searches: it waits in line (at most
    `search_readers` searches run at once), and is stopped after `search_timeout_ms` (the
    wait included), or as soon as `abandoned` says nobody waits for the answer (the client
    hung up), so searches never take the readers (or the CPU) every other page needs."""
    seconds = services.config.search_timeout_ms / 1000
    try:
        return await search_process.search(
            services.db, job, {"tuning": search_jobs.tuning(), **kwargs}, seconds=seconds,
            abandoned=abandoned,
        )  # fmt: skip
    except ReadersBusy as busy:
        why = "too many are waiting" if busy.full else "none came free in time"
        raise SearchBusy(f"Too many searches at once ({why}): try again in a moment") from None
    except SearchFailed:
        raise SearchBusy("The search stopped on our side: try again in a moment") from None
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
    found: search_jobs.PostRows = await _run(
        services, search_jobs.posts, abandoned, scope=access.read_scope(viewer), match=match,
        offset=offset, limit=limit + 1,
    )  # fmt: skip
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
    async with services.db.read() as conn:  # the copies the viewer is listed in
        copy_groups, copy_scope = await search_copies.scope_of(conn, viewer)
    posts_found, pages_found, copy_hits = await _run(
        services, search_jobs.posts_pages_copies, abandoned, scope=access.read_scope(viewer),
        copies=copy_scope, match=match, limit=wanted,
    )  # fmt: skip
    copies_found = search_copies.kept(viewer, copy_groups, copy_hits)
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
    found: search_jobs.PostRows = await _run(
        services, search_jobs.posts, abandoned, scope=access.read_scope(viewer), match=match,
        offset=0, limit=limit * 4,
    )  # fmt: skip
    hits = [SearchHit(p, snippet_html(s), r) for p, s, r in found if p.kind == "question"]
    return hits[:limit]
