"""The page of a partner's group held here (/groups/{name}@{host}): for our members who are
its members, like every other read through the access policy; everyone else gets the 404 of
a group that does not exist. Its members ask, answer and accept here; each write goes to
the group's host and shows as pending until the host relays it back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, cached_groups
from feedserver.errors import ValidationFailed
from feedserver.federation import shared_writes
from feedserver.models import TOP_LEVEL_KINDS, CachedPost
from feedserver.web import feed_links, forms, render, session

POSTS_SHOWN = 200  # posts and replies, newest first


def threads(posts: list[CachedPost]) -> list[tuple[CachedPost, list[CachedPost]]]:
    """Each top-level post (newest first) with its answers and replies (oldest first)."""
    replies: dict[str, list[CachedPost]] = {}
    for post in posts:
        if post.parent_id is not None:
            replies.setdefault(post.parent_id, []).insert(0, post)
    return [(p, replies.get(p.object_id, [])) for p in posts if p.parent_id is None]


async def group_page(
    request: web.Request, *, status: int = 200, ask: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    found, posts = await cached_groups.posts(
        request.app[appkeys.SERVICES], viewer, request.match_info["name"], POSTS_SHOWN
    )
    group = found.group
    links = await feed_links.shared_group(request, viewer, group)
    shown = threads(posts)
    # Which questions the viewer may pick an answer for (the host checks again).
    acceptable = {q.object_id for q, _ in shown if access.may_moderate_copy(found, viewer, q)}
    # And which posts they may remove (their own; any, as a mentor or owner).
    removable = {p.object_id for p in posts if access.may_moderate_copy(found, viewer, p)}
    return await render.page(
        request, "shared_group.html", status=status, group=group, access=found,
        threads=shown, feed_links=links, ask=ask or {}, errors=errors or {},
        compose_to=group.address, acceptable=acceptable, removable=removable,
        me_id=viewer.member_id,
        sources=await cached_groups.own_sources(
            request.app[appkeys.SERVICES], viewer, found, POSTS_SHOWN
        ),
    )  # fmt: skip


async def post_create(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    values = {k: form.get(k, "") for k in ("kind", "title", "body", "tags")}
    try:
        if values["kind"] not in TOP_LEVEL_KINDS:
            raise ValidationFailed([{"field": "kind", "message": "pick a kind of post"}])
        await shared_writes.write(
            request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
            kind=values["kind"], title=values["title"], body=values["body"],
            tags=forms.tag_list(values["tags"]),
        )  # fmt: skip
    except ValidationFailed as error:  # the form again with what was typed: nothing is lost
        return await group_page(request, status=422, ask=values, errors=forms.field_errors(error))
    raise render.redirect(f"/groups/{request.match_info['name']}")


async def reply(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    try:
        await shared_writes.write(
            request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
            body=form.get("body", ""), in_reply_to=form.get("in_reply_to", ""),
        )  # fmt: skip
    except ValidationFailed as error:
        return await group_page(request, status=422, errors=forms.field_errors(error))
    raise render.redirect(f"/groups/{request.match_info['name']}")


async def edit(request: web.Request) -> web.StreamResponse:
    """The author's new version of their post (a reply's form has only a body)."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    try:
        await shared_writes.edit(
            request.app[appkeys.FEDERATION], viewer, request.match_info["name"],
            form.get("post_id", ""), title=form.get("title"), body=form.get("body", ""),
            tags=forms.tag_list(form["tags"]) if "tags" in form else None,
        )  # fmt: skip
    except ValidationFailed as error:
        return await group_page(request, status=422, errors=forms.field_errors(error))
    raise render.redirect(f"/groups/{request.match_info['name']}")


async def accept(request: web.Request) -> web.StreamResponse:
    return await _act(request, "answer_id", shared_writes.accept)


async def delete(request: web.Request) -> web.StreamResponse:
    return await _act(request, "post_id", shared_writes.delete)


async def helpful(request: web.Request) -> web.StreamResponse:
    return await _act(request, "post_id", shared_writes.helpful)


async def _act(
    request: web.Request, field: str, action: Callable[..., Awaitable[object]]
) -> web.StreamResponse:
    """A button on a post: `action` on the post its form names, then the page again."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    await action(
        request.app[appkeys.FEDERATION], viewer, request.match_info["name"], form.get(field, "")
    )
    raise render.redirect(f"/groups/{request.match_info['name']}")
