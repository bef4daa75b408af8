"""The CSRF check, in one place for every page form: no handler can forget it."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from feedserver.errors import Forbidden
from feedserver.web import expired, session
from feedserver.web.security import CSRF_FIELD, check_csrf, is_web_route

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Inside the problem middleware, so a refusal is shown as a friendly 403 page."""
    if request.method not in SAFE_METHODS and is_web_route(request):
        await session.viewer(request)  # binds the expected token to the session, if any
        form = await request.post()  # cached: the handler reads the same form again
        sent = form.get(CSRF_FIELD)
        try:
            check_csrf(request, sent if isinstance(sent, str) else "")
        except Forbidden:
            # The session ended while the form was open: log in again, lose no text.
            if (kept := await expired.login_keeping_draft(request)) is not None:
                return kept
            raise
    return await handler(request)
