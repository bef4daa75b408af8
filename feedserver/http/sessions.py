"""Log in, log out, who am I; admin creates members."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import members
from feedserver.http import auth, render
from feedserver.http.validation import read_json


def client_address(request: web.Request) -> str:
    """The client's address; behind a trusted proxy, the last hop that proxy saw. Anything
    else in X-Forwarded-For could be written by the client, so it is not believed."""
    remote = request.remote or "unknown"
    trusted = {a.strip() for a in request.app[appkeys.CONFIG].trusted_proxies.split(",") if a}
    forwarded = request.headers.get("X-Forwarded-For")
    if remote in trusted and forwarded:
        return forwarded.split(",")[-1].strip() or remote
    return remote


async def create_session(request: web.Request) -> web.Response:
    body = await read_json(request, request.app[appkeys.SCHEMAS], "session-create")
    member, token = await members.log_in(
        request.app[appkeys.SERVICES],
        request.app[appkeys.LOGIN_THROTTLE],
        username=body["username"].strip().lower(),
        password=body["password"],
        address=client_address(request),
    )
    return web.json_response(
        {"token": token, "token_type": "Bearer", "member": render.member(member)}, status=201
    )


async def delete_current_session(request: web.Request) -> web.Response:
    await auth.signed_in(request)
    await members.log_out(request.app[appkeys.SERVICES], request[appkeys.TOKEN])
    return web.Response(status=204)


async def me(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    assert viewer.member is not None
    return web.json_response(render.member(viewer.member))


async def create_member(request: web.Request) -> web.Response:
    viewer = await auth.viewer(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "member-create")
    member = await members.create_by(
        request.app[appkeys.SERVICES],
        viewer,
        username=body["username"],
        display_name=body.get("display_name"),
        password=body["password"],
        is_admin=body.get("admin", False),
        email=body.get("email"),
    )
    return web.json_response(
        render.member(member),
        status=201,
        headers={"Location": f"/api/v1/members/{member.username}"},
    )


async def get_member(request: web.Request) -> web.Response:
    viewer = await auth.viewer(request)
    member = await members.by_username(
        request.app[appkeys.SERVICES], viewer, request.match_info["username"]
    )
    return web.json_response(render.member(member))
