"""How the HTTP server itself runs an app: the options `feedserver serve` gives aiohttp's
runner, in one place so tests serve the app exactly as production does; and how a handler
learns that its client went away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from feedserver.config import Config
from feedserver.http.server_log import server_logger


def runner_options(config: Config) -> dict[str, Any]:
    return {
        # One access line per request is written by http/observe.py (the path with its
        # secrets redacted, the route, the request id); aiohttp's own would log the raw
        # query string, feed tokens included.
        "access_log": None,
        "logger": server_logger(),
        # aiohttp closes a connection that has not sent a whole request header this long
        # after connecting or after its previous response (its "keep-alive" timer runs from
        # the connection's start too); bodies have their own deadline (body_deadline.py).
        "keepalive_timeout": config.header_timeout_seconds,
    }


def client_gone(request: web.Request) -> Callable[[], bool]:
    """A probe that says the client has hung up. A long read (search) is given it and stops
    when it answers true; it runs on a reader's thread, so it only reads the transport's
    state (aiohttp does not cancel handlers when a client goes away)."""

    def gone() -> bool:
        transport = request.transport
        return transport is None or transport.is_closing()

    return gone
