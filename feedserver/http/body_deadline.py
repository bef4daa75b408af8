"""Request bodies arrive within a deadline, or not at all.

aiohttp reads a body only when a handler asks, with no time limit, so a client trickling a
byte now and then holds a connection (and a descriptor) for ever. The middleware here reads
every body up front with `read_body`, inside `body_timeout_seconds`: a late body is a 408
and the connection closes. Handlers then read the same bytes from aiohttp's cache
(`request.read()`, `request.post()`); the size limit (413) applies while reading, as before.
A handler that must look at the headers before it accepts a body at all (the signed
federation endpoints) is marked `reads_own_body` and calls `read_body` itself.

A client that goes away mid-body is not a server error: the request ends with no traceback,
and the access log shows 499 (nginx's "client closed request").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiohttp import web

from feedserver import appkeys
from feedserver.errors import BadRequest, ClientClosedRequest, RequestTimeout

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
H = TypeVar("H")
_OWN_BODY = "_feedserver_reads_own_body"


def reads_own_body(handler: H) -> H:
    setattr(handler, _OWN_BODY, True)
    return handler


async def read_body(request: web.Request) -> bytes:
    seconds = request.app[appkeys.CONFIG].body_timeout_seconds
    try:
        async with asyncio.timeout(seconds):
            return await request.read()
    except TimeoutError:
        raise RequestTimeout(f"The request body did not arrive within {seconds} seconds") from None
    except (ConnectionError, web.RequestPayloadError):
        if request.transport is None or request.transport.is_closing():
            raise ClientClosedRequest("The client closed the connection mid-body") from None
        raise BadRequest("The request body is malformed") from None


@web.middleware
async def body_deadline_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.body_exists and not getattr(request.match_info.handler, _OWN_BODY, False):
        await read_body(request)
    return await handler(request)
