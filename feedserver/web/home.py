"""Home: recent activity across my groups, the questions in them still waiting, and the
questions routed to me ("asked of me")."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import overview, routing
from feedserver.web import feed_links, render, session

ASKS_SHOWN = 10


async def home(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await overview.home(services, viewer, before=request.query.get("before") or None)
    asks = await routing.my_asks(services, viewer, cursor=None, limit=ASKS_SHOWN)
    return await render.page(
        request, "home.html", home=found, asks=asks.items,
        further_back="before" in request.query,
        feed_links=await feed_links.home(request, viewer),
    )  # fmt: skip
