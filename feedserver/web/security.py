"""Browser safety: cookie flags, the CSRF token, and the headers every HTML page carries.

CSRF is a signed double-submit token: a random `fs_csrf` cookie, and in every form an HMAC of
that cookie keyed to the viewer's session token. A cross-site page cannot read the cookie, and
a cookie planted from elsewhere is useless without the session token, so a form only counts
when it was rendered by this server for this session.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from aiohttp import web
from aiohttp.typedefs import Handler

from feedserver import appkeys
from feedserver.errors import Forbidden

SESSION_COOKIE = "fs_session"
CSRF_COOKIE = "fs_csrf"
CSRF_FIELD = "csrf"

# No inline script or style anywhere; images only from here, so a picture in a post cannot
# tell a third party who read a private group.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none';"
    " form-action 'self'; base-uri 'none'"
)
HTML_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Pages may carry private feed URLs (tokens in the path): never tell other sites.
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cache-Control": "private, no-cache",
}

WEB_ROUTE_PREFIX = "web."  # every page route is named "web.…" (see routes.py)


def is_web_route(request: web.Request) -> bool:
    name = getattr(request.match_info.route, "name", None) or ""
    return name.startswith(WEB_ROUTE_PREFIX)


def is_https(request: web.Request) -> bool:
    """True when the browser talks HTTPS to us: directly, through a trusted proxy that says
    so, or because the public base URL is https (then a proxy terminates TLS)."""
    config = request.app[appkeys.CONFIG]
    if config.public_url.startswith("https://") or request.secure:
        return True
    trusted = {a.strip() for a in config.trusted_proxies.split(",") if a.strip()}
    proto = request.headers.get("X-Forwarded-Proto", "")
    return request.remote in trusted and proto.split(",")[0].strip().lower() == "https"


def set_cookie(
    request: web.Request, response: web.StreamResponse, name: str, value: str, max_age: int
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="Lax",
        secure=is_https(request),
    )  # fmt: skip


def csrf_cookie(request: web.Request) -> str:
    """This browser's CSRF cookie; minted (and set by the headers middleware) when missing."""
    value = request.cookies.get(CSRF_COOKIE, "")
    if len(value) < 32:
        value = request.get(appkeys.WEB_NEW_CSRF) or secrets.token_urlsafe(32)
        request[appkeys.WEB_NEW_CSRF] = value
    return value


def csrf_token(request: web.Request) -> str:
    """The token forms carry: bound to the CSRF cookie and to the session (if signed in)."""
    session = request.get(appkeys.TOKEN, "")
    key = csrf_cookie(request).encode()
    return hmac.new(key, f"csrf:{session}".encode(), hashlib.sha256).hexdigest()


def check_csrf(request: web.Request, sent: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    expected = csrf_token(request) if len(cookie) >= 32 else ""
    if not expected or not hmac.compare_digest(expected.encode(), sent.encode()):
        raise Forbidden(
            "This form has expired or did not come from this site. Reload the page and try again."
        )


@web.middleware
async def html_headers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: the page headers go on every HTML response (error pages too), and nowhere
    else, so API and feed responses are untouched."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:  # redirects raised by page handlers
        if (minted := request.get(appkeys.WEB_NEW_CSRF)) is not None:
            set_cookie(request, exc, CSRF_COOKIE, minted, max_age=60 * 60 * 24 * 365)
        raise
    if response.content_type == "text/html":
        for name, value in HTML_HEADERS.items():
            response.headers.setdefault(name, value)
        if (minted := request.get(appkeys.WEB_NEW_CSRF)) is not None:
            set_cookie(request, response, CSRF_COOKIE, minted, max_age=60 * 60 * 24 * 365)
    return response
