"""Health check and the human-readable pages behind problem `type` URIs."""

from __future__ import annotations

from aiohttp import web

from feedserver import errors
from feedserver.errors import NotFound


def _problem_codes() -> dict[str, str]:
    found = {}
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.FeedserverError):
            found[value.code] = value.title
    return found


async def health(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def problem_type(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    title = _problem_codes().get(code)
    if title is None:
        raise NotFound("No such problem type")
    return web.json_response({"type": f"/problems/{code}", "title": title})
