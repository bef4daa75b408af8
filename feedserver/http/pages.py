"""FAQ page routes: create/update with conflict detection, revisions, locks, promotion."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import pages
from feedserver.http import auth, render, render_expertise
from feedserver.http.paging import page_params, paged_response
from feedserver.http.validation import read_json


def _where(request: web.Request) -> tuple[str, str]:
    return request.match_info["name"], request.match_info["slug"]


async def put_page(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "page-put")
    name, slug = _where(request)
    page, created = await pages.put(
        request.app[appkeys.SERVICES], viewer, name, slug, title=body["title"],
        body=body["body"], base_revision=body.get("base_revision"), tags=body.get("tags"),
    )  # fmt: skip
    location = f"/api/v1/groups/{name}/pages/{slug}"
    return web.json_response(
        render_expertise.page(page), status=201 if created else 200,
        headers={"Location": location} if created else None,
    )  # fmt: skip


async def get_page(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    page = await pages.read(request.app[appkeys.SERVICES], viewer, *_where(request))
    return web.json_response(render_expertise.page(page))


async def list_pages(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    found = await pages.group_pages(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        cursor=cursor, limit=limit,
    )  # fmt: skip
    return paged_response(
        request, [render_expertise.page(p) for p in found.items], found.next_cursor
    )


async def list_revisions(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await pages.revisions(request.app[appkeys.SERVICES], viewer, *_where(request))
    return web.json_response({"items": [render.revision(r) for r in found]})


async def get_revision(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await pages.revision(
        request.app[appkeys.SERVICES], viewer, *_where(request), request.match_info["revision"]
    )
    return web.json_response(render.revision(found))


async def lock_page(request: web.Request) -> web.Response:
    return await _lock(request, locked=True)


async def unlock_page(request: web.Request) -> web.Response:
    return await _lock(request, locked=False)


async def _lock(request: web.Request, *, locked: bool) -> web.Response:
    viewer = await auth.signed_in(request)
    page = await pages.set_locked(
        request.app[appkeys.SERVICES], viewer, *_where(request), locked=locked
    )
    return web.json_response(render_expertise.page(page))


async def promote(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = {}
    if request.body_exists:
        body = await read_json(request, request.app[appkeys.SCHEMAS], "page-promote")
    page = await pages.promote(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], slug=body.get("slug")
    )
    return web.json_response(
        render_expertise.page(page), status=201,
        headers={"Location": f"/api/v1/groups/{page.group_name}/pages/{page.slug}"},
    )  # fmt: skip
