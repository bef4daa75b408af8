"""Overviews for the web pages: a member's home (recent activity and unanswered questions in
their groups) and a group's tags. Same access policy as every other read."""

from __future__ import annotations

from dataclasses import dataclass

from feedserver.domain import access
from feedserver.domain.ids import is_id
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import BadRequest, NotFound
from feedserver.models import Group, Page, Post, Viewer
from feedserver.store import feeds as feed_store
from feedserver.store import groups as group_store
from feedserver.store import overview as overview_store


@dataclass(frozen=True, slots=True)
class Activity:
    post: Post
    thread_title: str  # the question's or story's title, also for a reply


@dataclass(frozen=True, slots=True)
class Home:
    groups: list[Group]
    activity: list[Activity]
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
    older = activity[limit - 1][0].id if len(activity) > limit else None
    return Home(groups, [Activity(p, t) for p, t in activity[:limit]], unanswered, older)


async def group_tags(
    services: Services, viewer: Viewer, group_name: str, *, limit: int = 30
) -> list[tuple[str, int]]:
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        return await overview_store.group_tags(conn, found.group.id, limit=limit)


async def tag_posts(
    services: Services, viewer: Viewer, tag: str, *, before: str | None, limit: int
) -> tuple[str, Page[Post]]:
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
    items = found[:limit]
    return clean, Page(items, items[-1].id if len(found) > limit else None)
