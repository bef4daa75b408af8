"""Asking to join a group shared with us by partners, and partners' members asking to join
ours: the list of partners' groups offered to us (GET /api/v1/partner-groups), our member's
ask (POST .../groups/{name@host}/join-requests; DELETE withdraws it), and on the hosting
server an owner's or mentor's answer to a partner's member
(.../join-requests/{username@host}/approve|reject)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain.partner_asks import PartnerGroup
from feedserver.errors import NotFound
from feedserver.federation import group_joins, partner_groups
from feedserver.http import auth


def partner_group(g: PartnerGroup) -> dict[str, Any]:
    return {
        "name": g.group.address,
        "title": g.group.title,
        "description": g.group.description,
        "host": g.group.host,
        "state": g.state or None,
    }


async def list_partner_groups(request: web.Request) -> web.Response:
    """The groups our partners share with us, with the viewer's standing in each."""
    viewer = await auth.signed_in(request)
    found, silent = await partner_groups.listing(request.app[appkeys.FEDERATION], viewer)
    return web.json_response({"items": [partner_group(g) for g in found], "unreachable": silent})


async def ask(request: web.Request) -> web.Response:
    """POST .../groups/{name@host}/join-requests: a Join goes to the group's host."""
    viewer = await auth.signed_in(request)
    status = await partner_groups.ask(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"]
    )
    return web.json_response({"status": status}, status=202)


async def withdraw(request: web.Request) -> web.Response:
    """DELETE .../groups/{name@host}/join-requests: our member takes back a pending ask."""
    viewer = await auth.signed_in(request)
    if "@" not in request.match_info["name"]:  # local requests are not withdrawn
        raise NotFound("No pending request to join that group")
    await partner_groups.withdraw(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"]
    )
    return web.Response(status=204)


async def decide(request: web.Request, *, approve: bool) -> web.Response:
    """An owner or mentor answers username@host's request to join."""
    viewer = await auth.signed_in(request)
    fed = request.app[appkeys.FEDERATION]
    name, address = request.match_info["name"], request.match_info["username"]
    if approve:
        await group_joins.approve(fed, viewer, name, address)
    else:
        await group_joins.decline(fed, viewer, name, address)
    return web.Response(status=204)
