"""Groups shared with us by partner servers, as our members read them: addressed
name@host, each read through the access policy (`access.readable_cached_group`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from feedserver.domain import access, expertise, feed_paths, feed_tokens, mentions
from feedserver.domain import posts as local_posts
from feedserver.domain.access import SharedGroupAccess
from feedserver.domain.events import CopyAnswerAccepted, CopyPostArrived
from feedserver.domain.services import Services
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import CachedGroup, CachedPost, CachedTombstone, Viewer
from feedserver.models.feeds import PAGE_SIZE, TOMBSTONE_DAYS
from feedserver.store import cached_groups as cached_store
from feedserver.store import cached_marks
from feedserver.store import feeds as feed_store
from feedserver.store.db import Connection


def split(address: str) -> tuple[str, str]:
    """(name, host) of name@host."""
    name, at, host = address.rpartition("@")
    if not at or not name or not host:
        raise NotFound("No such group")
    return name, host.lower()


async def mine(services: Services, viewer: Viewer) -> list[CachedGroup]:
    """The partners' groups the viewer belongs to (only members read a copy)."""
    access.require_member(viewer)
    assert viewer.member is not None
    async with services.db.read() as conn:
        found = await cached_store.of_member(conn, viewer.member.id)
    return [g for g in found if access.cached_group_access(viewer, g).can_read]


async def get(services: Services, viewer: Viewer, address: str) -> SharedGroupAccess:
    name, host = split(address)
    async with services.db.read() as conn:
        return await access.readable_cached_group(conn, viewer, name, host)


async def posts(
    services: Services, viewer: Viewer, address: str, limit: int
) -> tuple[SharedGroupAccess, list[CachedPost]]:
    name, host = split(address)
    async with services.db.read() as conn:
        found = await access.readable_cached_group(conn, viewer, name, host)
        return found, await cached_store.posts(conn, found.group.actor_id, limit, viewer.member_id)


async def own_sources(
    services: Services, viewer: Viewer, found: SharedGroupAccess, limit: int
) -> dict[str, str]:
    """The Markdown of the viewer's own posts in a copy they read (`found`), to edit."""
    if viewer.member is None or not found.can_post:
        return {}
    async with services.db.read() as conn:
        return await cached_store.sources_of_writer(
            conn, found.group.actor_id, viewer.member.id, limit
        )


@dataclass(frozen=True, slots=True)
class SharedWrite:
    """A member's post or reply for a partner's group, checked and rendered here; the
    hosting server checks membership again and relays it back once it took it."""

    group: CachedGroup
    parent: CachedPost | None
    kind: str
    title: str
    body: str
    body_html: str
    tags: tuple[str, ...]


async def prepare_write(
    services: Services, viewer: Viewer, address: str, *, kind: str, title: str, body: str,
    tags: list[str], in_reply_to: str | None = None,
) -> SharedWrite:  # fmt: skip
    """A post (`kind`, `title`, `tags`) or, with `in_reply_to`, an answer or reply to one of
    the group's posts its host relayed."""
    found = await get(services, viewer, address)
    if not found.can_post:
        raise Forbidden("Only the group's members post in it")
    clean_body = local_posts.clean_body(body)
    html = local_posts.render_body(services, clean_body)
    if in_reply_to is None:
        return SharedWrite(
            found.group, None, kind, local_posts.clean_title(title), clean_body, html,
            local_posts.normalize_tags(tags),
        )  # fmt: skip
    async with services.db.read() as conn:
        parent = await cached_store.post(conn, found.group.actor_id, in_reply_to)
    if parent is None:
        raise NotFound("No such post")
    if parent.parent_id is not None:
        raise Conflict("Reply to the thread's first post, not to a reply")
    kind = "answer" if parent.kind == "question" else "reply"
    return SharedWrite(found.group, parent, kind, "", clean_body, html, ())


FEED_ENTRIES = PAGE_SIZE


@dataclass(frozen=True, slots=True)
class CopyFeed:
    """What a copy's feed shows: its newest posts, and the tombstones of those its host
    deleted, kept as long as our own groups' (`TOMBSTONE_DAYS`, a page's worth at most)."""

    group: CachedGroup
    posts: list[CachedPost]
    tombstones: list[CachedTombstone]


