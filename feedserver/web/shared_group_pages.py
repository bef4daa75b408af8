"""The page of a partner's group held here (/groups/{name}@{host}): for our members who are
its members, like every other read through the access policy; everyone else gets the 404 of
a group that does not exist."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import cached_groups
from feedserver.web import feed_links, render, session

POSTS_SHOWN = 50


async def group_page(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    found, posts = await cached_groups.posts(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], POSTS_SHOWN
    )
    group = found.group
    links = await feed_links.shared_group(request, viewer, group)
    return await render.page(
        request, "shared_group.html", group=group, posts=posts, feed_links=links
    )
