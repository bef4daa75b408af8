"""A thread: the question (or story), its answers and replies; reply, accept, mark helpful;
for a question, the experts it could be routed to (and asking one of them)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, groups, posts, routing
from feedserver.errors import ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.web import feed_links, forms, render, session

SUGGESTED_EXPERTS = 5


async def thread_page(request: web.Request) -> web.Response:
    return await _thread_page(request)


async def _thread_page(
    request: web.Request, *, status: int = 200, draft: str = "",
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await posts.thread(
        services, viewer, request.match_info["id"],
        cursor=decode_cursor(request.query.get("cursor")), limit=100,
    )  # fmt: skip
    if found.post.parent_id is not None:  # a reply's own URL shows its thread
        raise render.redirect(f"/posts/{found.post.parent_id}#p-{found.post.id}")
    group_access = await groups.get(services, viewer, found.post.group_name)
    question = found.post
    accepted = [r for r in found.replies if r.id == question.accepted_answer_id]
    others = [r for r in found.replies if r.id != question.accepted_answer_id]
    everything = [question, *found.replies]
    suggestions = []
    if question.kind == "question" and group_access.can_post:
        suggestions = await routing.suggest(services, viewer, question.id, limit=SUGGESTED_EXPERTS)
    return await render.page(
        request, "thread.html", status=status, post=question, group=group_access.group,
        access=group_access, replies=accepted + others, accepted_id=question.accepted_answer_id,
        helpful=found.helpful_by_viewer,
        may_accept=access.may_accept(viewer, group_access, question),
        next=encode_cursor(found.next_cursor) if found.next_cursor else None,
        draft=draft, errors=errors or {}, suggestions=suggestions,
        editable={p.id for p in everything if access.may_edit(viewer, group_access, p)},
        deletable={p.id for p in everything if access.may_delete(viewer, group_access, p)},
        may_promote=question.kind == "question" and bool(question.accepted_answer_id)
        and group_access.can_post,
        feed_links=await feed_links.thread(request, viewer, question),
    )  # fmt: skip


async def reply(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    try:
        created = await posts.reply(
            request.app[appkeys.SERVICES], viewer, request.match_info["id"],
            body=form.get("body", ""),
        )  # fmt: skip
    except ValidationFailed as error:
        return await _thread_page(
            request, status=422, draft=form.get("body", ""), errors=forms.field_errors(error)
        )
    raise render.redirect(f"/posts/{created.parent_id}#p-{created.id}")


async def accept(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    answer_id = request.match_info["id"]
    services = request.app[appkeys.SERVICES]
    if form.get("undo"):
        question = await posts.unaccept(services, viewer, answer_id)
    else:
        question = await posts.accept(services, viewer, answer_id)
    raise render.redirect(f"/posts/{question.id}#p-{answer_id}")


async def helpful(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    post = await posts.set_helpful(
        request.app[appkeys.SERVICES], viewer, request.match_info["id"],
        helpful=not form.get("undo"),
    )  # fmt: skip
    raise render.redirect(f"/posts/{post.parent_id or post.id}#p-{post.id}")


async def ask(request: web.Request) -> web.StreamResponse:
    """Route the question to one suggested expert (it shows on their home page)."""
    viewer = await session.signed_in(request)
    post_id = request.match_info["id"]
    await routing.ask(
        request.app[appkeys.SERVICES], viewer, post_id, request.match_info["username"]
    )
    raise render.redirect(f"/posts/{post_id}#experts")
