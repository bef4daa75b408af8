"""aiohttp's own log for requests it cannot even parse (a stray byte in the request line, a
malformed header): one line without a traceback, and without the request line's secrets.

Such a request never reaches the app; aiohttp answers 400 itself and logs the parser's error
with a full traceback at ERROR, as if it were a bug of ours, quoting the raw request line
(a feed URL's token with it). It is the client's mistake.
"""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

from feedserver.http.access_log import redact


class _UnparsableRequests(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            reason = redact(str(error.message).strip().splitlines()[0] if error.message else "")
            remote = record.args[0] if isinstance(record.args, tuple) and record.args else "-"
            record.msg, record.args = "unparsable request from %s: %s", (remote, reason)
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def server_logger() -> logging.Logger:
    """aiohttp's "aiohttp.server" logger, with the filter above (added once)."""
    logger = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _UnparsableRequests) for f in logger.filters):
        logger.addFilter(_UnparsableRequests())
    return logger
