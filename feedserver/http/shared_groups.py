"""Groups shared with partner servers over the API: on the hosting server the partner list
and remote members (username@host); on a member server its copy, addressed name@host."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import cached_groups, feeds, group_sharing
from feedserver.domain.access import SharedGroupAccess
from feedserver.errors import NotFound, Unauthorized
from feedserver.federation import group_sharing as sharing
from feedserver.federation import shared_writes
from feedserver.feeds import shared_atom
from feedserver.http import auth
from feedserver.http.paging import page_params, paged_response
from feedserver.http.render import group_member, when
from feedserver.http.validation import read_json
from feedserver.models import CachedGroup, CachedPost, CopyHit


def is_remote(name: str) -> bool:
    return "@" in name


def cached_group(g: CachedGroup, found: SharedGroupAccess | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": g.address,
        "title": g.title,
        "description": g.description,
        "visibility": "partners",
        "version": g.version,
        "host": g.host,
        "organization": g.organization,
        "role": g.role,
    }
    if found is not None:
        doc["permissions"] = {
            "post": found.can_post, "moderate": False, "manage": False, "join": False,
        }  # fmt: skip
    return doc


def cached_post(g: CachedGroup, p: CachedPost) -> dict[str, Any]:
    return {
        "id": p.object_id,
        "group": g.address,
        "parent_id": p.parent_id,
        "kind": p.kind,
        "title": p.title,
        "body_html": p.body_html,
        "tags": list(p.tags),
        "author": {"username": p.author, "display_name": p.author},
        "created_at": when(p.published),
        "updated_at": when(p.updated),
        "state": p.state,
        "accepted_answer_id": p.accepted_answer,
        "helpful_count": p.helpful_count,
    }


def copy_hit(hit: CopyHit) -> dict[str, Any]:
    """A post of a copy found by search, with where to read it here: its thread on the
    group's page, and the group's posts in the API."""
    address = hit.group.address
    return {
        "shared_post": cached_post(hit.group, hit.post),
        "snippet_html": hit.snippet_html,
        "rank": hit.rank,
        "links": {
            "html": f"/groups/{address}#{hit.post.anchor}",
            "posts": f"/api/v1/groups/{address}/posts",
        },
    }


async def create_post(request: web.Request) -> web.Response:
    """A post in a partner's group: pending here until the group's host takes it."""
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "post-create")
    return await _written(request, await shared_writes.write(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
        kind=body["kind"], title=body["title"], body=body["body"], tags=body.get("tags", []),
    ))  # fmt: skip


async def create_reply(request: web.Request) -> web.Response:
    """An answer or reply to a post of a partner's group (POST .../groups/{name@host}/replies);
    our own groups take replies at /api/v1/posts/{id}/replies."""
    viewer = await auth.signed_in(request)
    if not is_remote(request.match_info["name"]):
        raise NotFound("No such group")
    body = await read_json(request, request.app[appkeys.SCHEMAS], "shared-reply-create")
    return await _written(request, await shared_writes.write(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
        body=body["body"], in_reply_to=body["in_reply_to"],
    ))  # fmt: skip


async def accept_answer(request: web.Request) -> web.Response:
    """POST .../groups/{name@host}/accept: the answer goes to the group's host, and the copy
    shows it accepted once the host relays it."""
    viewer = await auth.signed_in(request)
    if not is_remote(request.match_info["name"]):
        raise NotFound("No such group")
    body = await read_json(request, request.app[appkeys.SCHEMAS], "shared-accept")
    await shared_writes.accept(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"], body["answer_id"]
    )
    return web.json_response({"answer_id": body["answer_id"], "state": "pending"}, status=202)


async def delete_post(request: web.Request) -> web.Response:
    """POST .../groups/{name@host}/deletions: the post's removal goes to the group's host, and
    the copy drops it once the host relays it (a write the host refused goes at once)."""
    viewer = await auth.signed_in(request)
    if not is_remote(request.match_info["name"]):
        raise NotFound("No such group")
    body = await read_json(request, request.app[appkeys.SCHEMAS], "shared-delete")
    state = await shared_writes.delete(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"], body["post_id"]
    )
    return web.json_response({"post_id": body["post_id"], "state": state}, status=202)


async def mark_helpful(request: web.Request) -> web.Response:
    """POST .../groups/{name@host}/helpful: the mark (or, with "helpful": false, taking it
    back) goes to the group's host, which keeps the marks."""
    viewer = await auth.signed_in(request)
    if not is_remote(request.match_info["name"]):
        raise NotFound("No such group")
    body = await read_json(request, request.app[appkeys.SCHEMAS], "shared-helpful")
    marked = body.get("helpful", True)
    await shared_writes.helpful(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"], body["post_id"],
        marked=marked,
    )  # fmt: skip
    doc = {"post_id": body["post_id"], "helpful": marked, "state": "pending"}
    return web.json_response(doc, status=202)


