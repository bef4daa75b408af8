"""Admin: invitation links (create, copy, revoke), every member with their standing and
role (managed by web/admin_members.py), and the audit log of recent admin actions."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import access, invitations, moderation
from feedserver.errors import NotFound, ValidationFailed
from feedserver.web import forms, render, session
from feedserver.web.security import is_https

# A new link is shown once, on the page the create form redirects to (post/redirect/get, so a
# reload never creates a second invitation). The server keeps only the token's hash, so the
# token rides to that page in a short-lived cookie of the admin's own, dropped once shown.
NEW_LINK_COOKIE = "fs_new_invitation"
NEW_LINK_SECONDS = 300
# A generated password rides the same way ("username:password"), shown once.
NEW_PASSWORD_COOKIE = "fs_new_password"  # noqa: S105 (a cookie name, not a secret)
MEMBERS_SHOWN = 50
AUDIT_SHOWN = 20


async def admin_page(request: web.Request) -> web.Response:
    token = request.cookies.get(NEW_LINK_COOKIE, "")
    new_link = None
    if token:
        try:
            await invitations.usable(request.app[appkeys.SERVICES], token)
            new_link = request.app[appkeys.CONFIG].public_url + f"/join/{token}"
        except NotFound:  # revoked or spent meanwhile: nothing to show
            pass
    username, _, password = request.cookies.get(NEW_PASSWORD_COOKIE, "").partition(":")
    new_password = {"username": username, "password": password} if password else None
    response = await _admin_page(
        request, new_link=new_link, new_password=new_password,
        after=request.query.get("after") or None,
    )  # fmt: skip
    if token:
        response.del_cookie(NEW_LINK_COOKIE, path="/admin")
    if new_password:
        response.del_cookie(NEW_PASSWORD_COOKIE, path="/admin")
    return response


async def members_page_with_error(
    request: web.Request, *, status: int, username: str, message: str, after: str | None
) -> web.Response:
    """The page of members the form was on, the refusal beside that member's actions."""
    return await _admin_page(
        request, status=status, after=after, member_error={"username": username, "message": message}
    )


async def _admin_page(
    request: web.Request, *, status: int = 200, new_link: str | None = None,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
    new_password: dict[str, str] | None = None, after: str | None = None,
    member_error: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    viewer = await session.signed_in(request)
    access.require_admin(viewer)
    services = request.app[appkeys.SERVICES]
    roster = await moderation.list_members(
        services, viewer, state=None, after=after, limit=MEMBERS_SHOWN
    )
    audit = await moderation.audit_log(
        services, viewer, before=_before(request.query.get("before")), limit=AUDIT_SHOWN
    )
    found = await invitations.recent(services, viewer, cursor=None, limit=50)
    return await render.page(
        request, "admin.html", status=status, members=roster.items, after=after or "",
        next=roster.next_cursor, audit=audit.items, older=audit.next_cursor,
        invitations=found.items, now=services.clock(), new_link=new_link, errors=errors or {},
        values=values or {}, new_password=new_password, member_error=member_error or {},
    )  # fmt: skip


def _before(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


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
