"""A feed reader's repeated poll, answered from memory as the first thing the app does.

Readers poll the same URL every few minutes, and between writes the answer cannot change:
RecentAnswers (feeds/cache.py) keeps the last one per exact URL, tagged with the database's
data version, which any committed write moves (a rotated token, a member leaving, a post).
The outermost middleware looks it up by the request target exactly as sent
(`request.raw_path`: no URL parsing), and on a hit builds the response from headers
prepared when the answer was made, counts the request in the metrics and writes its access
line (http/observe.py: the same contract as every request) and returns: no other middleware,
no handler, no database.

Everything here runs on every remembered poll, so it is kept lean: header dicts copied from
the answer (plain str keys: the cheapest for aiohttp to take), `Last-Modified` formatted
once per answer, `Accept-Encoding` values parsed once per distinct header.
"""

from __future__ import annotations

import math
import time
from email.utils import formatdate
from functools import lru_cache

from aiohttp import web
from aiohttp.typedefs import Handler

from feedserver import appkeys
from feedserver.domain import feed_targets
from feedserver.feeds.cache import Answer
from feedserver.http import observe

CACHE_CONTROL = "private, max-age=300"
ATOM = "application/atom+xml; charset=utf-8"
_POLLS = frozenset(("GET", "HEAD"))


@web.middleware
async def recent_answers_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Outermost: a remembered poll costs little more than the HTTP it rides on."""
    if request.method in _POLLS and request.raw_path.startswith("/feeds/"):
        started = time.perf_counter()
        app = request.app
        generation = feed_targets.data_generation(app[appkeys.SERVICES])
        found = app[appkeys.FEED_CACHE].answers.get(request.raw_path, generation)
        if found is not None:
            rid = observe.request_id(request)
            response = respond(request, found, rid)
            observe.observed(request, response.status, started, rid)
            return response
    return await handler(request)


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


def respond(request: web.Request, answer: Answer, request_id: str | None = None) -> web.Response:
    """An answer as this request asks it: 304 on a matching validator, else the body,
    gzipped when asked; with the request's id when given (the observe middleware adds it
    to the answers it sees itself)."""
    headers = answer.headers.copy()
    if "Last-Modified" not in headers:  # the newest change is in the second it was made
        now = request.app[appkeys.SERVICES].clock().timestamp()
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