async def edit_post(request: web.Request) -> web.Response:
    """POST .../groups/{name@host}/edits: the author's new version goes to the group's host,
    and the copy shows it once the host relays it."""
    viewer = await auth.signed_in(request)
    if not is_remote(request.match_info["name"]):
        raise NotFound("No such group")
    body = await read_json(request, request.app[appkeys.SCHEMAS], "shared-edit")
    await shared_writes.edit(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"], body["post_id"],
        title=body.get("title"), body=body.get("body"), tags=body.get("tags"),
    )  # fmt: skip
    return web.json_response({"post_id": body["post_id"], "state": "pending"}, status=202)


async def _written(request: web.Request, post: CachedPost) -> web.Response:
    services = request.app[appkeys.SERVICES]
    viewer = await auth.signed_in(request)
    found = await cached_groups.get(services, viewer, request.match_info["name"])
    return web.json_response(cached_post(found.group, post), status=202)


async def get_group(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await cached_groups.get(services, viewer, request.match_info["name"])
    doc = cached_group(found.group, found)
    doc["feed_url"] = await feeds.group_feed_url(services, viewer, found.group.address)
    return web.json_response(doc)


async def group_feed(request: web.Request) -> web.Response:
    """/feeds/groups/{name}@{host}.atom?token=...: 404 for anything but a member's token."""
    services = request.app[appkeys.SERVICES]
    token = request.query.get("token")
    try:
        found = await cached_groups.feed(services, token, request.match_info["name"])
    except (NotFound, Unauthorized):
        return web.Response(status=404, headers={"Cache-Control": "no-store"})
    body = shared_atom.render(
        found.group, found.posts, found.tombstones, services.config.public_url, token or ""
    )
    return web.Response(
        body=body, content_type="application/atom+xml", charset="utf-8",
        headers={"Cache-Control": "private, no-cache"},
    )  # fmt: skip


async def list_posts(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    _, limit = page_params(request)
    found, items = await cached_groups.posts(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], limit
    )
    return paged_response(request, [cached_post(found.group, p) for p in items], None)


async def mine(request: web.Request) -> list[dict[str, Any]]:
    """The viewer's partners' groups, for the last page of GET /api/v1/groups."""
    viewer = await auth.signed_in(request)
    return [
        cached_group(g) for g in await cached_groups.mine(request.app[appkeys.SERVICES], viewer)
    ]


async def put_member(request: web.Request, role: str) -> web.Response:
    viewer = await auth.signed_in(request)
    member = await sharing.add_remote_member(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
        request.match_info["username"], role,
    )  # fmt: skip
    return web.json_response(group_member(member))


async def remove_member(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    split = group_sharing.split_address(request.match_info["username"])
    assert split is not None
    await group_sharing.remove_remote_member(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], split[1], split[0]
    )
    return web.Response(status=204)


async def partners_of(request: web.Request, group_id: str) -> list[str]:
    return await group_sharing.partners_of(request.app[appkeys.SERVICES], group_id)
