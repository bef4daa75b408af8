"""Public federation endpoints: discovery documents (WebFinger, NodeInfo, actors), the inbox
and the partner handshake. Server-to-server POSTs verify their signature before anything else."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.errors import BadRequest, FeedserverError, NotFound, PayloadTooLarge
from feedserver.federation import documents, group_joins, handshake, inbox, member_lookup
from feedserver.http.body_deadline import read_body, reads_own_body
from feedserver.http.metrics import METRICS
from feedserver.models import Member

ACTIVITY_JSON = "application/activity+json"
JRD_JSON = "application/jrd+json"
CONTEXT_PATH = documents.CONTEXT_PATH


def _json(doc: dict[str, Any], content_type: str, status: int = 200) -> web.Response:
    return web.Response(
        body=json.dumps(doc, ensure_ascii=False).encode(), status=status,
        content_type=content_type, charset="utf-8",
        headers={"Access-Control-Allow-Origin": "*"},
    )  # fmt: skip


def _target_uri(request: web.Request) -> str:
    # Signatures cover the URL the sender used: our public base URL, not what a proxy saw.
    return request.app[appkeys.CONFIG].public_url + request.path_qs


async def _body(request: web.Request) -> bytes:
    limit = request.app[appkeys.CONFIG].max_body_bytes
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"The body is larger than {limit} bytes")
    return await read_body(request)  # aiohttp stops at client_max_size (413) without a length


async def webfinger(request: web.Request) -> web.Response:
    config = request.app[appkeys.CONFIG]
    resource = request.query.get("resource", "")
    if not resource:
        raise BadRequest("resource is required")
    if resource in (f"{config.public_url}/actor", f"acct:{documents.our_host(config)}@"
                    f"{documents.our_host(config)}"):  # fmt: skip
        return _json(documents.webfinger_application(config), JRD_JSON)
    username = None
    if resource.startswith("acct:"):
        user, _, host = resource[5:].rpartition("@")
        if host.lower() == documents.our_host(config):
            username = user
    elif resource.startswith(f"{config.public_url}/users/"):
        username = resource.rsplit("/", 1)[1]
    member = await _member(request, username) if username else None
    fed = request.app[appkeys.FEDERATION]
    if (
        member is None
        and username
        and await member_lookup.signed_by_groups_partner(
            fed, request.app[appkeys.CONFIG].public_url + request.raw_path, request.headers
        )
    ):  # a partner adding one of ours to a group it shares with us
        member = await member_lookup.member_for_partner(fed, username)
    if member is None:
        raise NotFound("No such resource here")
    return _json(documents.webfinger(config, member.username), JRD_JSON)


async def _member(request: web.Request, username: str) -> Member | None:
    return await documents.public_member(request.app[appkeys.SERVICES], username)


async def nodeinfo_links(request: web.Request) -> web.Response:
    return _json(documents.nodeinfo_links(request.app[appkeys.CONFIG]), "application/json")


async def nodeinfo(request: web.Request) -> web.Response:
    return _json(documents.nodeinfo(request.app[appkeys.CONFIG]), documents.NODEINFO_PROFILE)


async def application_actor(request: web.Request) -> web.Response:
    return _json(documents.application_actor(request.app[appkeys.FEDERATION].keys), ACTIVITY_JSON)


async def context_document(request: web.Request) -> web.Response:
    """The JSON-LD context of our own terms, named by our actors and objects."""
    return _json(documents.feedserver_context(), "application/ld+json")


async def person_actor(request: web.Request) -> web.Response:
    member = await _member(request, request.match_info["username"])
    if member is None:
        raise NotFound("No such member")
    keys = request.app[appkeys.FEDERATION].keys
    return _json(documents.person_actor(keys, member), ACTIVITY_JSON)


@reads_own_body
async def post_inbox(request: web.Request) -> web.Response:
    fed = request.app[appkeys.FEDERATION]
    # The signature's checks on the headers first; then the body (bounded by client_max_size),
    # which the Ed25519 step needs to check the object's proof in the same trip.
    counted = request.app[METRICS].inbox
    try:
        screened = await inbox.screen_signature(fed, "POST", _target_uri(request), request.headers)
        body = await _body(request)
        signed = await inbox.verify_signature(fed, screened, request.headers, body)
        applied = await inbox.receive(fed, signed, body)
    except FeedserverError as error:
        counted.labels("refused", error.code).inc()  # the problem type: a fixed set
        raise
    counted.labels("accepted", "applied" if applied else "duplicate").inc()
    return web.Response(status=202 if applied else 200)


async def shared_groups_offered(request: web.Request) -> web.Response:
    """GET /shared-groups, signed by a partner sharing groups: our groups shared with it
    (name, title, description), which its members may ask to join."""
    fed = request.app[appkeys.FEDERATION]
    doc = await group_joins.offered_to(fed, _target_uri(request), request.headers)
    # For that partner only: no CORS, no cache.
    return web.json_response(doc, headers={"Cache-Control": "no-store"})


@reads_own_body
async def post_handshake(request: web.Request) -> web.Response:
    fed = request.app[appkeys.FEDERATION]
    body = await _body(request)
    answer = await handshake.handshake(fed, "POST", _target_uri(request), request.headers, body)
    fed.wake()  # the new partner's backfill of shared profiles
    return _json(answer, "application/json")
