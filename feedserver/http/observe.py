"""The outermost middleware: a request id for every request (sent back as X-Request-Id and
put on every log line of the request), the request's metrics (count and latency by route
pattern and status), and the one access log line: method, path and query with their secrets
redacted (feed tokens and invitation secrets travel there), status, time, route pattern."""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time

from aiohttp import web
from aiohttp.typedefs import Handler
from multidict import istr

from feedserver.http.access_log import redact
from feedserver.http.metrics import METRICS, Metrics, route_label
from feedserver.logs import REQUEST_ID

log = logging.getLogger("feedserver.access")

HEADER = istr("X-Request-Id")  # case-folded once, not on every response
# An id a proxy (nginx's $request_id) already gave the request is kept, so the proxy's and
# our logs join up; anything else (too long, odd characters) is replaced, never logged.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# Ids need to be unique, not secret: a random prefix per process and a counter is enough,
# and costs a tenth of fresh random bytes per request.
_PREFIX = secrets.token_hex(4)
_counter = itertools.count(1)


def _new_prefix() -> None:
    """A forked worker (serve --workers N) is a new process: it draws its own prefix, or
    every worker would hand out the same ids."""
    global _PREFIX
    _PREFIX = secrets.token_hex(4)


os.register_at_fork(after_in_child=_new_prefix)


def request_id(request: web.Request) -> str:
    given = request.headers.get(HEADER)
    if given is not None and _SAFE_ID.match(given):
        return given
    return f"{_PREFIX}-{next(_counter):x}"


@web.middleware
async def observe_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    rid = request_id(request)
    reset = REQUEST_ID.set(rid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        if not response.prepared:
            response.headers[HEADER] = rid
        return response
    except web.HTTPException as exc:  # redirects raised past the problem middleware
        status = exc.status
        exc.headers[HEADER] = rid
        raise
    finally:
        observed(request.app[METRICS], request, route_label(request), status, started, rid)
        REQUEST_ID.reset(reset)


def observed(
    metrics: Metrics, request: web.Request, route: str, status: int, started: float, rid: str
) -> None:
    """A request's metrics and access line: here for every request that reaches the app's
    handlers, and called directly for a remembered feed answer, which is given before the
    route is resolved (http/feed_answers.py) and names the route that made it."""
    elapsed = time.perf_counter() - started
    metrics.observe_request(route, request.method, status, elapsed)
    if log.isEnabledFor(logging.INFO):
        reset = REQUEST_ID.set(rid)  # already set, unless answered before the middleware
        try:
            path = redact(request.path_qs)
            log.info(
                "%s %s %d %.1fms", request.method, path, status, elapsed * 1000,
                extra={"fields": {"method": request.method, "path": path, "route": route,
                                  "status": status, "duration_ms": round(elapsed * 1000, 3)}},
            )  # fmt: skip
        finally:
            REQUEST_ID.reset(reset)
