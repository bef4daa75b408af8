"""The one middleware that turns every failure into RFC 9457 problem+json.

`type` is a stable relative URI per error code (/problems/{code}), resolved against the
server's base URL; the same code never changes meaning.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from feedserver.errors import FeedserverError, StorageFull, UriTooLong
from feedserver.http.access_log import redact
from feedserver.store.full import is_storage_full

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"

_HTTP_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    408: "request-timeout",
    413: "payload-too-large",
    414: "uri-too-long",
    415: "unsupported-media-type",
    429: "too-many-requests",
}


def problem_response(
    status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:  # fmt: skip
    body = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail}
    body.update(extra or {})
    return web.Response(
        status=status,
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type=PROBLEM_TYPE,
        charset="utf-8",
        headers=headers,
    )


def _error_headers(error: FeedserverError) -> dict[str, str]:
    headers = {}
    if retry_after := getattr(error, "retry_after", None):
        headers["Retry-After"] = str(retry_after)
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="feedserver"'
    return headers


def render_error(error: FeedserverError) -> web.Response:
    headers = _error_headers(error)
    return problem_response(
        error.status, error.code, error.title, error.detail, error.extra, headers or None
    )


# A web page's way of showing an error: (request, status, code, title, detail, headers) ->
# an HTML response, or None when the request is not for a web page (then problem+json).
HtmlErrors = Callable[
    [web.Request, int, str, str, str, dict[str, str]], Awaitable[web.StreamResponse | None]
]


def make_problem_middleware(
    max_query_chars: int, html_errors: HtmlErrors | None = None
) -> Middleware:
    """`html_errors` lets the web pages show the same errors as a friendly HTML page; API
    errors look exactly as they do without it."""

    async def respond(
        request: web.Request, status: int, code: str, title: str, detail: str,
        extra: dict[str, Any] | None, headers: dict[str, str],
    ) -> web.StreamResponse:  # fmt: skip
        if html_errors is not None:
            page = await html_errors(request, status, code, title, detail, headers)
            if page is not None:
                return page
        return problem_response(status, code, title, detail, extra, headers or None)

    @web.middleware
    async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            if len(request.query_string) > max_query_chars:
                raise UriTooLong(f"The query string is longer than {max_query_chars} characters")
            return await handler(request)
        except FeedserverError as error:
            return await respond(
                request, error.status, error.code, error.title, error.detail, error.extra,
                _error_headers(error),
            )  # fmt: skip
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            code = _HTTP_CODES.get(exc.status, "http-error")
            headers = {k: v for k, v in exc.headers.items() if k in ("Allow", "Retry-After")}
            return await respond(
                request, exc.status, code, exc.reason, exc.text or exc.reason, None, headers
            )
        except Exception as exc:
            if is_storage_full(exc):  # not a bug of ours: one line, and "try again later"
                log.error(
                    "storage full: %s %s was not stored", request.method, redact(request.path)
                )
                full = StorageFull("The server's storage is full; nothing was stored. Try later.")
                return await respond(
                    request, full.status, full.code, full.title, full.detail, None,
                    _error_headers(full),
                )  # fmt: skip
            log.exception("unhandled error on %s %s", request.method, redact(request.path))
            return await respond(
                request, 500, "internal", "Internal server error",
                "Something went wrong on our side; it has been logged.", None, {},
            )  # fmt: skip

    return problem_middleware
