"""Search over posts the viewer may read."""

from __future__ import annotations

import html
import re

from feedserver.domain import access
from feedserver.domain.services import Services
from feedserver.errors import ValidationFailed
from feedserver.models import Page, SearchHit, Viewer
from feedserver.store import search as search_store

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 16


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


async def posts(
    services: Services, viewer: Viewer, text: str, *, cursor: str | None, limit: int
) -> Page[SearchHit]:
    access.require_member(viewer)
    match = fts_query(text)
    if match is None:
        raise ValidationFailed([{"field": "q", "message": "give at least one word to search for"}])
    offset = int(cursor) if cursor and cursor.isdigit() else 0
    async with services.db.read() as conn:
        found = await search_store.posts(
            conn, access.read_scope(viewer), match, offset=offset, limit=limit + 1
        )
    more = len(found) > limit
    hits = [SearchHit(post, snippet_html(snip), rank) for post, snip, rank in found[:limit]]
    return Page(hits, str(offset + limit) if more else None)
