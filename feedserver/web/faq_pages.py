"""FAQ pages: a group's list, reading, writing with the revision it was based on, history,
locks. An edit that lost a race is never dropped: the page shows the current text beside the
member's own, and saving again is based on the revision they have now seen."""

from __future__ import annotations

import difflib

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, groups, pages, posts
from feedserver.errors import Conflict, Forbidden, ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.web import forms, render, session


def _where(request: web.Request) -> tuple[str, str]:
    return request.match_info["name"], request.match_info["slug"]


async def page_list(request: web.Request) -> web.Response:
    return await _page_list(request)


async def _page_list(
    request: web.Request, *, status: int = 200, values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name = request.match_info["name"]
    found = await groups.get(services, viewer, name)  # 404 for a group the viewer may not see
    listed = await pages.group_pages(
        services, viewer, name, cursor=decode_cursor(request.query.get("cursor")), limit=50
    )
    return await render.page(
        request, "faq_list.html", status=status, group=found.group, access=found,
        pages=listed.items, values=values or {},
        next=encode_cursor(listed.next_cursor) if listed.next_cursor else None,
        errors=errors or {},
    )  # fmt: skip


async def page_create(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    name = request.match_info["name"]
    values = {k: form.get(k, "") for k in ("title", "slug", "body", "tags")}
    slug = values["slug"] or pages.slugify(values["title"])
    try:
        await pages.put(
            request.app[appkeys.SERVICES], viewer, name, slug, title=values["title"],
            body=values["body"], base_revision=0, tags=forms.tag_list(values["tags"]),
        )  # fmt: skip
    except (ValidationFailed, Conflict) as error:
        errors = (
            forms.field_errors(error)
            if isinstance(error, ValidationFailed)
            else {"slug": f"There is already a page “{slug}”: choose another address"}
        )
        return await _page_list(request, status=error.status, values=values, errors=errors)
    raise render.redirect(f"/groups/{name}/pages/{slug}")


async def page_view(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    found = await groups.get(services, viewer, name)
    page = await pages.read(services, viewer, name, slug)
    return await render.page(
        request, "faq_page.html", group=found.group, page=page,
        may_edit=access.may_edit_page(found, page.locked), may_lock=access.may_lock_page(found),
    )  # fmt: skip


async def edit_form(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    found = await groups.get(services, viewer, name)
    page = await pages.get(services, viewer, name, slug)
    values = {"title": page.title, "body": page.body, "tags": " ".join(page.tags)}
    return await render.page(
        request, "faq_edit.html", group=found.group, page=page, base=page.revision,
        values=values, conflict=None, errors={},
    )  # fmt: skip


async def save(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    form = await forms.fields(request)
    values = {k: form.get(k, "") for k in ("title", "body", "tags")}
    raw_base = form.get("base_revision", "")
    base = int(raw_base) if raw_base.isdigit() and len(raw_base) < 10 else None
    try:
        await pages.put(
            services, viewer, name, slug, title=values["title"], body=values["body"],
            base_revision=base, tags=forms.tag_list(values["tags"]),
        )  # fmt: skip
    except (ValidationFailed, Conflict, Forbidden) as error:
        # Whatever went wrong, the member's text comes back to them.
        found = await groups.get(services, viewer, name)
        current = await pages.get(services, viewer, name, slug)
        conflict = current if isinstance(error, Conflict) else None
        return await render.page(
            request, "faq_edit.html", status=error.status, group=found.group, page=current,
            # After a conflict the next save is based on the revision now on screen.
            base=current.revision if conflict else base, values=values, conflict=conflict,
            errors=forms.field_errors(error) if isinstance(error, ValidationFailed) else {},
            refused=error.detail if isinstance(error, Forbidden) else None,
        )  # fmt: skip
    raise render.redirect(f"/groups/{name}/pages/{slug}")


async def history(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    found = await groups.get(services, viewer, name)
    page = await pages.get(services, viewer, name, slug)
    revisions = await pages.revisions(services, viewer, name, slug)
    return await render.page(
        request, "faq_history.html", group=found.group, page=page,
        revisions=sorted(revisions, key=lambda r: -r.revision),
    )  # fmt: skip


async def revision(request: web.Request) -> web.Response:
    return await _revision(request)


async def _revision(
    request: web.Request, *, status: int = 200, error: str | None = None
) -> web.Response:
    """One old revision: its source, what changed from it to the current one, and restoring."""
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    found = await groups.get(services, viewer, name)
    page = await pages.get(services, viewer, name, slug)
    old = await pages.revision(services, viewer, name, slug, request.match_info["revision"])
    return await render.page(
        request, "faq_revision.html", status=status, group=found.group, page=page, old=old,
        diff=line_diff(old.body, page.body), error=error,
        may_restore=old.revision != page.revision and access.may_edit_page(found, page.locked),
    )  # fmt: skip


def line_diff(before: str, after: str) -> list[tuple[str, str]]:
    """(kind, line) rows from `before` to `after`: "same", "del" or "add"; unchanged runs
    longer than a few lines are cut to their ends, with one "gap" row between."""
    old, new = before.splitlines(), after.splitlines()
    rows: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if op == "equal":
            same = old[i1:i2]
            if len(same) > 6:
                same = [*same[:2], "\0", *same[-2:]]
            rows += [("gap", "") if line == "\0" else ("same", line) for line in same]
        else:
            rows += [("del", line) for line in old[i1:i2]]
            rows += [("add", line) for line in new[j1:j2]]
    return rows


async def restore(request: web.Request) -> web.StreamResponse:
    """An old revision becomes the current one, as a new revision (history is kept)."""
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    name, slug = _where(request)
    form = await forms.fields(request)
    raw_base = form.get("base_revision", "")
    base = int(raw_base) if raw_base.isdigit() and len(raw_base) < 10 else None
    old = await pages.revision(services, viewer, name, slug, request.match_info["revision"])
    try:
        await pages.put(
            services, viewer, name, slug, title=old.title, body=old.body,
            base_revision=base, tags=list(old.tags),
        )  # fmt: skip
    except (Conflict, Forbidden) as error:
        return await _revision(request, status=error.status, error=error.detail)
    raise render.redirect(f"/groups/{name}/pages/{slug}")


async def lock(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    name, slug = _where(request)
    await pages.set_locked(
        request.app[appkeys.SERVICES], viewer, name, slug, locked=not form.get("undo")
    )
    raise render.redirect(f"/groups/{name}/pages/{slug}")


async def promote(request: web.Request) -> web.StreamResponse:
    """An answered question becomes a FAQ page (domain: members of the group)."""
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    services = request.app[appkeys.SERVICES]
    try:
        page = await pages.promote(
            services, viewer, request.match_info["id"], slug=form.get("slug") or None
        )
    except Conflict as error:
        if (existing := error.extra.get("slug")) is not None:  # promoted before: show it
            question = await posts.get(services, viewer, request.match_info["id"])
            raise render.redirect(f"/groups/{question.group_name}/pages/{existing}") from None
        raise
    raise render.redirect(f"/groups/{page.group_name}/pages/{page.slug}")
