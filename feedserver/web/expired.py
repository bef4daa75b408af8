"""A form sent after the session ended: the text is not lost.

The form's CSRF token was bound to the old session, so the form cannot count (and is not
acted on). Instead the member gets the login page, going back to the page the form was on, with
what they typed shown and handed to the browser's draft store (static/site.js), which puts it
back into the same form once they are signed in again.

Only same-site requests get here: the CSRF cookie is SameSite=Lax, so a cross-site POST never
carries it, and another site cannot use this page to plant text in a member's drafts.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from aiohttp import web

from feedserver.web import render, session
from feedserver.web.security import CSRF_COOKIE

DRAFT_FIELD = "draft"  # the form's draft key (the same as its data-draft attribute)
DRAFT_KEY = re.compile(r"^[a-z]+(?::[A-Za-z0-9_-]{1,64}){0,2}$")
KEPT_FIELDS = ("title", "body", "tags")  # what a member types at length; never a password
NOT_AFTER_LOGIN = frozenset({"web.login.post", "web.join.post", "web.logout"})


def _back(request: web.Request) -> str:
    """The page the form was on (same-origin Referer), else home."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc and referer.netloc != request.host:
        return "/"
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return session.safe_next(path)


async def login_keeping_draft(request: web.Request) -> web.StreamResponse | None:
    """The login page with the form's text kept, or None when this was not an expired form."""
    if len(request.cookies.get(CSRF_COOKIE, "")) < 32:
        return None  # no cookie of ours: a foreign or scripted request, refused as usual
    if (await session.viewer(request)).member is not None:
        return None  # signed in: a token mismatch is a real forgery
    route = getattr(request.match_info.route, "name", "") or ""
    if route in NOT_AFTER_LOGIN:
        return None
    form = await request.post()
    key = form.get(DRAFT_FIELD)
    kept = {}
    if isinstance(key, str) and DRAFT_KEY.match(key):
        kept = {
            name: value
            for name in KEPT_FIELDS
            if isinstance(value := form.get(name), str) and value.strip()
        }
    return await render.page(
        request, "login.html", status=401, next=_back(request), username="",
        error="Your session ended, so that was not sent. Log in and you go back to the form"
        + (", with what you typed." if kept else "."),
        kept=kept, kept_key=key if kept else None,
    )  # fmt: skip
