"""The feed paths (what a token signs, with the query that narrows the feed, if any) and the
public URLs a feed links to.

The canonical path is built from validated route parameters, never copied from the request,
so percent-encoding tricks cannot make two spellings of one feed.
"""

from __future__ import annotations

HOME = "/feeds/home.atom"
REPLIES = "/feeds/replies.atom"
NOTIFICATIONS = "/feeds/notifications.atom"


def _query(**params: str | None) -> str:
    """A canonical query (fixed order, only the parameters given): part of what a token
    signs, so a token opens one narrowing of a feed, not any other. Values are validated
    names and tags, which need no escaping."""
    given = [f"{k}={v}" for k, v in params.items() if v is not None]
    return "?" + "&".join(given) if given else ""


def group_feed(name: str, tag: str | None = None) -> str:
    return f"/feeds/groups/{name}.atom" + _query(tag=tag)


def unanswered_feed(group: str | None = None, tag: str | None = None) -> str:
    return "/feeds/unanswered.atom" + _query(group=group, tag=tag)


def member_feed(username: str) -> str:
    return f"/feeds/members/{username}.atom"


def tag_feed(tag: str) -> str:
    return f"/feeds/tags/{tag}.atom"


def thread_feed(post_id: str) -> str:
    return f"/feeds/posts/{post_id}.atom"


# Web pages the feeds link to (alternate links, author URIs). Entry and feed ids are built
# from the same URLs minus any credential, so they never change when a token is rotated.
def post_page(base: str, post_id: str) -> str:
    return f"{base}/posts/{post_id}"


def group_page(base: str, name: str) -> str:
    return f"{base}/groups/{name}"


def copy_thread_page(base: str, address: str, anchor: str) -> str:
    """A thread of a partner's group held here (name@host): its place on the group's page
    (`CachedPost.anchor`, as search links it too)."""
    return f"{base}/groups/{address}#{anchor}"


def faq_page(base: str, group: str, slug: str) -> str:
    return f"{base}/groups/{group}/pages/{slug}"


def tag_page(base: str, tag: str) -> str:
    return f"{base}/tags/{tag}"


def member_page(base: str, username: str) -> str:
    return f"{base}/members/{username}"
