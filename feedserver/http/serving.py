"""How the HTTP server itself runs an app: the options `feedserver serve` gives aiohttp's
runner, in one place so tests serve the app exactly as production does."""

from __future__ import annotations

from typing import Any

from feedserver.config import Config
from feedserver.http.access_log import RedactingAccessLogger
from feedserver.http.server_log import server_logger


def runner_options(config: Config) -> dict[str, Any]:
    return {
        "access_log_class": RedactingAccessLogger,
        "logger": server_logger(),
        # aiohttp closes a connection that has not sent a whole request header this long
        # after connecting or after its previous response (its "keep-alive" timer runs from
        # the connection's start too); bodies have their own deadline (body_deadline.py).
        "keepalive_timeout": config.header_timeout_seconds,
    }
