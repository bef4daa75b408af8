"""Home: recent activity across my groups, and the questions in them still waiting."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import overview
from feedserver.web import render, session


async def home(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    found = await overview.home(request.app[appkeys.SERVICES], viewer)
    # Home feed link: the feeds module passes feed_links=[...] here when it lands.
    return await render.page(request, "home.html", home=found)
