"""Atom feed routes and the member's feed URLs.

Feed responses are built for polling readers: a strong ETag from the feed's version, checked
before anything is read or rendered, so a 304 costs one token lookup, one access check and
one version read; a 200 serves cached bytes. Between writes, a repeated URL costs no database
round trip at all (RecentAnswers). A feed that cannot be opened is a bare 404 with
an empty body, the same for every reason. Feeds never answer 429.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from email.utils import format_datetime

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_targets, feeds
from feedserver.domain.ids import is_id
from feedserver.errors import NotFound, Unauthorized
from feedserver.feeds import atom
from feedserver.feeds.cache import Answer
from feedserver.feeds.model import FeedTarget
from feedserver.http import auth
from feedserver.http.params import tag_input

CACHE_CONTROL = "private, max-age=300"


def _not_found() -> web.Response:
    return web.Response(status=404, headers={"Cache-Control": "no-store"})


def _matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 weak comparison, as If-None-Match requires."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


def recent_answer(request: web.Request) -> web.Response | None:
    """The remembered answer to this exact URL, if nothing was written since it was made."""
    services = request.app[appkeys.SERVICES]
    generation = feed_targets.data_generation(services)
    found = request.app[appkeys.FEED_CACHE].answers.get(request.path_qs, generation)
    return None if found is None else _respond(request, found)


@web.middleware
async def recent_answers_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Outermost, so a feed reader's repeated poll costs no more than the HTTP it rides on."""
    feed_poll = request.method in ("GET", "HEAD") and request.path.startswith("/feeds/")
    if feed_poll and (response := recent_answer(request)) is not None:
        return response
    return await handler(request)


async def _serve(
    request: web.Request, resolve: Callable[[], Awaitable[FeedTarget]]
) -> web.Response:
    services = request.app[appkeys.SERVICES]
    cache = request.app[appkeys.FEED_CACHE]
    # Read before resolving: if a write lands while this request is in flight, the answer is
    # filed under the older generation and never reused.
    generation = feed_targets.data_generation(services)
    before = request.query.get("before")
    try:
        target = await resolve()
        if before is not None and not is_id(before):
            raise NotFound("No such page")
    except (NotFound, Unauthorized):
        return _not_found()
    etag = target.etag(before)
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and _matches(if_none_match, etag):
        return web.Response(status=304, headers={"ETag": etag, "Cache-Control": CACHE_CONTROL})

    async def render() -> atom.Rendered:
        page = await feeds.content(services, target, before)
        return atom.render(page, services.config.public_url)

    try:
        rendered = await cache.get_or_render(
            (target.cache_key, target.version, before or ""), render
        )
    except NotFound:
        return _not_found()
    # The token was checked to be base64url, so it is safe inside an XML attribute.
    token = request.query["token"].encode()
    answer = Answer(
        generation=generation,
        etag=etag,
        last_modified=format_datetime(rendered.updated, usegmt=True),
        updated=int(rendered.updated.timestamp()),  # HTTP dates have no fraction
        body=rendered.body.replace(atom.TOKEN_MARKER_BYTES, token),
    )
    cache.answers.put(request.path_qs, answer)
    return _respond(request, answer)


def _respond(request: web.Request, answer: Answer) -> web.Response:
    headers = {
        "ETag": answer.etag,
        "Cache-Control": CACHE_CONTROL,
        "Last-Modified": answer.last_modified,
    }
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None:
        if _matches(if_none_match, answer.etag):
            return web.Response(status=304, headers=headers)
    elif (since := request.if_modified_since) is not None and answer.updated <= since.timestamp():
        return web.Response(status=304, headers=headers)
    return web.Response(
        body=answer.body, headers=headers, content_type="application/atom+xml", charset="utf-8"
    )


async def group_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    name = request.match_info["name"]
    return await _serve(
        request, lambda: feed_targets.group(services, request.query.get("token"), name)
    )


async def tag_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    tag = request.match_info["tag"]
    return await _serve(
        request, lambda: feed_targets.tag(services, request.query.get("token"), tag)
    )


async def thread_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    post_id = request.match_info["id"]
    return await _serve(
        request, lambda: feed_targets.thread(services, request.query.get("token"), post_id)
    )


async def home_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    return await _serve(request, lambda: feed_targets.home(services, request.query.get("token")))


# -- /api/v1/me/feeds ------------------------------------------------------------------------


async def my_feeds(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    tags = [tag_input(t, f"tag/{i}") for i, t in enumerate(request.query.getall("tag", []))]
    doc = await feeds.my_feeds(
        request.app[appkeys.SERVICES], viewer, tags=tags, post_ids=request.query.getall("post", [])
    )
    return web.json_response(doc)


async def rotate_feeds(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    services = request.app[appkeys.SERVICES]
    await feeds.rotate(services, viewer)
    return web.json_response(await feeds.my_feeds(services, viewer))
