"""Which feed a request may open: the token names the member, then the access policy decides,
exactly as it does for the API (a group the member cannot read does not exist: NotFound).

Every failure is the same NotFound, whatever went wrong (no token, a wrong, rotated or
foreign token, a missing group, a group the member left), so a feed URL reveals nothing.
A target carries no version: the page's validator is a digest of what the page shows
(FeedContent.etag), computed from the page itself.
"""

from __future__ import annotations

from feedserver.domain import access
from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_tokens as tokens
from feedserver.domain.groups import NAME_RE
from feedserver.domain.ids import is_id
from feedserver.domain.members import USERNAME_RE
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import NotFound
from feedserver.models import ReadScope, Viewer
from feedserver.models.feeds import FeedKey, FeedTarget
from feedserver.store import feeds as feed_store
from feedserver.store import members as member_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

_GONE = "No such feed"


def data_generation(services: Services) -> int:
    """Moves with every write committed by any process; an answer computed at one generation
    stays exact until it moves (see Database.data_version)."""
    return services.db.data_version()


async def _viewer(conn: Connection, token: str | None, path: str) -> tuple[Viewer, FeedKey]:
    parsed = tokens.parse(token)
    if parsed is None:
        raise NotFound(_GONE)
    found = await feed_store.member_by_key(conn, parsed.key_id)
    if found is None or not tokens.verify(found[1], path, parsed.mac):
        raise NotFound(_GONE)
    return Viewer(found[0]), FeedKey(parsed.key_id, found[1])


def _tag(raw: str | None) -> str | None:
    """A tag from a URL: one spelling per feed, the normalized one."""
    if raw is not None and normalize_tag(raw) != raw:
        raise NotFound(_GONE)
    return raw


async def group(
    services: Services, token: str | None, name: str, raw_tag: str | None = None
) -> FeedTarget:
    """A group's feed, or (with a tag) only its posts and FAQ pages with that tag."""
    tag = _tag(raw_tag)
    if not NAME_RE.match(name):
        raise NotFound(_GONE)
    path = paths.group_feed(name, tag)
    parsed = tokens.parse(token)
    if parsed is None:
        raise NotFound(_GONE)
    # The feed readers poll most, so one round trip fetches what the token check and the
    # policy need; the policy itself is access.decide, as in access.readable_group.
    async with services.db.read() as conn:
        found = await feed_store.group_by_key(conn, parsed.key_id, name)
    if found is None or not tokens.verify(found[1], path, parsed.mac):
        raise NotFound(_GONE)
    member, secret, g, membership = found
    viewer = Viewer(member)
    if g is None or not access.decide(viewer, g, membership).can_read:
        raise NotFound(_GONE)
    key = FeedKey(parsed.key_id, secret)
    if tag is not None:
        return FeedTarget("group_tag", path, f"group:{g.id}:{tag}", viewer, key, group=g, tag=tag)
    return FeedTarget("group", path, f"group:{g.id}", viewer, key, group=g)


async def thread(services: Services, token: str | None, post_id: str) -> FeedTarget:
    if not is_id(post_id):
        raise NotFound(_GONE)
    path = paths.thread_feed(post_id)
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
        post = await post_store.get(conn, post_id)
        found = await access.readable_post_group(conn, viewer, post)
    assert post is not None
    if post.parent_id is not None:  # a thread feed starts at the thread's first post
        raise NotFound(_GONE)
    g = found.group
    return FeedTarget(
        "thread", path, f"thread:{post.id}", viewer, key, group=g, question_id=post.id
    )


async def tag(services: Services, token: str | None, raw_tag: str) -> FeedTarget:
    _tag(raw_tag)
    path = paths.tag_feed(raw_tag)
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
        copies = tuple(await access.readable_copies(conn, viewer))
    scope = access.read_scope(viewer)
    who = "*" if scope.everything else viewer.member_id
    return FeedTarget(
        "tag", path, f"tag:{raw_tag}:{who}", viewer, key, tag=raw_tag, scope=scope, copies=copies
    )


async def home(services: Services, token: str | None) -> FeedTarget:
    path = paths.HOME
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
        copies = tuple(await access.readable_copies(conn, viewer))
    # The member's own groups. access.decide lets every member read their group, so this
    # is never wider than what the policy allows; and the partners' groups they belong to.
    scope = ReadScope(member_id=viewer.member_id)
    return FeedTarget(
        "home", path, f"home:{viewer.member_id}", viewer, key, scope=scope, copies=copies
    )


async def replies(services: Services, token: str | None) -> FeedTarget:
    """Answers and replies in the member's own groups (as the home feed: access.member_scope)."""
    path = paths.REPLIES
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
    scope = access.member_scope(viewer)
    return FeedTarget("replies", path, f"replies:{viewer.member_id}", viewer, key, scope=scope)


async def unanswered(
    services: Services, token: str | None, group_name: str | None, raw_tag: str | None
) -> FeedTarget:
    """Questions nobody answered yet: in the member's groups, or in one group they may read,
    optionally only those with a tag."""
    tag = _tag(raw_tag)
    if group_name is not None and not NAME_RE.match(group_name):
        raise NotFound(_GONE)
    path = paths.unanswered_feed(group_name, tag)
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
        g = None
        if group_name is not None:
            g = (await access.readable_group(conn, viewer, group_name)).group
    scope = access.member_scope(viewer) if g is None else ReadScope(group_ids=frozenset({g.id}))
    return FeedTarget(
        "unanswered", path, f"unanswered:{viewer.member_id}:{group_name}:{tag}", viewer, key,
        group=g, tag=tag, scope=scope,
    )  # fmt: skip


async def member(services: Services, token: str | None, username: str) -> FeedTarget:
    """What one member posted, only where the reader may read (access.read_scope)."""
    if not USERNAME_RE.match(username):
        raise NotFound(_GONE)
    path = paths.member_feed(username)
    async with services.db.read() as conn:
        viewer, key = await _viewer(conn, token, path)
        author = await member_store.by_username(conn, username)
    if author is None:
        raise NotFound(_GONE)
    scope = access.read_scope(viewer)
    who = "*" if scope.everything else viewer.member_id
    return FeedTarget(
        "member", path, f"member:{author.id}:{who}", viewer, key, scope=scope,
        author_id=author.id, author_name=author.username,
    )  # fmt: skip
