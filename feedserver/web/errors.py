"""Errors on web pages: the same FeedserverError tree and problem middleware as the API, shown
as a friendly HTML page instead of problem+json. API errors are untouched."""

from __future__ import annotations

import html
import logging

from aiohttp import web

from feedserver.web import render, session
from feedserver.web.security import is_web_route

log = logging.getLogger(__name__)

HEADINGS = {
    400: "That request did not make sense",
    403: "You cannot do that here",
    404: "We could not find that page",
    405: "That does not work here",
    408: "That took too long to arrive",
    409: "That clashes with something",
    413: "That is too large",
    422: "Some of that needs fixing",
    429: "Slow down a little",
    500: "Something went wrong on our side",
    503: "We cannot save anything right now",
}


def _is_page_request(request: web.Request) -> bool:
    if is_web_route(request):
        return True
    # No route matched (404/405): a browser asking for a page gets a page, an API client not.
    unmatched = request.match_info.http_exception is not None
    return (
        unmatched
        and not request.path.startswith("/api/")
        and "text/html" in request.headers.get("Accept", "")
    )


async def html_errors(
    request: web.Request, status: int, code: str, title: str, detail: str, headers: dict[str, str]
) -> web.StreamResponse | None:
    if not _is_page_request(request):
        return None
    if status == 401:
        target = request.path_qs if request.method == "GET" else "/"
        return web.Response(status=303, headers={"Location": session.login_url(target)})
    headers = {k: v for k, v in headers.items() if k != "WWW-Authenticate"}
    try:
        response = await render.page(
            request, "error.html", status=status, status_code=status, title=title, detail=detail,
            heading=HEADINGS.get(status, title),
        )  # fmt: skip
    except Exception:  # the error page must never fail in turn
        log.exception("could not render the error page")
        response = web.Response(
            status=status,
            text=f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>",
            content_type="text/html",
        )
    response.headers.update(headers)
    return response
