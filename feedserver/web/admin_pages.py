"""Admin: every member, and invitation links (create, copy, revoke)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, invitations, members
from feedserver.errors import ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.web import forms, render, session


async def admin_page(request: web.Request) -> web.Response:
    return await _admin_page(request)


async def _admin_page(
    request: web.Request, *, status: int = 200, new_link: str | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    access.require_admin(viewer)
    services = request.app[appkeys.SERVICES]
    roster = await members.list_page(
        services, viewer, after=decode_cursor(request.query.get("cursor")), limit=100
    )
    found = await invitations.recent(services, viewer, cursor=None, limit=50)
    return await render.page(
        request, "admin.html", status=status, members=roster.items,
        next=encode_cursor(roster.next_cursor) if roster.next_cursor else None,
        invitations=found.items, now=services.clock(), new_link=new_link, errors=errors or {},
    )  # fmt: skip


async def create_invitation(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    try:
        days = int(form.get("days") or invitations.DEFAULT_DAYS)
    except ValueError:
        days = 0
    try:
        created = await invitations.create(
            request.app[appkeys.SERVICES], viewer, note=form.get("note", ""), days=days
        )
    except ValidationFailed as error:
        return await _admin_page(request, status=422, errors=forms.field_errors(error))
    # Shown on this response only (the server keeps the hash), so no redirect here.
    link = request.app[appkeys.CONFIG].public_url + created.path()
    return await _admin_page(request, status=201, new_link=link)


async def revoke_invitation(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    await invitations.revoke(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    raise render.redirect("/admin#invitations")
