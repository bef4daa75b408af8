"""A real aiohttp reverse proxy on loopback in front of a test server (whose public URL is
then the proxy's, as behind a reverse proxy in production): it forwards every request, and
for the inbox it can hold one POST on the wire, answer in the server's stead as if the
server were down, and keep each POST exactly as it came (headers and body), to be replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import replace

import aiohttp
from aiohttp import web

from tests.loopback import free_port

HOP_BY_HOP = {"host", "content-length", "transfer-encoding", "connection"}
# Longest a held POST waits for the test (under the 10 s fetch timeout): a test that fails
# before letting it go does not leave the request hanging.
LONGEST_HOLD = 8


def label(activity: dict) -> str:
    """'Update alice', 'Delete alice': profile activities are named under the profile."""
    return f"{activity['type']} {activity['id'].split('/users/')[1].split('/')[0]}"


class Proxy:
    """In front of the node whose port is `target_port`. `log` records each inbox POST as it
    is forwarded and as its answer comes back, in order; `captured` keeps every inbox POST
    as (headers, body). `hold_first_update`: the first profile Update is held until
    `release` is set. `down`: while set, inbox POSTs are answered 503 and not forwarded."""

    def __init__(self, target_port: int, *, hold_first_update: bool = False) -> None:
        self.target = f"http://127.0.0.1:{target_port}"
        self.release = asyncio.Event()
        self.hold_first_update = hold_first_update
        self.holding = False
        self.down = False
        self.log: list[str] = []
        self.captured: list[tuple[dict[str, str], bytes]] = []
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, aiohttp_server) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        await aiohttp_server(app, port=self.port)

    def front(self, node) -> None:
        """Make the node's public URL this proxy's (before the node starts)."""
        node.config = replace(node.config, base_url=self.url)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
        what = ""
        if request.method == "POST" and request.path == "/inbox":
            self.captured.append((headers, body))
            what = label(json.loads(body))
            if self.down:
                self.log.append(f"down for {what}")
                return web.Response(status=503)
            if self.hold_first_update and what.startswith("Update"):
                self.hold_first_update, self.holding = False, True
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.release.wait(), LONGEST_HOLD)
                self.holding = False
            self.log.append(f"sent {what}")
        status, answer, content_type = await self.forward(request.method, request.path_qs,
                                                          headers, body)  # fmt: skip
        if what:
            self.log.append(f"answered {what} {status}")
        return web.Response(status=status, body=answer, headers={"Content-Type": content_type})

    async def forward(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, bytes, str]:
        """Send a request to the node behind the proxy (as the proxy does, or a replay)."""
        async with (
            aiohttp.ClientSession() as session,
            session.request(method, self.target + path, data=body, headers=headers) as reply,
        ):
            kind = reply.headers.get("Content-Type", "application/octet-stream")
            return reply.status, await reply.read(), kind
