"""Overviews for the web pages: a member's home (recent activity and unanswered questions in
their groups) and a group's tags. Same access policy as every other read."""

from __future__ import annotations

from dataclasses import dataclass

from feedserver.domain import access
from feedserver.domain.ids import is_id
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import BadRequest, NotFound
from feedserver.models import CachedGroup, CachedPost, Group, Page, Post, Viewer
from feedserver.models.feeds import entry_key
from feedserver.store import cached_feeds
from feedserver.store import feeds as feed_store
from feedserver.store import groups as group_store
from feedserver.store import overview as overview_store


@dataclass(frozen=True, slots=True)
class Activity:
    post: Post
    thread_title: str  # the question's or story's title, also for a reply


@dataclass(frozen=True, slots=True)
class CopyPost:
    """A question, story or tip of a partner's group the viewer reads here (name@host)."""

    post: CachedPost
    address: str


def _with_copies(
    found: list[Post], copies: list[CachedPost], groups: list[CachedGroup], limit: int
) -> tuple[list[Post | CopyPost], str | None]:
    """Our posts and the copies' (each source's newest `limit + 1` after the cursor) as one
    page in key order, newest first; and the next page's cursor, the last entry's key."""
    merged: list[Post | CachedPost] = sorted([*found, *copies], key=entry_key, reverse=True)
    page = merged[:limit]
    addresses = {g.actor_id: g.address for g in groups}
    items = [p if isinstance(p, Post) else CopyPost(p, addresses[p.group_actor]) for p in page]
    return items, (entry_key(page[-1]) if len(merged) > limit else None)


@dataclass(frozen=True, slots=True)
class Home:
    groups: list[Group]
    activity: list[Activity | CopyPost]
    unanswered: list[Post]
    older: str | None = None  # where the next page of activity starts, when there is one


async def home(
    services: Services, viewer: Viewer, *, limit: int = 20, before: str | None = None
) -> Home:
    """`before`: an activity page further back (the `older` of the page before it)."""
    access.require_member(viewer)
    if before is not None and not is_id(before):
        raise BadRequest("The cursor is not valid")
    scope = access.member_scope(viewer)
    async with services.db.read() as conn:
        groups = await group_store.visible_page(conn, scope, after=None, limit=100)
        activity = await overview_store.recent_activity(conn, scope, limit=limit + 1, before=before)
        unanswered = await overview_store.unanswered(conn, scope, limit=limit)
        copies = await access.readable_copies(conn, viewer)
        shared = await cached_feeds.home_page(
            conn, [g.actor_id for g in copies], before=before, limit=limit + 1
        )
    titles = {p.id: t for p, t in activity}
    items, older = _with_copies([p for p, _ in activity], shared, copies, limit)
    shown = [Activity(i, titles[i.id]) if isinstance(i, Post) else i for i in items]
    return Home(groups, shown, unanswered, older)


async def group_tags(
    services: Services, viewer: Viewer, group_name: str, *, limit: int = 30
) -> list[tuple[str, int]]:
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        return await overview_store.group_tags(conn, found.group.id, limit=limit)


async def tag_posts(
    services: Services, viewer: Viewer, tag: str, *, before: str | None, limit: int
) -> tuple[str, Page[Post | CopyPost]]:
    """Posts with a tag in every group the viewer may read, newest first: the web page of a
    tag (the same scope and index as its feed). (The normalized tag, one page.)"""
    access.require_member(viewer)
    clean = normalize_tag(tag)
    if clean is None:
        raise NotFound("No such tag")
    if before is not None and not is_id(before):
        raise BadRequest("The cursor is not valid")
    async with services.db.read() as conn:
        found = await feed_store.tag_page(
            conn, clean, access.read_scope(viewer), before=before, limit=limit + 1
        )
        copies = await access.readable_copies(conn, viewer)
        shared = await cached_feeds.tag_page(
            conn, [g.actor_id for g in copies], clean, before=before, limit=limit + 1
        )
    items, next_cursor = _with_copies(found, shared, copies, limit)
    return clean, Page(items, next_cursor)
