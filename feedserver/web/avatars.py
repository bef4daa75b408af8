"""Avatars drawn from the username, served by us: a coloured square with the first letter.
No upload, no third-party service (a request there would tell it who reads which page), and
nothing looked up: the picture depends on the name in the URL alone, so it reveals nothing."""

from __future__ import annotations

import hashlib
import re

from aiohttp import web

from feedserver.errors import NotFound

# Our usernames, and partners' members ("name@host") as posts from partners name them.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$")

# Dark enough that white text on it keeps a contrast of 4.5:1 or more.
_COLOURS = ("#1f5fbf", "#7a3e9d", "#1e7a3c", "#a11d1d", "#8a4b08", "#0f6e75", "#5b6570", "#b1256b")
_HEADERS = {
    "Cache-Control": "public, max-age=604800",
    "Content-Security-Policy": "default-src 'none'",
    "X-Content-Type-Options": "nosniff",
}


def svg(username: str) -> str:
    colour = _COLOURS[hashlib.sha256(username.encode()).digest()[0] % len(_COLOURS)]
    letter = username[0].upper()
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" width="32" height="32">'
        f'<rect width="32" height="32" rx="6" fill="{colour}"/>'
        '<text x="16" y="22" font-family="system-ui, sans-serif" font-size="18" font-weight="600"'
        f' fill="#fff" text-anchor="middle">{letter}</text></svg>'
    )


async def avatar(request: web.Request) -> web.Response:
    username = request.match_info["username"]
    if not NAME.match(username):
        raise NotFound("No such avatar")
    return web.Response(text=svg(username), content_type="image/svg+xml", headers=_HEADERS)
