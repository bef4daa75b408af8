"""Editing and deleting a post, and its revision history (authors edit; authors, mentors and
owners delete: the domain decides, the page only hides buttons it would refuse)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, groups, posts
from feedserver.errors import ValidationFailed
from feedserver.models import Post
from feedserver.web import forms, render, session


def _thread_url(post: Post) -> str:
    return f"/posts/{post.parent_id}#p-{post.id}" if post.parent_id else f"/posts/{post.id}"


async def edit_form(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    post = await posts.get(services, viewer, request.match_info["id"])
    found = await groups.get(services, viewer, post.group_name)
    if not access.may_edit(viewer, found, post):
        raise web.HTTPSeeOther(_thread_url(post))
    values = {"title": post.title, "body": post.body, "tags": " ".join(post.tags)}
    return await render.page(request, "post_edit.html", post=post, values=values, errors={})


async def save(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    form = await forms.fields(request)
    post_id = request.match_info["id"]
    post = await posts.get(services, viewer, post_id)
    values = {k: form.get(k, "") for k in ("title", "body", "tags")}
    top_level = post.parent_id is None
    try:
        updated = await posts.edit(
            services, viewer, post_id, title=values["title"] if top_level else None,
            body=values["body"], tags=forms.tag_list(values["tags"]) if top_level else None,
        )  # fmt: skip
    except ValidationFailed as error:
        return await render.page(
            request, "post_edit.html", status=422, post=post, values=values,
            errors=forms.field_errors(error),
        )  # fmt: skip
    raise render.redirect(_thread_url(updated))


async def delete(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    post = await posts.get(services, viewer, request.match_info["id"])
    await posts.delete(services, viewer, post.id)
    back = f"/posts/{post.parent_id}" if post.parent_id else f"/groups/{post.group_name}"
    raise render.redirect(back)


async def revisions(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    post = await posts.get(services, viewer, request.match_info["id"])
    found = await posts.revisions(services, viewer, post.id)
    return await render.page(
        request, "post_revisions.html", post=post,
        revisions=sorted(found, key=lambda r: -r.revision),
    )  # fmt: skip
