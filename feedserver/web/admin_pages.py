"""Admin: every member, and invitation links (create, copy, revoke)."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, invitations, members
from feedserver.errors import NotFound, ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.web import forms, render, session
from feedserver.web.security import is_https

# A new link is shown once, on the page the create form redirects to (post/redirect/get, so a
# reload never creates a second invitation). The server keeps only the token's hash, so the
# token rides to that page in a short-lived cookie of the admin's own, dropped once shown.
NEW_LINK_COOKIE = "fs_new_invitation"
NEW_LINK_SECONDS = 300


async def admin_page(request: web.Request) -> web.Response:
    token = request.cookies.get(NEW_LINK_COOKIE, "")
    new_link = None
    if token:
        try:
            await invitations.usable(request.app[appkeys.SERVICES], token)
            new_link = request.app[appkeys.CONFIG].public_url + f"/join/{token}"
        except NotFound:  # revoked or spent meanwhile: nothing to show
            pass
    response = await _admin_page(request, new_link=new_link)
    if token:
        response.del_cookie(NEW_LINK_COOKIE, path="/admin")
    return response


async def _admin_page(
    request: web.Request, *, status: int = 200, new_link: str | None = None,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
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
        values=values or {},
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
            request.app[appkeys.SERVICES], viewer, note=form.get("note", ""), days=days,
            group=form.get("group", "").lstrip("@").lower(),
        )  # fmt: skip
    except ValidationFailed as error:
        values = {k: form.get(k, "") for k in ("note", "days", "group")}
        return await _admin_page(
            request, status=422, errors=forms.field_errors(error), values=values
        )
    response = render.redirect("/admin#invitations")
    response.set_cookie(
        NEW_LINK_COOKIE, created.token, max_age=NEW_LINK_SECONDS, path="/admin", httponly=True,
        samesite="Strict", secure=is_https(request),
    )  # fmt: skip
    raise response


async def revoke_invitation(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    await invitations.revoke(request.app[appkeys.SERVICES], viewer, request.match_info["id"])
    raise render.redirect("/admin#invitations")
