"""Groups: the list and create form, a group's page (posts by kind and tag, the ask and share
forms), and membership: joining, roles and join requests for owners and mentors."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import cached_groups, groups, notifications, overview, posts
from feedserver.domain.text import normalize_tag
from feedserver.errors import Conflict, FeedserverError, NotFound, ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.models import ROLES, TOP_LEVEL_KINDS, VISIBILITIES
from feedserver.web import (
    feed_links,
    forms,
    partner_group_pages,
    render,
    session,
    shared_group_pages,
)

POSTS_SHOWN = 20
KIND_LABELS = {"question": "Questions", "story": "Stories", "tip": "Tips", "note": "Notes"}


async def group_list(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    cursor = decode_cursor(request.query.get("cursor"))
    found = await groups.visible(request.app[appkeys.SERVICES], viewer, after=cursor, limit=50)
    # Partners' groups the viewer belongs to (name@host), with the first page.
    shared = await cached_groups.mine(request.app[appkeys.SERVICES], viewer) if not cursor else []
    return await render.page(
        request, "groups.html", groups=found.items, shared=shared,
        next=encode_cursor(found.next_cursor) if found.next_cursor else None,
        visibilities=VISIBILITIES, values={"visibility": "private"}, errors={},
    )  # fmt: skip


async def group_create(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    values = {k: form.get(k, "") for k in ("name", "title", "description", "visibility")}
    services = request.app[appkeys.SERVICES]
    try:
        if values["visibility"] not in VISIBILITIES:
            raise ValidationFailed([{"field": "visibility", "message": "pick one of the list"}])
        if not values["title"]:
            raise ValidationFailed([{"field": "title", "message": "give the group a title"}])
        group = await groups.create(
            services, viewer, name=values["name"], title=values["title"],
            description=values["description"], visibility=values["visibility"],
        )  # fmt: skip
    except (ValidationFailed, Conflict) as error:
        errors = (
            forms.field_errors(error)
            if isinstance(error, ValidationFailed)
            else {"name": error.detail}
        )
        found = await groups.visible(services, viewer, after=None, limit=50)
        return await render.page(
            request, "groups.html", status=error.status, groups=found.items, next=None,
            visibilities=VISIBILITIES, values=values, errors=errors,
        )  # fmt: skip
    raise render.redirect(f"/groups/{group.name}")


async def group_page(request: web.Request) -> web.Response:
    return await _group_page(request)


async def _group_page(
    request: web.Request, *, status: int = 200, ask: dict[str, str] | None = None,
    errors: dict[str, str] | None = None, add: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    if "@" in request.match_info["name"]:  # a partner's group held here: name@host
        return await shared_group_pages.group_page(request)
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name = request.match_info["name"]
    found = await groups.get(services, viewer, name)  # 404 for a group the viewer may not see
    kind = request.query.get("kind")
    kind = kind if kind in TOP_LEVEL_KINDS else None
    tag = request.query.get("tag") or None
    # Paging both ways: "cursor" goes to older posts, "newer" back towards the newest.
    newer_than = decode_cursor(request.query.get("newer"))
    if newer_than is not None:
        items, more_newer = await posts.group_posts_newer(
            services, viewer, name, kind=kind, tag=tag, after=newer_than, limit=POSTS_SHOWN
        )
        older = items[-1].id if items else None
    else:
        page = await posts.group_posts(
            services, viewer, name, kind=kind, tag=tag,
            cursor=decode_cursor(request.query.get("cursor")), limit=POSTS_SHOWN,
        )  # fmt: skip
        items, older = page.items, page.next_cursor
        more_newer = "cursor" in request.query
    newer = encode_cursor(items[0].id) if more_newer and items else None
    tags = await overview.group_tags(services, viewer, name)
    roster = requests = None
    if found.can_moderate:  # owners and mentors see members, roles and join requests
        roster = (await groups.members(services, viewer, name, after=None, limit=200)).items
        requests = await groups.join_requests(services, viewer, name, limit=100)
    links = await feed_links.group(request, viewer, found.group)
    if tag and (clean := normalize_tag(tag)) is not None:
        links += await feed_links.tag(request, viewer, clean)
    return await render.page(
        request, "group.html", status=status, access=found, group=found.group, posts=items,
        next=encode_cursor(older) if older else None, newer=newer,
        kind=kind, tag=tag, tags=tags, kinds=KIND_LABELS, roster=roster, requests=requests,
        roles=ROLES, ask=ask or {}, errors=errors or {}, feed_links=links, add=add or {},
        watch_level=await notifications.group_level(services, viewer, name),
    )  # fmt: skip


async def post_create(request: web.Request) -> web.StreamResponse:
    if "@" in request.match_info["name"]:  # a partner's group: the post goes to its host
        return await shared_group_pages.post_create(request)
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    kind = form.get("kind", "")
    values = {"kind": kind, "title": form.get("title", ""), "body": form.get("body", "")}
    values["tags"] = form.get("tags", "")
    try:
        if kind not in TOP_LEVEL_KINDS:
            raise ValidationFailed([{"field": "kind", "message": "pick a kind of post"}])
        post = await posts.create(
            request.app[appkeys.SERVICES], viewer, request.match_info["name"], kind=kind,
            title=values["title"], body=values["body"], tags=forms.tag_list(values["tags"]),
        )  # fmt: skip
    except ValidationFailed as error:
        # Show the form again with what was typed: nothing is lost.
        return await _group_page(request, status=422, ask=values, errors=forms.field_errors(error))
    raise render.redirect(f"/posts/{post.id}")


async def join_group(request: web.Request) -> web.StreamResponse:
    if "@" in request.match_info["name"]:  # a partner's group: the request goes to its host
        return await partner_group_pages.ask(request)
    viewer = await session.signed_in(request)
    name = request.match_info["name"]
    status = await groups.request_to_join(request.app[appkeys.SERVICES], viewer, name)
    if status == "joined":
        raise render.redirect(f"/groups/{name}")
    raise render.redirect(f"/groups/{name}/requested")  # post/redirect/get


async def requested(request: web.Request) -> web.Response:
    await session.signed_in(request)
    return await render.page(request, "requested.html", name=request.match_info["name"])


async def leave_group(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    assert viewer.member is not None
    try:
        await groups.remove_member(
            request.app[appkeys.SERVICES], viewer, request.match_info["name"],
            viewer.member.username,
        )  # fmt: skip
    except Conflict as error:  # the sole owner: say so beside the button, keep the page
        return await _group_page(request, status=error.status, errors={"leave": error.detail})
    raise render.redirect("/groups")


async def put_member(request: web.Request) -> web.StreamResponse:
    """Add a member or change a role (owners; the domain refuses anyone else)."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    name = request.match_info["name"]
    role = form.get("role", "member")
    if role not in ROLES:
        raise ValidationFailed([{"field": "role", "message": "pick one of the list"}])
    username = request.match_info.get("username") or form.get("username", "").lower()
    try:
        await groups.put_member(request.app[appkeys.SERVICES], viewer, name, username, role)
    except (NotFound, Conflict, ValidationFailed) as error:
        if isinstance(error, NotFound) and "username" in request.match_info:
            raise  # a stale roster row, not a typing mistake
        # A mistake in the form is shown next to its field; what was typed stays.
        field = "roster" if "username" in request.match_info else "username"
        return await _group_page(
            request, status=error.status, errors={field: _said(error)},
            add={"username": username, "role": role},
        )  # fmt: skip
    raise render.redirect(f"/groups/{name}#members")


def _said(error: FeedserverError) -> str:
    if isinstance(error, ValidationFailed) and (found := forms.field_errors(error)):
        return next(iter(found.values()))
    return error.detail


async def remove_member(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    name = request.match_info["name"]
    await groups.remove_member(
        request.app[appkeys.SERVICES], viewer, name, request.match_info["username"]
    )
    raise render.redirect(f"/groups/{name}#members")


async def decide_request(request: web.Request) -> web.StreamResponse:
    if "@" in request.match_info["username"]:  # a partner's member asked from their server
        return await partner_group_pages.decide(request)
    viewer = await session.signed_in(request)
    name = request.match_info["name"]
    await groups.decide_join_request(
        request.app[appkeys.SERVICES], viewer, name, request.match_info["username"],
        approve=request.match_info["decision"] == "approve",
    )  # fmt: skip
    raise render.redirect(f"/groups/{name}#requests")
