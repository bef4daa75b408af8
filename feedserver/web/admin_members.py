"""Admin: managing members from /admin. Suspend and unsuspend, promote and demote, reset a
password (typed by the admin, or generated and shown once), delete with the content removed
or anonymized. The rules (who may, the last active admin, never oneself) are
domain/moderation.py's; deleting goes through federation so partners are told."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from urllib.parse import quote

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import moderation
from feedserver.domain.services import Services
from feedserver.errors import Conflict, ValidationFailed
from feedserver.federation import moderation as federation_moderation
from feedserver.models import Viewer
from feedserver.web import admin_pages, forms, render, session
from feedserver.web.security import is_https

Action = Callable[[Viewer, str, dict[str, str]], Awaitable[None]]


def _back(form: dict[str, str], anchor: str) -> str:
    """Back to the page of members the form was on, at `anchor`."""
    after = form.get("after", "")
    query = f"?after={quote(after)}" if after else ""
    return f"/admin{query}#{anchor}"


async def _act(request: web.Request, action: Action) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    form = await forms.fields(request)
    username = request.match_info["username"]
    try:
        await action(viewer, username, form)
    except (Conflict, ValidationFailed) as error:
        # Refused (the last admin, oneself, a short password...): said beside the action,
        # on the same page of members, with that member's actions open.
        message = error.detail
        if isinstance(error, ValidationFailed) and (found := forms.field_errors(error)):
            message = next(iter(found.values()))
        return await admin_pages.members_page_with_error(
            request, status=error.status, username=username, message=message,
            after=form.get("after") or None,
        )  # fmt: skip
    raise render.redirect(_back(form, f"m-{quote(username)}"))


def _services(request: web.Request) -> Services:
    return request.app[appkeys.SERVICES]


async def suspend(request: web.Request) -> web.StreamResponse:
    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        await moderation.suspend(_services(request), viewer, username)

    return await _act(request, run)


async def unsuspend(request: web.Request) -> web.StreamResponse:
    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        await moderation.unsuspend(_services(request), viewer, username)

    return await _act(request, run)


async def promote(request: web.Request) -> web.StreamResponse:
    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        await moderation.set_admin(_services(request), viewer, username, is_admin=True)

    return await _act(request, run)


async def demote(request: web.Request) -> web.StreamResponse:
    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        await moderation.set_admin(_services(request), viewer, username, is_admin=False)

    return await _act(request, run)


async def reset_password(request: web.Request) -> web.StreamResponse:
    """The admin's password if one was typed; with "generate", one made here, shown once."""
    generated = ""

    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        nonlocal generated
        password = form.get("password", "")
        if form.get("generate") == "yes":
            password = generated = secrets.token_urlsafe(12)  # 16 characters, 96 bits
        await moderation.reset_password(_services(request), viewer, username, password)

    try:
        return await _act(request, run)
    except web.HTTPSeeOther:
        if not generated:
            raise
        # To the top of the members, where the new password is shown.
        done = render.redirect(_back(await forms.fields(request), "members"))
        done.set_cookie(
            admin_pages.NEW_PASSWORD_COOKIE, f"{request.match_info['username']}:{generated}",
            max_age=admin_pages.NEW_LINK_SECONDS, path="/admin", httponly=True, samesite="Strict",
            secure=is_https(request),
        )  # fmt: skip
        raise done from None


async def delete(request: web.Request) -> web.StreamResponse:
    async def run(viewer: Viewer, username: str, form: dict[str, str]) -> None:
        if form.get("confirm") != "yes":
            raise ValidationFailed([{"field": "confirm", "message": "confirm the deletion"}])
        await federation_moderation.delete_member(
            _services(request), viewer, username, content=form.get("content", "")
        )

    return await _act(request, run)
