"""Group routes: create, list, read, membership, roles and join requests."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feeds, groups
from feedserver.domain.access import GroupAccess
from feedserver.http import auth, partner_groups, render, shared_groups
from feedserver.http.paging import page_params, paged_response
from feedserver.http.validation import read_json


async def create_group(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "group-create")
    services = request.app[appkeys.SERVICES]
    group = await groups.create(
        services,
        viewer,
        name=body["name"],
        title=body["title"],
        description=body.get("description", ""),
        visibility=body.get("visibility", "private"),
        partners=body.get("partners"),
        language=body.get("language", ""),
    )
    found = await groups.get(services, viewer, group.name)
    return web.json_response(
        await _group_doc(request, found),
        status=201,
        headers={"Location": f"/api/v1/groups/{group.name}"},
    )


async def list_groups(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    page = await groups.visible(request.app[appkeys.SERVICES], viewer, after=cursor, limit=limit)
    items = [render.group(g) for g in page.items]
    if page.next_cursor is None:  # partners' groups the viewer belongs to (name@host) last
        items += await shared_groups.mine(request)
    return paged_response(request, items, page.next_cursor)


async def _group_doc(request: web.Request, found: GroupAccess) -> dict[str, Any]:
    doc = render.group(found.group, found)
    if found.group.visibility == "partners":
        doc["partners"] = await shared_groups.partners_of(request, found.group.id)
    return doc


async def get_group(request: web.Request) -> web.Response:
    if shared_groups.is_remote(request.match_info["name"]):
        return await shared_groups.get_group(request)
    viewer = await auth.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await groups.get(services, viewer, request.match_info["name"])
    doc = await _group_doc(request, found)
    doc["feed_url"] = await feeds.group_feed_url(services, viewer, found.group.name)
    return web.json_response(doc)


async def edit_group(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "group-edit")
    found = await groups.edit(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        title=body.get("title"), description=body.get("description"),
        visibility=body.get("visibility"), partners=body.get("partners"),
        language=body.get("language"),
    )  # fmt: skip
    return web.json_response(await _group_doc(request, found))


async def list_members(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    page = await groups.members(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], after=cursor, limit=limit
    )
    return paged_response(request, [render.group_member(m) for m in page.items], page.next_cursor)


async def put_member(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "group-member-put")
    if shared_groups.is_remote(request.match_info["username"]):  # username@partner-host
        return await shared_groups.put_member(request, body.get("role", "member"))
    result = await groups.put_member(
        request.app[appkeys.SERVICES],
        viewer,
        request.match_info["name"],
        request.match_info["username"],
        body.get("role", "member"),
    )
    return web.json_response(render.group_member(result))


async def remove_member(request: web.Request) -> web.Response:
    if shared_groups.is_remote(request.match_info["username"]):
        return await shared_groups.remove_member(request)
    viewer = await auth.signed_in(request)
    await groups.remove_member(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        request.match_info["username"],
    )  # fmt: skip
    return web.Response(status=204)


async def request_to_join(request: web.Request) -> web.Response:
    if shared_groups.is_remote(request.match_info["name"]):  # a partner's group: ask its host
        return await partner_groups.ask(request)
    viewer = await auth.signed_in(request)
    status = await groups.request_to_join(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"]
    )
    return web.json_response({"status": status}, status=201 if status == "joined" else 202)


async def list_join_requests(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    _, limit = page_params(request)
    found = await groups.join_requests(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], limit=limit
    )
    return web.json_response({"items": [render.join_request(r) for r in found]})


async def approve_join_request(request: web.Request) -> web.Response:
    return await _decide(request, approve=True)


async def reject_join_request(request: web.Request) -> web.Response:
    return await _decide(request, approve=False)


async def _decide(request: web.Request, *, approve: bool) -> web.Response:
    if shared_groups.is_remote(request.match_info["username"]):  # a partner's member
        return await partner_groups.decide(request, approve=approve)
    viewer = await auth.signed_in(request)
    await groups.decide_join_request(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        request.match_info["username"], approve=approve,
    )  # fmt: skip
    return web.Response(status=204)
