"""Post routes: timelines, threads, replies, edits, acceptance, helpful marks, search."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import posts, search
from feedserver.errors import BadRequest
from feedserver.http import api_answers, auth, render, render_expertise, shared_groups
from feedserver.http.paging import page_params, paged_response
from feedserver.http.params import tag_input
from feedserver.http.serving import client_gone
from feedserver.http.validation import read_json
from feedserver.models import TOP_LEVEL_KINDS, CopyHit


async def list_posts(request: web.Request) -> web.Response:
    if shared_groups.is_remote(request.match_info["name"]):  # a partner's group: name@host
        return await shared_groups.list_posts(request)
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    kind = request.query.get("kind")
    if kind is not None and kind not in TOP_LEVEL_KINDS:
        raise BadRequest(f"kind must be one of {', '.join(TOP_LEVEL_KINDS)}")
    tag = request.query.get("tag")
    page = await posts.group_posts(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        kind=kind, tag=None if tag is None else tag_input(tag, "tag"), cursor=cursor, limit=limit,
    )  # fmt: skip
    items = [render.post(p) for p in page.items]
    return api_answers.remember(request, paged_response(request, items, page.next_cursor))


async def create_post(request: web.Request) -> web.Response:
    if shared_groups.is_remote(request.match_info["name"]):  # a partner's group: name@host
        return await shared_groups.create_post(request)
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "post-create")
    post = await posts.create(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"],
        kind=body["kind"], title=body["title"], body=body["body"], tags=body.get("tags", []),
    )  # fmt: skip
    return web.json_response(
        render.post(post), status=201, headers={"Location": f"/api/v1/posts/{post.id}"}
    )


async def get_post(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    found = await posts.thread(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], cursor=cursor, limit=limit
    )
    doc = render.post(found.post, helpful_by_me=found.post.id in found.helpful_by_viewer)
    doc["replies"] = [
        render.post(r, helpful_by_me=r.id in found.helpful_by_viewer) for r in found.replies
    ]
    response = paged_response(request, doc.pop("replies"), found.next_cursor, post=doc)
    return api_answers.remember(request, response)


async def edit_post(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "post-edit")
    post = await posts.edit(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"],
        title=body.get("title"), body=body.get("body"), tags=body.get("tags"),
    )  # fmt: skip
    return web.json_response(render.post(post))


async def delete_post(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    await posts.delete(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    return web.Response(status=204)


async def list_revisions(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    found = await posts.revisions(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    return web.json_response({"items": [render.revision(r) for r in found]})


async def create_reply(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "reply-create")
    post = await posts.reply(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], body=body["body"]
    )
    return web.json_response(
        render.post(post), status=201, headers={"Location": f"/api/v1/posts/{post.id}"}
    )


async def accept_answer(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    question = await posts.accept(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    return web.json_response(render.post(question))


async def unaccept_answer(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    question = await posts.unaccept(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    return web.json_response(render.post(question))


async def mark_helpful(request: web.Request) -> web.Response:
    return await _helpful(request, helpful=True)


async def unmark_helpful(request: web.Request) -> web.Response:
    return await _helpful(request, helpful=False)


async def _helpful(request: web.Request, *, helpful: bool) -> web.Response:
    viewer = await auth.signed_in(request)
    post = await posts.set_helpful(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"], helpful=helpful
    )
    return web.json_response(render.post(post, helpful_by_me=helpful))


async def search_posts(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    page = await search.posts_and_pages(
        request.app[appkeys.SERVICES], viewer, request.query.get("q", ""),
        cursor=cursor, limit=limit, abandoned=client_gone(request),
    )  # fmt: skip
    items = [
        shared_groups.copy_hit(h) if isinstance(h, CopyHit) else render_expertise.any_hit(h)
        for h in page.items
    ]
    return paged_response(request, items, page.next_cursor)
