"""Write rate limit per member: every POST, PUT, PATCH or DELETE made by a signed-in member
(API token or web session) takes a token from that member's bucket (domain/rate_limit.py);
an empty bucket answers 429 problem+json with Retry-After, before the handler runs, so a
refused write stores nothing. Anonymous writes (logging in, joining, partner servers' inbox)
are not a member's and have limits of their own (the login throttle, signatures)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from feedserver.domain.rate_limit import TokenBucket
from feedserver.errors import TooManyRequests, Unauthorized
from feedserver.models import Viewer

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
WRITE_LIMIT = web.AppKey("write_limit", TokenBucket)

# Who makes a request: a resolver per kind of client (the API's bearer token, the web
# session cookie), chosen by path; each caches the viewer on the request for the handler.
Resolver = Callable[[web.Request], Awaitable[Viewer]]


def make_write_limit_middleware(api_viewer: Resolver, web_viewer: Resolver) -> Middleware:
    @web.middleware
    async def write_limit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        bucket = request.app[WRITE_LIMIT]
        if request.method in WRITES and bucket.enabled:
            resolve = api_viewer if request.path.startswith("/api/") else web_viewer
            try:
                member_id = (await resolve(request)).member_id
            except Unauthorized:  # a stale token: the handler decides (logging in needs none)
                member_id = None
            if member_id is not None and (wait := bucket.take(member_id)):
                raise TooManyRequests(
                    "Too many writes in a short time; try again in a moment", retry_after=wait
                )
        return await handler(request)

    return write_limit_middleware
