"""Search over the posts and FAQ pages the viewer may read (the same list as the API)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import search
from feedserver.errors import ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.http.serving import client_gone
from feedserver.web import render, session


async def search_page(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    query = request.query.get("q", "").strip()
    hits, next_cursor, problem = [], None, None
    if query:
        try:
            found = await search.posts_and_pages(
                request.app[appkeys.SERVICES], viewer, query,
                cursor=decode_cursor(request.query.get("cursor")), limit=20,
                abandoned=client_gone(request),
            )  # fmt: skip
            hits, next_cursor = found.items, found.next_cursor
        except ValidationFailed:
            problem = "Type at least one word to search for."
    return await render.page(
        request, "search.html", q=query, hits=hits, problem=problem,
        next=encode_cursor(next_cursor) if next_cursor else None,
    )  # fmt: skip
