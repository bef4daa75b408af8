"""Asking to join partners' groups on pages: /partner-groups lists the groups our partners
share with us and the viewer's standing in each, with an "Ask to join" button (it posts to
/groups/{name@host}/join); on the hosting server, an owner's or mentor's Approve or Reject
of a partner's member (username@host) on the group's page."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.errors import Conflict
from feedserver.federation import group_joins, partner_groups
from feedserver.web import render, session


async def partner_groups_page(
    request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None
) -> web.Response:
    viewer = await session.signed_in(request)
    found, silent = await partner_groups.listing(request.app[appkeys.FEDERATION], viewer)
    return await render.page(
        request, "partner_groups.html", status=status, groups=found, unreachable=silent,
        errors=errors or {},
    )  # fmt: skip


async def ask(request: web.Request) -> web.StreamResponse:
    """POST /groups/{name@host}/join: the Join goes to the group's host."""
    viewer = await session.signed_in(request)
    address = request.match_info["name"]
    try:
        await partner_groups.ask(request.app[appkeys.FEDERATION], viewer, address)
    except Conflict as error:  # a member already, or declined recently: said beside it
        return await partner_groups_page(request, status=409, errors={address: error.detail})
    raise render.redirect("/partner-groups")  # post/redirect/get: it shows as pending


async def withdraw(request: web.Request) -> web.StreamResponse:
    """POST /groups/{name@host}/join/withdraw: a pending ask is taken back."""
    viewer = await session.signed_in(request)
    await partner_groups.withdraw(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"]
    )
    raise render.redirect("/partner-groups")


async def decide(request: web.Request) -> web.StreamResponse:
    """POST /groups/{name}/requests/{username@host}/approve|reject, on the hosting server."""
    viewer = await session.signed_in(request)
    fed, name = request.app[appkeys.FEDERATION], request.match_info["name"]
    address = request.match_info["username"]
    if request.match_info["decision"] == "approve":
        await group_joins.approve(fed, viewer, name, address)
    else:
        await group_joins.decline(fed, viewer, name, address)
    raise render.redirect(f"/groups/{name}#requests")
