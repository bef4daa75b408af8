"""Who is asking: a bearer token (API) resolved once per request."""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_targets, members
from feedserver.errors import Unauthorized
from feedserver.models import ANONYMOUS, Viewer


def bearer_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def viewer(request: web.Request) -> Viewer:
    """The signed-in viewer, or ANONYMOUS. A token that is wrong is an error, not anonymity."""
    # The key is typed Viewer, but aiohttp types only request[key], not request.get(key).
    cached: Viewer | None = request.get(appkeys.VIEWER)
    if cached is not None:
        return cached
    token = bearer_token(request)
    found = ANONYMOUS
    if token is not None:
        services = request.app[appkeys.SERVICES]
        # Before the check: an answer filed under it is exact while it has not moved.
        read_at = feed_targets.data_generation(services)
        resolved = await members.token_viewer(services, token)
        if resolved is None:
            raise Unauthorized("The token is not valid (expired or revoked?)")
        found, fresh_until = resolved
        request[appkeys.TOKEN] = token
        request[appkeys.TOKEN_READ_AT] = read_at
        request[appkeys.TOKEN_FRESH_UNTIL] = fresh_until.timestamp()
    request[appkeys.VIEWER] = found
    return found


async def signed_in(request: web.Request) -> Viewer:
    found = await viewer(request)
    if found.member is None:
        raise Unauthorized("Sign in first")
    return found
