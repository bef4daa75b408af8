"""The access log, without the secrets that travel in URLs.

A feed URL carries its reader's token (`/feeds/home.atom?token=...`) and an invitation link
its secret (`/join/{secret}`); either in a log file would let whoever reads the log read a
member's private feeds or join as them. The request line and the Referer (a page's links
send its URL there) keep their path with the secret replaced.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp.web_log import AccessLogger, KeyMethod
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import StreamResponse

REDACTED = "[redacted]"

# Any query parameter whose name ends in "token" (token=, access_token=...), and the segment
# after /join/.
_QUERY_TOKEN = re.compile(r"([?&;][^=&;#\s]*token=)[^&;#\s]*", re.IGNORECASE)
_JOIN_SECRET = re.compile(r"(/join/)[^/?#\s]+")


def redact(text: str) -> str:
    return _JOIN_SECRET.sub(rf"\g<1>{REDACTED}", _QUERY_TOKEN.sub(rf"\g<1>{REDACTED}", text))


def _request_line(request: BaseRequest, response: StreamResponse, time: float) -> str:
    if request is None:
        return "-"
    version = request.version
    return f"{request.method} {redact(request.path_qs)} HTTP/{version.major}.{version.minor}"


def _header(name: str, request: BaseRequest, response: StreamResponse, time: float) -> str:
    if request is None:
        return "(no headers)"
    return redact(request.headers.get(name, "-"))


class RedactingAccessLogger(AccessLogger):
    """aiohttp's access log (same format language, same default format), with the request
    line and every logged request header passed through `redact`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._methods = [self._redacting(m) for m in self._methods]

    @staticmethod
    def _redacting(method: KeyMethod) -> KeyMethod:
        if method.key == "first_request_line":
            return KeyMethod(method.key, _request_line)
        if isinstance(method.key, tuple) and method.key[0] == "request_header":
            name = method.key[1]
            return KeyMethod(method.key, lambda r, s, t: _header(name, r, s, t))
        return method
