"""Opaque cursors, page sizes and RFC 8288 Link headers for every list."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.errors import BadRequest

# What encode_cursor writes (unpadded base64url), and all that openapi.json documents.
CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
_CURSOR = re.compile(CURSOR_PATTERN)


def encode_cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> str | None:
    if not token:
        return None
    if not _CURSOR.fullmatch(token):
        raise BadRequest("The cursor is not valid")
    try:
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        text = raw.decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("The cursor is not valid") from None
    if not text:
        raise BadRequest("The cursor is not valid")
    return text


def page_params(request: web.Request) -> tuple[str | None, int]:
    config = request.app[appkeys.CONFIG]
    raw = request.query.get("limit")
    try:
        limit = int(raw) if raw is not None else config.page_size
    except ValueError:
        raise BadRequest("limit must be a whole number") from None
    if not 1 <= limit <= config.max_page_size:
        raise BadRequest(f"limit must be between 1 and {config.max_page_size}")
    return decode_cursor(request.query.get("cursor")), limit


def paged_response(
    request: web.Request, items: list[Any], next_raw: str | None, **extra: Any
) -> web.Response:
    body: dict[str, Any] = {"items": items, **extra}
    headers = {}
    if next_raw is not None:
        cursor = encode_cursor(next_raw)
        body["next"] = cursor
        url = request.rel_url.update_query(cursor=cursor)
        headers["Link"] = f'<{url}>; rel="next"'
    else:
        body["next"] = None
    return web.json_response(body, headers=headers)
