"""What a feed contains (one page of it), and the member's feed URLs.

A page is read by index range from its `before` cursor, at most PAGE_SIZE entries (fewer when
their HTML passes PAGE_HTML_BYTES) plus the recent tombstones and changed FAQ pages on the
newest page, so it costs the same at any number of posts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from feedserver.domain import access
from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_tokens as tokens
from feedserver.domain.ids import is_id
from feedserver.domain.members import USERNAME_RE
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import NotFound, ValidationFailed
from feedserver.models import CachedPost, FaqPage, Member, Post, ReadScope, Tombstone, Viewer
from feedserver.models.feeds import (
    ENTRY_HTML_BYTES,
    FAQ_HTML_BYTES,
    MAX_PAGE_UPDATES,
    PAGE_HTML_BYTES,
    PAGE_SIZE,
    PAGE_UPDATE_DAYS,
    TOMBSTONE_DAYS,
    FeedContent,
    FeedKey,
    FeedTarget,
    entry_key,
)
from feedserver.store import cached_feeds, feed_entries
from feedserver.store import feeds as feed_store
from feedserver.store import members as member_store
from feedserver.store import pages as page_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

SHOWN_WHEN_HUGE = 8 * 1024  # what a huge body costs a page: its summary and link


def _shown_size(body_html: str) -> int:
    size = len(body_html)
    return SHOWN_WHEN_HUGE if size > ENTRY_HTML_BYTES else size


def _fit_pages(pages: list[FaqPage]) -> list[FaqPage]:
    """The newest changed FAQ pages whose HTML fits FAQ_HTML_BYTES (the newest always)."""
    taken: list[FaqPage] = []
    budget = FAQ_HTML_BYTES
    for page in pages:
        size = _shown_size(page.body_html)
        if taken and size > budget:
            break
        budget -= size
        taken.append(page)
    return taken


_Entry = TypeVar("_Entry", bound=Post | CachedPost)


def _paged(items: list[_Entry]) -> tuple[list[_Entry], str | None]:
    """At most PAGE_SIZE entries, and no more HTML than PAGE_HTML_BYTES (at least one entry;
    a body over ENTRY_HTML_BYTES counts as the summary it is shown as)."""
    taken: list[_Entry] = []
    budget = PAGE_HTML_BYTES
    for item in items[:PAGE_SIZE]:
        size = _shown_size(item.body_html)
        if taken and size > budget:
            break
        budget -= size
        taken.append(item)
    return taken, (entry_key(taken[-1]) if len(items) > len(taken) else None)


def _with_copies(
    found: list[Post], copies: list[CachedPost]
) -> tuple[list[Post], list[CachedPost], str | None]:
    """One page of our posts and the copies' merged in key order, newest first. Each source
    gave its newest PAGE_SIZE + 1 after the cursor, so the merged page is exact and its
    cursor (the last entry's key) starts the next page in both."""
    merged: list[Post | CachedPost] = sorted([*found, *copies], key=entry_key, reverse=True)
    taken, next_before = _paged(merged)
    posts = [p for p in taken if isinstance(p, Post)]
    return posts, [c for c in taken if isinstance(c, CachedPost)], next_before


def _since(services: Services, days: int) -> datetime:
    return services.clock() - timedelta(days=days)


async def content(services: Services, target: FeedTarget, before: str | None) -> FeedContent:
    """One page of a feed the viewer was allowed to open (see domain/feed_targets.py)."""
    async with services.db.read() as conn:
        page = await _content(conn, services, target, before)
        changes = await feed_entries.changed_at(
            conn, [p.id for p in page.posts if p.parent_id is not None]
        )
        missing = {p.parent_id for p in page.posts if p.parent_id} - page.parents.keys()
        parents = {q.id: q for q in await feed_store.posts_by_ids(conn, sorted(missing))}
    return replace(page, entry_changes=changes, parents=page.parents | parents)


async def _content(
    conn: Connection, services: Services, target: FeedTarget, before: str | None
) -> FeedContent:
    base = services.config.public_url
    since = _since(services, TOMBSTONE_DAYS)
    newest_page = before is None
    limit = PAGE_SIZE + 1
    if target.kind in ("group", "group_tag"):
        assert target.group is not None
        g = target.group
        found = await post_store.group_page(
            conn, g.id, kind=None, tag=target.tag, before=before, limit=limit
        )
        posts, next_before = _paged(found)
        dead: list[Tombstone] = []
        changed_pages: list[FaqPage] = []
        if newest_page and target.tag is None:
            dead = await feed_store.group_tombstones(conn, [g.id], since, PAGE_SIZE)
            changed_pages = await page_store.updated_since(
                conn, g.id, since=_since(services, PAGE_UPDATE_DAYS), limit=MAX_PAGE_UPDATES
            )
        elif newest_page:
            assert target.tag is not None
            only = ReadScope(group_ids=frozenset({g.id}))
            dead = await feed_entries.tag_tombstones(conn, target.tag, only, since, PAGE_SIZE)
            changed_pages = await feed_entries.tag_pages(
                conn, target.tag, only, _since(services, PAGE_UPDATE_DAYS), MAX_PAGE_UPDATES
            )
        title = g.title if target.tag is None else f"{g.title}: #{target.tag}"
        return FeedContent(
            target, title, g.description or f"Posts in {g.title}",
            paths.group_page(base, g.name), posts, dead, before, next_before,
            created_at=g.created_at, pages=_fit_pages(changed_pages),
        )  # fmt: skip
    if target.kind == "thread":
        return await _thread(conn, target, before, since, base)
    assert target.scope is not None and target.viewer.member is not None
    member = target.viewer.member
    if target.kind == "tag":
        assert target.tag is not None
        found = await feed_store.tag_page(conn, target.tag, target.scope, before=before,
                                          limit=limit)  # fmt: skip
        copies = await cached_feeds.tag_page(
            conn, [g.actor_id for g in target.copies], target.tag, before=before, limit=limit
        )
        posts, shown_copies, next_before = _with_copies(found, copies)
        dead, changed_pages = [], []
        if newest_page:
            dead = await feed_entries.tag_tombstones(
                conn, target.tag, target.scope, since, PAGE_SIZE
            )
            changed_pages = await feed_entries.tag_pages(
                conn, target.tag, target.scope, _since(services, PAGE_UPDATE_DAYS),
                MAX_PAGE_UPDATES,
            )  # fmt: skip
        return FeedContent(
            target, f"#{target.tag}", f"Posts and FAQ pages tagged #{target.tag} in the groups"
            " you read", paths.tag_page(base, target.tag), posts, dead, before, next_before,
            created_at=member.created_at, pages=_fit_pages(changed_pages), copies=shown_copies,
        )  # fmt: skip
    if target.kind == "member":
        assert target.author_id is not None
        found = await feed_store.author_page(
            conn, target.author_id, target.scope, before=before, limit=limit
        )
        posts, next_before = _paged(found)
        name = target.author_name or ""
        return FeedContent(
            target, f"Activity of {name}", f"What {name} posted where you can read it",
            paths.member_page(base, name), posts, [], before, next_before,
            created_at=member.created_at,
        )  # fmt: skip
    if target.kind == "unanswered":
        if target.tag is not None:
            found = await feed_store.tag_page(conn, target.tag, target.scope, before=before,
                                              limit=limit, unanswered=True)  # fmt: skip
        else:
            group_ids = await _group_ids(conn, target)
            found = await feed_store.groups_page(
                conn, group_ids, before=before, limit=limit, which="unanswered"
            )
        posts, next_before = _paged(found)
        where = [f"#{target.tag}"] if target.tag else []
        where += [target.group.title] if target.group else []
        return FeedContent(
            target, "Unanswered questions" + (f": {', '.join(where)}" if where else ""),
            "Questions nobody has answered yet", f"{base}/", posts, [], before, next_before,
            created_at=member.created_at, replies_links=True,
        )  # fmt: skip
    group_ids = await _group_ids(conn, target)
    which = "replies" if target.kind == "replies" else "top"
    found = await feed_store.groups_page(conn, group_ids, before=before, limit=limit, which=which)
    # Deleted posts of the feed's own kind: questions and tips in the home feed, answers
    # and replies in the replies feed, so a reader drops the entry it kept.
    tombstones = feed_store.reply_tombstones if which == "replies" else feed_store.group_tombstones
    dead = await tombstones(conn, group_ids, since, PAGE_SIZE) if newest_page else []
    if which == "replies":
        posts, next_before = _paged(found)
        return FeedContent(
            target, "Latest answers and replies", "Answers and replies in your groups",
            f"{base}/", posts, dead, before, next_before, created_at=member.created_at,
        )  # fmt: skip
    copies = await cached_feeds.home_page(
        conn, [g.actor_id for g in target.copies], before=before, limit=limit
    )
    posts, shown_copies, next_before = _with_copies(found, copies)
    return FeedContent(
        target, f"Home: {member.display_name}", "Everything in your groups",
        f"{base}/", posts, dead, before, next_before, created_at=member.created_at,
        copies=shown_copies,
    )  # fmt: skip


async def _group_ids(conn: Connection, target: FeedTarget) -> list[str]:
    """The member's groups, or the one group the feed was narrowed to."""
    if target.group is not None:
        return [target.group.id]
    assert target.viewer.member is not None
    return await feed_store.member_group_ids(conn, target.viewer.member.id)


async def _thread(
    conn: Connection, target: FeedTarget, before: str | None, since: datetime, base: str
) -> FeedContent:
    assert target.question_id is not None and target.group is not None
    question = await post_store.get(conn, target.question_id)
    if question is None:
        raise NotFound("No such feed")
    replies = await feed_store.thread_page(conn, question.id, before=before, limit=PAGE_SIZE + 1)
    # Newest first, the question last: it joins the page once its replies are exhausted.
    items = replies if len(replies) > PAGE_SIZE else [*replies, question]
    posts, next_before = _paged(items)
    accepted = None
    if question.accepted_answer_id:
        accepted = next((p for p in posts if p.id == question.accepted_answer_id), None)
        accepted = accepted or await post_store.get(conn, question.accepted_answer_id)
    dead = (
        await feed_store.thread_tombstones(conn, question.id, since, PAGE_SIZE)
        if before is None
        else []
    )
    return FeedContent(
        target, question.title,
        f"A {question.kind} in {target.group.title}: its answers, and which one is accepted",
        paths.post_page(base, question.id), posts, dead, before, next_before,
        question=question, accepted_answer=accepted, created_at=question.created_at,
        replies_links=False, parents={question.id: question},
    )  # fmt: skip


# -- the member's feed URLs ------------------------------------------------------------------


async def _key(services: Services, member: Member) -> FeedKey:
    """The member's feed key, created on first use."""
    async with services.db.read() as conn:
        found = await feed_store.key_of(conn, member.id)
    if found is None:
        fresh = tokens.new_key()
        async with services.db.write() as conn:
            await feed_store.insert_key(
                conn, member.id, fresh.key_id, fresh.secret, services.clock()
            )
            found = await feed_store.key_of(conn, member.id)
    assert found is not None
    return FeedKey(*found)


def _url(services: Services, key: FeedKey, path: str) -> str:
    joint = "&" if "?" in path else "?"
    return f"{services.config.public_url}{path}{joint}token={tokens.token_for(key, path)}"


async def group_feed_url(services: Services, viewer: Viewer, group_name: str) -> str:
    """The viewer's feed URL of a group they were already allowed to read."""
    access.require_member(viewer)
    assert viewer.member is not None
    key = await _key(services, viewer.member)
    return _url(services, key, paths.group_feed(group_name))


async def feed_url(services: Services, viewer: Viewer, path: str) -> str:
    """The viewer's URL of one feed path (from feeds/paths.py), for a web page's autodiscovery
    link. The page already asked the access policy; the feed asks it again on every fetch."""
    access.require_member(viewer)
    assert viewer.member is not None
    return _url(services, await _key(services, viewer.member), path)


async def my_feeds(
    services: Services,
    viewer: Viewer,
    *,
    tags: Sequence[str] = (),
    post_ids: Sequence[str] = (),
    usernames: Sequence[str] = (),
) -> dict[str, Any]:
    """Home, replies, unanswered and every group of the member; tag feeds (over all groups and
    per group), thread feeds and members' activity feeds on request."""
    access.require_member(viewer)
    assert viewer.member is not None
    clean_tags = []
    for index, raw in enumerate(tags):
        tag = normalize_tag(raw)
        if tag is None:
            raise ValidationFailed([{"field": f"tag/{index}", "message": "not a valid tag"}])
        clean_tags.append(tag)
    async with services.db.read() as conn:
        names = await feed_store.member_group_names(conn, viewer.member.id)
        for post_id in post_ids:
            post = await post_store.get(conn, post_id) if is_id(post_id) else None
            await access.readable_post_group(conn, viewer, post)
            assert post is not None
            if post.parent_id is not None:
                raise NotFound("A thread feed starts at the thread's first post")
        for username in usernames:
            found = USERNAME_RE.match(username) and await member_store.by_username(conn, username)
            if not found:
                raise NotFound("No such member")
    key = await _key(services, viewer.member)

    def url(path: str) -> str:
        return _url(services, key, path)

    groups = [
        {"name": n, "url": url(paths.group_feed(n)), "unanswered": url(paths.unanswered_feed(n)),
         "tags": [{"tag": t, "url": url(paths.group_feed(n, t))} for t in clean_tags]}
        for n in names
    ]  # fmt: skip
    return {
        "home": url(paths.HOME),
        "replies": url(paths.REPLIES),
        "unanswered": url(paths.unanswered_feed()),
        "groups": groups,
        "tags": [
            {
                "tag": t,
                "url": url(paths.tag_feed(t)),
                "unanswered": url(paths.unanswered_feed(tag=t)),
            }
            for t in clean_tags
        ],  # fmt: skip
        "members": [{"username": u, "url": url(paths.member_feed(u))} for u in usernames],
        "posts": [{"id": p, "url": url(paths.thread_feed(p))} for p in post_ids],
    }


async def rotate(services: Services, viewer: Viewer) -> None:
    """A new secret: every feed URL issued before stops working at once."""
    access.require_member(viewer)
    assert viewer.member is not None
    fresh = tokens.new_key()
    async with services.db.write() as conn:
        await feed_store.replace_key(
            conn, viewer.member.id, fresh.key_id, fresh.secret, services.clock()
        )
