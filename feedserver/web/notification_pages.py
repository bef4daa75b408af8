"""Notifications in the browser: the /notifications page, the watch level on group pages,
mail preferences on /me/settings; and the signed mail links (unsubscribe, confirm an
address), which work without a login."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import member_email, notifications
from feedserver.domain import notification_text as text
from feedserver.errors import ValidationFailed
from feedserver.http.paging import decode_cursor, encode_cursor
from feedserver.models import Notification
from feedserver.web import render, session

SHOWN = 30


def _item(n: Notification) -> dict[str, object]:
    return {"n": n, "text": text.headline(n), "href": text.link_path(n)}


async def notification_list(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    before = decode_cursor(request.query.get("cursor"))
    found = await notifications.inbox(
        request.app[appkeys.SERVICES], viewer,
        before=int(before) if before and before.isdigit() else None, limit=SHOWN,
    )  # fmt: skip
    nxt = found.page.next_cursor
    feed = await notifications.feed_url(request.app[appkeys.SERVICES], viewer)
    return await render.page(
        request, "notifications.html", items=[_item(n) for n in found.page.items],
        next=encode_cursor(nxt) if nxt else None, feed_url=feed,
        feed_links=[render.FeedLink("Your notifications", feed)],
    )  # fmt: skip


async def mark_all_read(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    await notifications.mark_read(request.app[appkeys.SERVICES], viewer, None)
    raise render.redirect("/notifications")


async def watch_group(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    name = request.match_info["name"]
    form = await request.post()
    level = form.get("level")
    await notifications.update_settings(
        request.app[appkeys.SERVICES], viewer, email_mode=None,
        levels={name: level if isinstance(level, str) else ""},
    )  # fmt: skip
    raise render.redirect(f"/groups/{name}")


async def settings_page(
    request: web.Request, *, status: int = 200, errors: dict[str, str] | None = None
) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await notifications.settings(services, viewer)
    return await render.page(
        request, "settings.html", status=status, settings=found, errors=errors or {},
        mail_on=bool(request.app[appkeys.CONFIG].smtp_host),
    )  # fmt: skip


async def settings_form(request: web.Request) -> web.Response:
    return await settings_page(request)


async def save_settings(request: web.Request) -> web.StreamResponse:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    form = await request.post()
    mode, address = form.get("email_mode"), form.get("email")
    try:
        if isinstance(address, str) and address.strip():
            current = await notifications.settings(services, viewer)
            if address.strip() not in (current.email, current.email_pending):
                await member_email.request_change(
                    services, viewer, address, request.app[appkeys.MAIL_SENDER].wake
                )
        await notifications.update_settings(
            services, viewer, email_mode=mode if isinstance(mode, str) else None, levels=None
        )
    except ValidationFailed as exc:
        errors = {e["field"]: e["message"] for e in exc.extra["errors"]}
        return await settings_page(request, status=422, errors=errors)
    raise render.redirect("/me/settings")


# -- signed mail links: no login, no session; the link's signature is the credential ------


async def unsubscribe_page(request: web.Request) -> web.Response:
    """What a person who clicks the link sees: one button (a GET changes nothing, since mail
    scanners open links)."""
    return await render.page(
        request, "unsubscribe.html", token=request.query.get("token", ""), done=False
    )


async def unsubscribe(request: web.Request) -> web.Response:
    """RFC 8058 one-click: the mail client POSTs List-Unsubscribe=One-Click here."""
    await member_email.unsubscribe(request.app[appkeys.SERVICES], request.query.get("token"))
    return await render.page(request, "unsubscribe.html", token="", done=True)


async def confirm_email(request: web.Request) -> web.Response:
    address = request.query.get("email", "")
    await member_email.confirm(request.app[appkeys.SERVICES], request.query.get("token"), address)
    return await render.page(request, "email_confirmed.html", address=address)
