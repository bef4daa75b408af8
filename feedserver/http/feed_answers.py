"""A feed reader's repeated poll, answered from memory as the first thing the server does.

Readers poll the same URL every few minutes, and between writes the answer cannot change:
RecentAnswers (feeds/cache.py) keeps the last one per exact URL, tagged with the database's
data version, which any committed write moves (a rotated token, a member leaving, a post).
`answer_first` puts a look-up in front of the app: by the request target exactly as sent
(`request.raw_path`: no URL parsing), and on a hit the response is built from headers made
when the answer was, the request is counted in the metrics under the route that made the
answer and gets its access line and request id (http/observe.py: the same contract as every
request), and nothing else runs: no route resolution, no middleware, no handler, no database.
On a miss the app runs as usual, and the feed handler remembers what it answers.

Everything here runs on every remembered poll, so it is kept lean: header dicts copied from
the answer (plain str keys: the cheapest for aiohttp to take), `Last-Modified` formatted
once per answer, `Accept-Encoding` values parsed once per distinct header.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from email.utils import formatdate
from functools import lru_cache

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_targets
from feedserver.domain.services import Services
from feedserver.feeds.cache import Answer
from feedserver.http import api_answers, observe
from feedserver.http.metrics import METRICS

CACHE_CONTROL = "private, max-age=300"
ATOM = "application/atom+xml; charset=utf-8"
_POLLS = frozenset(("GET", "HEAD"))

Handle = Callable[[web.Request], Awaitable[web.StreamResponse]]


def answer_first(app: web.Application) -> None:
    """Remembered feed answers are given before aiohttp resolves the route: resolution and
    the middleware chain cost a remembered 304 about a fifth of its CPU (bench/results.md).

    aiohttp has no public hook in front of routing. Its runners hand the app's `_handle` to
    the HTTP server when they start (`Application._make_handler`), so the wrapper is set as
    that attribute of this app (with object.__setattr__: aiohttp's debug-mode warning about
    custom attributes is about state kept on an app, which this is not). Should an aiohttp
    release stop reading it, remembered answers would simply stop being used, never be
    wrong, and the tests that count them fail (tests/feeds/test_remembered_answers.py).

    An API client's repeated read (a post list, a thread) is answered the same way, from
    http/api_answers.py."""
    inner: Handle = app._handle
    services = app[appkeys.SERVICES]
    answers = app[appkeys.FEED_CACHE].answers
    metrics = app[METRICS]

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.method in _POLLS and request.raw_path.startswith("/feeds/"):
            started = time.perf_counter()
            found = answers.get(request.raw_path, feed_targets.data_generation(services))
            if isinstance(found, Answer):
                rid = observe.request_id(request)
                response = respond(services, request, found, rid)
                observe.observed(metrics, request, found.route, response.status, started, rid)
                return response
        elif (read := api_answers.remembered(services, answers, request)) is not None:
            started = time.perf_counter()
            rid = observe.request_id(request)
            headers = read.headers.copy()
            headers[observe.HEADER] = rid
            observe.observed(metrics, request, read.route, 200, started, rid)
            return web.Response(body=read.body, headers=headers)
        return await inner(request)

    object.__setattr__(app, "_handle", handle)


def matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match requires."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


@lru_cache(maxsize=64)
def wants_gzip(accept_encoding: str | None) -> bool:
    """RFC 9110 Accept-Encoding: gzip (or x-gzip) listed with a nonzero weight. Readers send
    the same few header values on every poll, so each is parsed once (lru_cache)."""
    for item in (accept_encoding or "").split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() not in ("gzip", "x-gzip"):
            continue
        weight = params.strip().lower().removeprefix("q=").strip()
        try:
            return not weight or float(weight) > 0
        except ValueError:
            return False
    return False


def last_modified(newest: float, now: float) -> int:
    """Last-Modified, in whole seconds: the newest change rounded up, but never later than
    the present second. A body that changes within the second it was served in then always
    has a change at or after the date the reader got, so If-Modified-Since cannot hide it."""
    return min(math.ceil(newest), math.floor(now))


@lru_cache(maxsize=256)
def http_date(seconds: int) -> str:
    """An HTTP date; formatdate costs more than the rest of a remembered answer."""
    return formatdate(seconds, usegmt=True)


def validator_headers(etag: str, newest: float, now: float) -> dict[str, str]:
    """The headers of every answer to one page. `Last-Modified` is included once the
    newest change's second is over at `now` (the usual case): from then on it no longer
    depends on the present, so it is formatted here once, not per poll."""
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    if math.ceil(newest) <= math.floor(now):
        headers["Last-Modified"] = http_date(math.ceil(newest))
    return headers


def respond(
    services: Services, request: web.Request, answer: Answer, request_id: str | None = None
) -> web.Response:
    """An answer as this request asks it: 304 on a matching validator, else the body,
    gzipped when asked; with the request's id when given (the observe middleware adds it
    to the answers it sees itself)."""
    headers = answer.headers.copy()
    if "Last-Modified" not in headers:  # the newest change is in the second it was made
        now = services.clock().timestamp()
        headers["Last-Modified"] = http_date(last_modified(answer.newest, now))
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    request_headers = request.headers
    if_none_match = request_headers.get("If-None-Match")
    if if_none_match is not None:
        if matches(if_none_match, answer.etag):
            return web.Response(status=304, headers=headers)
    elif (since := request.if_modified_since) is not None and math.ceil(
        answer.newest
    ) <= since.timestamp():
        return web.Response(status=304, headers=headers)
    body = answer.body
    if wants_gzip(request_headers.get("Accept-Encoding")):
        headers["Content-Encoding"] = "gzip"
        body = answer.gzip
    # The whole Content-Type given as a header: aiohttp's content_type/charset arguments
    # parse and rebuild it on every response.
    headers["Content-Type"] = ATOM
    return web.Response(body=body, headers=headers)
