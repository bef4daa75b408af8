"""Who is looking at a page: the session token in the HttpOnly cookie, resolved once per
request through the same domain function the API's bearer tokens use."""

from __future__ import annotations

from urllib.parse import quote

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import members
from feedserver.models import ANONYMOUS, Viewer
from feedserver.web.security import SESSION_COOKIE, set_cookie


async def viewer(request: web.Request) -> Viewer:
    """The signed-in viewer or ANONYMOUS. A stale cookie is anonymity, not an error: the
    browser is simply shown the login page."""
    # The key is typed Viewer, but aiohttp types only request[key], not request.get(key).
    cached: Viewer | None = request.get(appkeys.VIEWER)
    if cached is not None:
        return cached
    found = ANONYMOUS
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        resolved = await members.viewer_for_token(request.app[appkeys.SERVICES], token)
        if resolved is not None:
            found = resolved
            request[appkeys.TOKEN] = token
    request[appkeys.VIEWER] = found
    return found


async def signed_in(request: web.Request) -> Viewer:
    """The viewer, or a redirect to the login page that comes back here afterwards."""
    found = await viewer(request)
    if found.member is None:
        raise web.HTTPSeeOther(login_url(request.path_qs))
    return found


def login_url(next_path: str) -> str:
    return "/login" if next_path in ("", "/") else f"/login?next={quote(next_path, safe='/')}"


def safe_next(raw: str | None) -> str:
    """Only a local path: never an open redirect to another site. Browsers (and yarl) drop
    tabs and newlines from a URL, so any whitespace or control character is refused before the
    "//" check, or "/<TAB>/evil.example" would turn into "//evil.example"."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return "/"
    if any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in raw):
        return "/"
    return raw


def start_session(request: web.Request, response: web.StreamResponse, token: str) -> None:
    days = request.app[appkeys.CONFIG].session_days
    set_cookie(request, response, SESSION_COOKIE, token, max_age=days * 24 * 3600)


def end_session(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")