async def feed(services: Services, token: str | None, address: str) -> CopyFeed:
    """The group's feed for the member the token names (same token rules as our own group
    feeds: a token for this path, the policy asked on every fetch); NotFound otherwise."""
    parsed = feed_tokens.parse(token)
    if parsed is None:
        raise NotFound("No such feed")
    since = services.clock() - timedelta(days=TOMBSTONE_DAYS)
    async with services.db.read() as conn:
        found = await feed_store.member_by_key(conn, parsed.key_id)
        if found is None or not feed_tokens.verify(
            found[1], feed_paths.group_feed(address), parsed.mac
        ):
            raise NotFound("No such feed")
        name, host = split(address)
        group = (await access.readable_cached_group(conn, Viewer(found[0]), name, host)).group
        return CopyFeed(
            group, await cached_store.posts(conn, group.actor_id, FEED_ENTRIES),
            await cached_store.tombstones(conn, group.actor_id, since, FEED_ENTRIES),
        )  # fmt: skip


async def prepare_edit(
    services: Services, viewer: Viewer, address: str, post_id: str, *, title: str | None,
    body: str | None, tags: list[str] | None,
) -> tuple[SharedWrite, CachedPost]:  # fmt: skip
    """A new version of the viewer's own post of the group (a reply has only a body), checked
    and rendered here; the group's host checks again that its author sent it."""
    found = await get(services, viewer, address)
    async with services.db.read() as conn:
        post = await cached_store.post(conn, found.group.actor_id, post_id)
    if post is None:
        raise NotFound("No such post")
    if not access.wrote_in_copy(viewer, post):
        raise Forbidden("Only the author edits a post")
    if post.parent_id is not None and (title is not None or tags is not None):
        raise ValidationFailed([{"field": "title", "message": "replies have only a body"}])
    async with services.db.read() as conn:
        source = await cached_store.source(conn, post.object_id)
    new_body = local_posts.clean_body(source if body is None else body)
    return SharedWrite(
        found.group, None, post.kind,
        post.title if title is None else local_posts.clean_title(title), new_body,
        local_posts.render_body(services, new_body),
        post.tags if tags is None else local_posts.normalize_tags(tags),
    ), post  # fmt: skip


async def check_accept(
    services: Services, viewer: Viewer, address: str, answer_id: str
) -> CachedGroup:
    """May the viewer accept this answer of the group? The asker (one of our members) or a
    mentor or owner of the group may; the group's host checks again."""
    found = await get(services, viewer, address)
    async with services.db.read() as conn:
        answer = await cached_store.post(conn, found.group.actor_id, answer_id)
        question = None
        if answer is not None and answer.kind == "answer" and answer.parent_id:
            question = await cached_store.post(conn, found.group.actor_id, answer.parent_id)
    if answer is None or question is None:
        raise NotFound("No such answer")
    if not access.may_moderate_copy(found, viewer, question):
        raise Forbidden("Only the asker, a mentor or an owner accepts an answer")
    return found.group


async def check_helpful(
    services: Services, viewer: Viewer, address: str, post_id: str
) -> CachedGroup:
    """May the viewer mark this post helpful? A member of the group, not its writer."""
    found = await get(services, viewer, address)
    async with services.db.read() as conn:
        post = await cached_store.post(conn, found.group.actor_id, post_id)
    if post is None:
        raise NotFound("No such post")
    if access.wrote_in_copy(viewer, post):
        raise Conflict("You cannot mark your own post helpful")
    return found.group


async def check_delete(
    services: Services, viewer: Viewer, address: str, post_id: str
) -> tuple[CachedGroup, CachedPost]:
    """May the viewer remove this post of the group? Its writer (one of our members) or a
    mentor or owner of the group may; the group's host checks again."""
    found = await get(services, viewer, address)
    async with services.db.read() as conn:
        post = await cached_store.post_of_writer(
            conn, found.group.actor_id, post_id, viewer.member_id
        )
    if post is None:
        raise NotFound("No such post")
    if not access.may_moderate_copy(found, viewer, post):
        raise Forbidden("Only the author, a mentor or an owner removes a post")
    return found.group, post


