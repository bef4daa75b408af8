"""How the HTTP server itself runs an app: the options `feedserver serve` gives aiohttp's
runner, in one place so tests serve the app exactly as production does."""

from __future__ import annotations

from typing import Any

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
