"""A tag across every group the viewer reads (feeds link their categories here), with a
pointer to the people who know it."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import overview
from feedserver.web import feed_links, render, session


async def tag_page(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    tag, found = await overview.tag_posts(
        request.app[appkeys.SERVICES], viewer, request.match_info["tag"],
        before=request.query.get("before") or None, limit=20,
    )  # fmt: skip
    return await render.page(
        request, "tag.html", tag=tag, posts=found.items, next=found.next_cursor,
        feed_links=await feed_links.tag(request, viewer, tag),
    )  # fmt: skip
