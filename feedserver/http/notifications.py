"""The member's notifications and how they come: list, mark read, settings; the mail outbox
for admins."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import mailing, member_email, notifications
from feedserver.domain import notification_text as text
from feedserver.errors import BadRequest
from feedserver.http import auth
from feedserver.http.paging import page_params, paged_response
from feedserver.http.render import when
from feedserver.http.validation import read_json
from feedserver.models import Notification, NotificationSettings

_SEQ = re.compile(r"^[0-9]{1,18}$")


def render(n: Notification, base: str) -> dict[str, Any]:
    return {
        "id": n.seq,
        "kind": n.kind,
        "text": text.headline(n),
        "url": base + text.link_path(n),
        "group": n.group_name,
        "post_id": n.post_id,
        "thread_id": n.thread_id,
        "actor": n.actor_username,
        "count": n.count,
        "created_at": when(n.created_at),
        "read": n.read,
    }


def render_settings(s: NotificationSettings, feed_url: str) -> dict[str, Any]:
    return {
        "feed_url": feed_url,
        "email": s.email,
        "email_pending": s.email_pending,
        "email_mode": s.email_mode,
        "levels": s.levels,
    }


async def list_notifications(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    if cursor is not None and not _SEQ.match(cursor):
        raise BadRequest("The cursor is not valid")
    unread_only = request.query.get("unread") == "true"
    found = await notifications.inbox(
        request.app[appkeys.SERVICES], viewer, before=int(cursor) if cursor else None,
        limit=limit, unread_only=unread_only,
    )  # fmt: skip
    base = request.app[appkeys.CONFIG].public_url
    return paged_response(
        request, [render(n, base) for n in found.page.items], found.page.next_cursor,
        unread=found.unread,
    )  # fmt: skip


async def mark_read(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    raw = request.match_info["id"]
    if not _SEQ.match(raw):
        raise BadRequest("Not a notification id")
    await notifications.mark_read(request.app[appkeys.SERVICES], viewer, int(raw))
    return web.Response(status=204)


async def mark_all_read(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    await notifications.mark_read(request.app[appkeys.SERVICES], viewer, None)
    return web.Response(status=204)


async def get_settings(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    services = request.app[appkeys.SERVICES]
    found = await notifications.settings(services, viewer)
    return web.json_response(render_settings(found, await notifications.feed_url(services, viewer)))


async def put_settings(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    body = await read_json(request, request.app[appkeys.SCHEMAS], "notification-settings")
    services = request.app[appkeys.SERVICES]
    if "email" in body:
        await member_email.request_change(
            services, viewer, body["email"], request.app[appkeys.MAIL_SENDER].wake
        )
    found = await notifications.update_settings(
        services, viewer, email_mode=body.get("email_mode"), levels=body.get("levels")
    )
    return web.json_response(render_settings(found, await notifications.feed_url(services, viewer)))


async def mail_outbox(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    cursor, limit = page_params(request)
    state = request.query.get("state")
    if state is not None and state not in ("queued", "sending", "sent", "failed", "dropped"):
        raise BadRequest("state must be queued, sending, sent, failed or dropped")
    items, after = await mailing.outbox(
        request.app[appkeys.SERVICES], viewer, state=state, after=cursor, limit=limit
    )
    return paged_response(request, items, after)
