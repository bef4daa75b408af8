"""Rendering a page: the template plus what every page needs (viewer, CSRF token, feeds)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from feedserver import appkeys
from feedserver.domain import notifications
from feedserver.web import session
from feedserver.web.security import CSRF_FIELD, csrf_token

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True, slots=True)
class FeedLink:
    """One `<link rel="alternate" type="application/atom+xml">` in a page's head."""

    title: str
    href: str


def when(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y, %H:%M} UTC"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def plural(count: int, word: str) -> str:
    if count == 1:
        return f"1 {word}"
    return f"{count} {word[:-1] + 'ies' if word.endswith('y') else word + 's'}"


def setup_templates(app: web.Application) -> None:
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # every value is escaped unless a template says |safe on sanitized HTML
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["iso"] = iso
    env.filters["plural"] = plural


async def page(
    request: web.Request,
    template: str,
    *,
    status: int = 200,
    feed_links: list[FeedLink] | None = None,
    **context: Any,
) -> web.Response:
    viewer = await session.viewer(request)
    # The bell in every signed-in page's header: one indexed count, through the policy.
    unread = 0
    if viewer.member is not None:
        unread = await notifications.unread_count(request.app[appkeys.SERVICES], viewer)
    context.update(
        me=viewer.member,
        unread=unread,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        path=request.path,
        # Filled by the feeds module once it lands (see templates/base.html, block feeds).
        feed_links=feed_links or [],
    )
    response = aiohttp_jinja2.render_template(template, request, context, status=status)
    response.charset = "utf-8"
    return response


def redirect(location: str) -> web.HTTPSeeOther:
    """Post/redirect/get: a reload never posts a form twice."""
    return web.HTTPSeeOther(location)
