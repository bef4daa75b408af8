"""Expertise routes: profiles, endorsements, the directory, question routing."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import federated_experts, profiles, routing
from feedserver.domain.federated_experts import PartnerExpert
from feedserver.errors import BadRequest
from feedserver.http import auth, bodies, federation_experts, render_expertise
from feedserver.http.paging import page_params, paged_response
from feedserver.http.params import tag_input
from feedserver.http.validation import read_json

MAX_SUGGESTIONS = 20


def _server(request: web.Request) -> str:
    return request.app[appkeys.CONFIG].public_url


async def get_profile(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    view = await profiles.get(request.app[appkeys.SERVICES], viewer, request.match_info["username"])
    return web.json_response(render_expertise.profile(view, _server(request)))


async def put_profile(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "profile-put")
    view = await profiles.put(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"],
        bodies.profile_declaration(body),
    )  # fmt: skip
    return web.json_response(render_expertise.profile(view, _server(request)))


async def endorse(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    created = await profiles.endorse(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"],
        tag_input(request.match_info["topic"], "topic"), add=True,
    )  # fmt: skip
    return web.json_response({"endorsed": True}, status=201 if created else 200)


async def unendorse(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    await profiles.endorse(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"],
        tag_input(request.match_info["topic"], "topic"), add=False,
    )  # fmt: skip
    return web.Response(status=204)


async def directory(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    topic = request.query.get("topic")
    services = request.app[appkeys.SERVICES]
    # Federation: local and partners' entries in one ranking with one cursor; every
    # entry says where the person works.
    found, next_cursor = await federated_experts.directory(
        services, viewer, topic=topic if topic is None else tag_input(topic, "topic"),
        text=request.query.get("q", ""), cursor=cursor, limit=limit,
    )  # fmt: skip
    server, org = _server(request), services.config.organization
    items = [
        federation_experts.partner_entry(x)
        if isinstance(x, PartnerExpert)
        else {**render_expertise.expert(x, server), "organization": org}
        for x in found
    ]
    return paged_response(request, items, next_cursor)


async def suggested_experts(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    raw = request.query.get("limit", "5")
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_SUGGESTIONS:
        raise BadRequest(f"limit must be between 1 and {MAX_SUGGESTIONS}")
    found = await routing.suggest(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], limit=int(raw)
    )
    server = _server(request)
    return web.json_response({"items": [render_expertise.suggestion(s, server) for s in found]})


async def ask(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found, created = await routing.ask(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"],
        request.match_info["username"],
    )  # fmt: skip
    doc = render_expertise.ask(found)
    doc["expert"] = request.match_info["username"]
    return web.json_response(doc, status=201 if created else 200)


async def my_asks(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    page = await routing.my_asks(request.app[appkeys.SERVICES], viewer, cursor=cursor, limit=limit)
    return paged_response(request, [render_expertise.ask(a) for a in page.items], page.next_cursor)
