"""My feeds: every private feed URL of the member, each with a copy button, and rotation
(one POST revokes every URL issued before and shows the new ones)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feeds
from feedserver.errors import ValidationFailed
from feedserver.web import forms, render, session


async def my_feeds(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    tags = [t for t in request.query.getall("tag", []) if t.strip()][:10]
    services = request.app[appkeys.SERVICES]
    problem = None
    try:
        found = await feeds.my_feeds(services, viewer, tags=tags)
    except ValidationFailed:
        problem = "A tag is one word of letters, digits and “-”, e.g. payroll."
        found = await feeds.my_feeds(services, viewer)
    return await render.page(
        request, "my_feeds.html", feeds=found, problem=problem,
        rotated=request.query.get("rotated") == "1", confirm=request.query.get("confirm") == "1",
    )  # fmt: skip


async def rotate(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    if form.get("confirm") != "yes":  # every address stops at once: only when asked twice
        raise render.redirect("/me/feeds?confirm=1#rotate")
    await feeds.rotate(request.app[appkeys.SERVICES], viewer)
    raise render.redirect("/me/feeds?rotated=1")
