"""Atom feed routes and the member's feed URLs.

Feed responses are built for polling readers: a strong ETag that is a digest of exactly what
the page shows (so it moves when, and only when, the page changes), checked before anything
is rendered, so a 304 costs one token lookup, one access check and one page read; a 200
serves cached pieces, gzipped once per cached page when the reader asks for gzip. Between
writes, a repeated URL costs no database round trip at all (RecentAnswers, answered by
http/feed_answers.py before the route is even resolved). A feed that
cannot be opened is a bare 404 with an empty body, the same for every reason. Feeds never
answer 429.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_targets, feeds, notifications
from feedserver.domain import feed_tokens as tokens
from feedserver.domain.ids import is_id
from feedserver.errors import NotFound, Unauthorized
from feedserver.feeds import atom, gzipped, notification_atom
from feedserver.feeds.cache import Answer
from feedserver.http import auth, shared_groups
from feedserver.http import feed_answers as answers
from feedserver.http.metrics import route_label
from feedserver.http.params import tag_input
from feedserver.models.feeds import FeedTarget


def _not_found() -> web.Response:
    return web.Response(status=404, headers={"Cache-Control": "no-store"})


def _fills(target: FeedTarget, slots: tuple[bytes, ...], token: bytes) -> list[bytes]:
    """The reader's token for each slot: this feed's is the request's own; a thread feed's
    is signed with the reader's key (tokens are base64url, safe in an XML attribute)."""
    fills = []
    for slot in slots:
        if slot == b"MARKER":
            fills.append(token)
        else:
            post_id = slot.removeprefix(b"POST-").decode()
            fills.append(tokens.token_for(target.key, paths.thread_feed(post_id)).encode())
    return fills


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
        page = await feeds.content(services, target, before)
    except (NotFound, Unauthorized):
        return _not_found()
    etag = page.etag()
    key = (target.cache_key, etag, before or "")
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match is not None and answers.matches(if_none_match, etag):
        # Remember the answer if the page is at hand, so the next poll needs no database.
        if (cached := cache.get(key)) is not None:
            cache.answers.put(request.raw_path, _answer(request, target, cached, generation))
        return web.Response(status=304, headers=_headers(etag))

    async def render() -> atom.Rendered:
        language = page.language or services.config.feed_language
        return atom.render(page, services.config.public_url, language)

    rendered = await cache.get_or_render(key, render)
    answer = _answer(request, target, rendered, generation)
    # Under the request target exactly as sent: remembered answers are looked up before
    # the URL is parsed (http/feed_answers.py).
    cache.answers.put(request.raw_path, answer)
    return answers.respond(services, request, answer)


def _answer(
    request: web.Request, target: FeedTarget, rendered: atom.Rendered, generation: int
) -> Answer:
    """The reader's copy of a cached page: their tokens in its slots, plain and gzipped."""
    fills = _fills(target, rendered.pieces.slots, request.query["token"].encode())
    newest = rendered.updated.timestamp()
    now = request.app[appkeys.SERVICES].clock().timestamp()
    return Answer(
        generation=generation,
        etag=rendered.etag,
        newest=newest,
        body=gzipped.plain(rendered.pieces, fills),
        gzip=gzipped.gzip(rendered.pieces, fills),
        headers=answers.validator_headers(rendered.etag, newest, now),
        route=route_label(request),
    )


def _headers(etag: str) -> dict[str, str]:
    return {"ETag": etag, "Cache-Control": answers.CACHE_CONTROL, "Vary": "Accept-Encoding"}


async def group_feed(request: web.Request) -> web.Response:
    if "@" in request.match_info["name"]:  # a partner's group we hold a copy of
        return await shared_groups.group_feed(request)
    services = request.app[appkeys.SERVICES]
    name, tag = request.match_info["name"], request.query.get("tag")
    return await _serve(
        request, lambda: feed_targets.group(services, request.query.get("token"), name, tag)
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


async def replies_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    return await _serve(request, lambda: feed_targets.replies(services, request.query.get("token")))


async def unanswered_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    q = request.query
    return await _serve(
        request,
        lambda: feed_targets.unanswered(services, q.get("token"), q.get("group"), q.get("tag")),
    )


async def member_feed(request: web.Request) -> web.Response:
    services = request.app[appkeys.SERVICES]
    username = request.match_info["username"]
    return await _serve(
        request, lambda: feed_targets.member(services, request.query.get("token"), username)
    )


# -- /api/v1/me/feeds ------------------------------------------------------------------------


async def my_feeds(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    tags = [tag_input(t, f"tag/{i}") for i, t in enumerate(request.query.getall("tag", []))]
    doc = await feeds.my_feeds(
        request.app[appkeys.SERVICES], viewer, tags=tags,
        post_ids=request.query.getall("post", []), usernames=request.query.getall("member", []),
    )  # fmt: skip
    return web.json_response(doc)


async def rotate_feeds(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    services = request.app[appkeys.SERVICES]
    await feeds.rotate(services, viewer)
    return web.json_response(await feeds.my_feeds(services, viewer))


async def notifications_feed(request: web.Request) -> web.Response:
    """The member's notifications: the same token rules as every feed (a bare 404 for any
    failure), a strong ETag over the body and 304 when it did not change."""
    services = request.app[appkeys.SERVICES]
    try:
        viewer, items = await notifications.feed(services, request.query.get("token"))
    except NotFound:
        return _not_found()
    assert viewer.member is not None
    config = request.app[appkeys.CONFIG]
    body = notification_atom.render(config.public_url, viewer.member, items, config.feed_language)
    tag = notification_atom.etag(body)
    headers = {"ETag": tag, "Cache-Control": answers.CACHE_CONTROL}
    if answers.matches(request.headers.get("If-None-Match", ""), tag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/atom+xml", charset="utf-8",
                        headers=headers)  # fmt: skip
