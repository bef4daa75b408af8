"""Admin API for federation: partners (invite, accept, list with delivery health, remove,
telling the partner) and the delivery queue."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access
from feedserver.errors import BadRequest, NotFound
from feedserver.federation import delivery, partners
from feedserver.http import auth
from feedserver.http.paging import page_params, paged_response
from feedserver.http.render import when
from feedserver.http.validation import read_json
from feedserver.models import Delivery, Partner


def partner_doc(p: Partner) -> dict[str, Any]:
    return {
        "host": p.host,
        "base_url": p.base_url,
        "organization": p.name,
        "scopes": {"profiles": p.profiles, "groups": p.groups},
        "created_at": when(p.created_at),
        "health": {
            "pending": p.pending,
            "failed": p.failed,
            "consecutive_failures": p.failures,
            "paused_until": when(p.paused_until) if p.paused_until else None,
            "last_success_at": when(p.last_success_at) if p.last_success_at else None,
            "last_error": p.last_error,
        },
    }


def delivery_doc(d: Delivery) -> dict[str, Any]:
    return {
        "id": d.id,
        "host": d.host,
        "activity_id": d.activity_id,
        "state": d.state,
        "attempts": d.attempts,
        "created_at": when(d.created_at),
        "next_attempt_at": when(d.next_attempt_at) if d.state == "pending" else None,
        "last_status": d.last_status,
        "last_error": d.last_error,
    }


async def _admin(request: web.Request) -> None:
    access.require_admin(await auth.signed_in(request))


async def list_partners(request: web.Request) -> web.Response:
    await _admin(request)
    found = await partners.list_partners(request.app[appkeys.SERVICES])
    return web.json_response({"items": [partner_doc(p) for p in found]})


async def create_invite(request: web.Request) -> web.Response:
    await _admin(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "partner-invite")
    code, expires = await partners.invite(
        request.app[appkeys.SERVICES], profiles=body.get("profiles", False),
        groups=body.get("groups", False),
    )  # fmt: skip
    return web.json_response({"code": code, "expires_at": when(expires)}, status=201)


async def accept_invite(request: web.Request) -> web.Response:
    await _admin(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "partner-accept")
    partner = await partners.accept(request.app[appkeys.FEDERATION], body["code"])
    return web.json_response(partner_doc(partner), status=201)


async def remove_partner(request: web.Request) -> web.Response:
    """Forget the partner here and say whether it could be told (it then forgets us too)."""
    await _admin(request)
    ended = await partners.end_partnership(
        request.app[appkeys.FEDERATION], request.match_info["host"]
    )
    if ended is None:
        raise NotFound("No such partner")
    return web.json_response(
        {"host": ended.host, "removed": True, "partner_told": ended.told,
         "partner_error": ended.error}
    )  # fmt: skip


async def list_deliveries(request: web.Request) -> web.Response:
    await _admin(request)
    cursor, limit = page_params(request)
    state = request.query.get("state")
    if state not in (None, "pending", "failed"):
        raise BadRequest("state must be pending or failed")
    page = await delivery.deliveries(
        request.app[appkeys.SERVICES], state=state, cursor=cursor, limit=limit
    )
    return paged_response(request, [delivery_doc(d) for d in page.items], page.next_cursor)