async def answer_accepted(
    conn: Connection, services: Services, group_actor: str, question_id: str,
    answer_id: str | None, at: datetime, *, news: bool = True,
) -> None:  # fmt: skip
    """The group's host says `answer_id` (None: no answer) is the accepted answer of the
    question `question_id`: the copy shows it, and an answer one of our members wrote earns
    them the evidence here (`expertise.on_partner_accept`). Nothing for a thread we do not
    hold, or an answer not in it. Its writer hears of it unless it is not `news` (a new
    copy's backfill)."""
    question = await cached_store.post(conn, group_actor, question_id)
    if question is None or question.parent_id is not None:
        return
    answer = await cached_store.post(conn, group_actor, answer_id) if answer_id else None
    if answer_id is not None and (answer is None or answer.parent_id != question_id):
        return
    await cached_store.set_accepted(conn, question_id, answer_id)
    if news and answer is not None and answer_id != question.accepted_answer:
        await services.events.publish(conn, CopyAnswerAccepted(group_actor, question, answer))
    writer = answer.writer_id if answer is not None else None
    await expertise.on_partner_accept(
        conn, services, member_id=None if writer == question.writer_id else writer,
        question_id=question_id, answer_id=answer_id, previous_id=question.accepted_answer,
        tags=question.tags, at=at,
    )  # fmt: skip


async def marked(
    conn: Connection, services: Services, group_actor: str, object_id: str, mark_id: str,
    helpful: bool, at: datetime,
) -> None:  # fmt: skip
    """The group's host says a member marked a post helpful (or took the mark back): the
    copy counts it, and a post our member wrote earns them the evidence here, on its
    thread's tags. Nothing for a post of that group we do not hold."""
    post = await cached_store.post(conn, group_actor, object_id)
    if post is None:
        return
    changed = await (cached_marks.put if helpful else cached_marks.drop)(conn, mark_id, object_id)
    if not changed or post.writer_id is None:
        return
    root = post if post.parent_id is None else await cached_store.post(
        conn, group_actor, post.parent_id
    )  # fmt: skip
    await expertise.on_partner_helpful(
        conn, services, member_id=post.writer_id, post_id=object_id,
        root_id=root.object_id if root else object_id, mark_id=mark_id, helpful=helpful,
        tags=root.tags if root else (), at=at,
    )  # fmt: skip


def mentioned(services: Services, obj: dict[str, Any]) -> list[str]:
    """Our members a post of a partner's group mentions (`@name@our-host`), from the text its
    author wrote (its Markdown source, else its title and HTML)."""
    source = obj.get("source")
    text = source.get("content") if isinstance(source, dict) else None
    if not isinstance(text, str):
        text = f"{obj.get('name', '')}\n{obj.get('content', '')}"
    # Our host as partners write it: with its port, as in username@host everywhere else.
    return mentions.usernames_at(text, urlsplit(services.config.public_url).netloc.lower())


async def arrived(
    conn: Connection, services: Services, group_actor: str, obj: dict[str, Any]
) -> None:
    """A new post of the group arrived from its host, as `obj` (notifications:
    `CopyPostArrived`)."""
    post = await cached_store.post(conn, group_actor, str(obj["id"]))
    if post is not None:
        named = tuple(mentioned(services, obj))
        await services.events.publish(conn, CopyPostArrived(group_actor, post, named))


async def retagged(
    conn: Connection, services: Services, object_id: str, tags: tuple[str, ...]
) -> None:
    """The host retagged a thread we hold: the evidence it earned our members here (accepted
    answers, helpful marks) moves to its new topics, as a local thread's does."""
    await expertise.on_retag(conn, services, object_id, tags)


async def post_deleted(
    conn: Connection, services: Services, group_actor: str, object_id: str
) -> None:
    """The group's host deleted one of its posts (the copy drops it with its replies): what
    it was evidence of here goes too (an answer of our member's that its thread accepted),
    as a deleted post's does on its host. Only for a post of that group we hold: a Delete
    may name any id, and a host speaks for its own group only."""
    if await cached_store.post(conn, group_actor, object_id) is not None:
        await expertise.on_deleted(conn, services, object_id)
