"""Health checks (/livez, /readyz) and the human-readable pages behind problem `type` URIs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from feedserver import appkeys, errors
from feedserver.errors import NotFound

log = logging.getLogger(__name__)

# A check slower than this counts as failed: a probe must answer before its caller gives up
# (Docker's and Kubernetes' default probe timeouts are a few seconds).
READY_TIMEOUT = 3.0


def _problem_codes() -> dict[str, str]:
    found = {}
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.FeedserverError):
            found[value.code] = value.title
    return found


async def livez(request: web.Request) -> web.Response:
    """The process serves requests: restart it if this fails. Touches nothing else, so a slow
    database never gets a live server killed."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """The server can do its work: a database reader answers and the writer can take the
    write lock. 503 (with what failed) while either cannot: send no traffic here then."""
    db = request.app[appkeys.SERVICES].db
    checks = {
        "database": await _check(lambda: asyncio.wait_for(db.check_reader(), READY_TIMEOUT)),
        "writer": await _check(lambda: db.check_writer(READY_TIMEOUT)),
    }
    ready = all(v == "ok" for v in checks.values())
    return web.json_response(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status=200 if ready else 503,
        headers={"Cache-Control": "no-store"},
    )


async def _check(probe: Callable[[], Awaitable[None]]) -> str:
    try:
        await probe()
    except TimeoutError:
        return f"no answer within {READY_TIMEOUT:g} s"
    except Exception as exc:  # any failure makes the server unready; say which, once
        log.warning("readiness check failed: %s", exc)
        return "failed"
    return "ok"


async def problem_type(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    title = _problem_codes().get(code)
    if title is None:
        raise NotFound("No such problem type")
    return web.json_response({"type": f"/problems/{code}", "title": title})
