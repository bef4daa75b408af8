"""The `<link rel="alternate" type="application/atom+xml">` of each page that has a feed.

The URLs are the viewer's own private feed URLs (the token is in the URL, so any reader can
poll them); pages are served with Referrer-Policy: same-origin, so they never leak onward.
"""

from __future__ import annotations

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import feed_paths as paths
from feedserver.domain import feeds
from feedserver.domain.members import USERNAME_RE
from feedserver.models import CachedGroup, Group, Post, Viewer
from feedserver.web.render import FeedLink


async def _link(request: web.Request, viewer: Viewer, title: str, path: str) -> FeedLink:
    return FeedLink(title, await feeds.feed_url(request.app[appkeys.SERVICES], viewer, path))


async def home(request: web.Request, viewer: Viewer) -> list[FeedLink]:
    return [await _link(request, viewer, "Everything in your groups", paths.HOME)]


async def group(request: web.Request, viewer: Viewer, found: Group) -> list[FeedLink]:
    return [await _link(request, viewer, f"{found.title}", paths.group_feed(found.name))]


async def shared_group(request: web.Request, viewer: Viewer, found: CachedGroup) -> list[FeedLink]:
    return [await _link(request, viewer, found.title, paths.group_feed(found.address))]


async def tag(request: web.Request, viewer: Viewer, name: str) -> list[FeedLink]:
    return [await _link(request, viewer, f"#{name} in the groups you read", paths.tag_feed(name))]


async def thread(request: web.Request, viewer: Viewer, post: Post) -> list[FeedLink]:
    return [await _link(request, viewer, f"Answers to: {post.title}", paths.thread_feed(post.id))]


async def member(request: web.Request, viewer: Viewer, username: str) -> list[FeedLink]:
    """A local member's activity (what the viewer may read of it); none for partners' people."""
    if not USERNAME_RE.match(username):
        return []
    title = f"What {username} posts where you can read it"
    return [await _link(request, viewer, title, paths.member_feed(username))]
