"""Learning posts: questions, stories, tips and notes; replies and answers; acceptance,
helpful marks, edits with revisions, and deletion with tombstones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedserver.domain import access, expertise
from feedserver.domain.events import AnswerAccepted, HelpfulMarked, PostDeleted, PostWritten
from feedserver.domain.ids import is_id, new_id
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text, normalize_tag, render_markdown
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import Page, Post, Revision, Viewer
from feedserver.store import feed_entries
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

MAX_TAGS = 10


@dataclass(frozen=True, slots=True)
class Thread:
    post: Post
    replies: list[Post]
    helpful_by_viewer: frozenset[str]  # ids among post + replies the viewer marked helpful
    next_cursor: str | None


def normalize_tags(raw: list[str]) -> tuple[str, ...]:
    tags: list[str] = []
    errors = []
    for index, item in enumerate(raw):
        tag = normalize_tag(item)
        if tag is None:
            errors.append({"field": f"tags/{index}", "message": "not a valid tag"})
        elif tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        errors.append({"field": "tags", "message": f"at most {MAX_TAGS} tags"})
    if errors:
        raise ValidationFailed(errors)
    return tuple(tags)


def clean_title(title: str) -> str:
    cleaned = " ".join(clean_text(title).split())
    if not cleaned:
        raise ValidationFailed([{"field": "title", "message": "must not be empty"}])
    return cleaned


def clean_body(body: str) -> str:
    cleaned = clean_text(body)
    if not cleaned.strip():
        raise ValidationFailed([{"field": "body", "message": "must not be empty"}])
    return cleaned


def _new_post(
    viewer: Viewer,
    group_id: str,
    group_name: str,
    parent_id: str | None,
    kind: str,
    title: str,
    body: str,
    body_html: str,
    tags: tuple[str, ...],
    now: datetime,
    post_id: str,
) -> Post:
    """The post as it will be stored: built here so the write needs no read-back."""
    assert viewer.member is not None
    return Post(
        id=post_id, group_id=group_id, group_name=group_name, parent_id=parent_id,
        kind=kind,  # type: ignore[arg-type]
        author_id=viewer.member.id, author_username=viewer.member.username,
        author_display_name=viewer.member.display_name, title=title, body=body,
        body_html=body_html, tags=tags, created_at=now, updated_at=now, revision=1,
    )  # fmt: skip


async def _load(conn: Connection, viewer: Viewer, post_id: str) -> tuple[Post, access.GroupAccess]:
    post = await post_store.get(conn, post_id) if is_id(post_id) else None
    found = await access.readable_post_group(conn, viewer, post)
    assert post is not None
    return post, found


async def create(
    services: Services,
    viewer: Viewer,
    group_name: str,
    *,
    kind: str,
    title: str,
    body: str,
    tags: list[str],
) -> Post:
    title, body, clean_tags = clean_title(title), clean_body(body), normalize_tags(tags)
    body_html = render_body(services, body)  # once, at write time
    post_id = new_id()
    now = services.clock()
    async with services.db.write() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        if not found.can_post:
            raise Forbidden("Join the group to post in it")
        post = _new_post(
            viewer, found.group.id, found.group.name, None, kind, title, body, body_html,
            clean_tags, now, post_id,
        )  # fmt: skip
        await post_store.insert_post(conn, post)
        # Expertise: a story or tip is evidence for its author, in this same transaction.
        await expertise.on_post_created(
            conn, services, post_id=post_id, kind=kind, author_id=post.author_id,
            group_id=found.group.id, tags=clean_tags, at=now,
        )  # fmt: skip
        await services.events.publish(conn, PostWritten(post, created=True))
    return post


async def reply(services: Services, viewer: Viewer, parent_id: str, *, body: str) -> Post:
    body = clean_body(body)
    body_html = render_body(services, body)
    reply_id = new_id()
    async with services.db.write() as conn:
        parent, found = await _load(conn, viewer, parent_id)
        if parent.parent_id is not None:
            raise Conflict("Reply to the thread's first post, not to a reply")
        if not found.can_post:
            raise Forbidden("Join the group to reply")
        kind = "answer" if parent.kind == "question" else "reply"
        post = _new_post(
            viewer, parent.group_id, parent.group_name, parent.id, kind, "", body, body_html, (),
            services.clock(), reply_id,
        )  # fmt: skip
        await post_store.insert_post(conn, post)
        await services.events.publish(conn, PostWritten(post, created=True))
    return post


async def group_posts(
    services: Services,
    viewer: Viewer,
    group_name: str,
    *,
    kind: str | None,
    tag: str | None,
    cursor: str | None,
    limit: int,
) -> Page[Post]:
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        items = await post_store.group_page(
            conn, found.group.id, kind=kind, tag=normalize_tag(tag) if tag else None,
            before=cursor, limit=limit + 1,
        )  # fmt: skip
    return Page.of(items, limit, lambda item: item.id)


async def group_posts_newer(
    services: Services, viewer: Viewer, group_name: str, *, kind: str | None,
    tag: str | None, after: str, limit: int,
) -> tuple[list[Post], bool]:  # fmt: skip
    """The page of posts just newer than `after` (newest first), paging back towards the
    newest; and whether there are newer ones still."""
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        items = await post_store.group_page(
            conn, found.group.id, kind=kind, tag=normalize_tag(tag) if tag else None,
            before=None, after=after, limit=limit + 1,
        )  # fmt: skip
    return items[-limit:], len(items) > limit


async def thread(
    services: Services, viewer: Viewer, post_id: str, *, cursor: str | None, limit: int
) -> Thread:
    async with services.db.read() as conn:
        post, _ = await _load(conn, viewer, post_id)
        replies = await post_store.replies(conn, post.id, after=cursor, limit=limit + 1)
        more = len(replies) > limit
        replies = replies[:limit]
        assert viewer.member is not None
        marked = await post_store.marked_helpful(
            conn, [post.id, *(r.id for r in replies)], viewer.member.id
        )
    return Thread(post, replies, frozenset(marked), replies[-1].id if more else None)


async def get(services: Services, viewer: Viewer, post_id: str) -> Post:
    async with services.db.read() as conn:
        post, _ = await _load(conn, viewer, post_id)
    return post


async def edit(
    services: Services,
    viewer: Viewer,
    post_id: str,
    *,
    title: str | None,
    body: str | None,
    tags: list[str] | None,
) -> Post:
    async with services.db.write() as conn:
        post, found = await _load(conn, viewer, post_id)
        return await edit_in(conn, services, viewer, found, post, title=title, body=body, tags=tags)


async def edit_in(
    conn: Connection, services: Services, viewer: Viewer, found: access.GroupAccess, post: Post,
    *, title: str | None, body: str | None, tags: list[str] | None, html: str | None = None,
) -> Post:  # fmt: skip
    """`edit` in the caller's transaction, with the access the caller decided (a partner's
    member's: `group_sharing.edit_for_partner`). `html`: the new body's HTML when it was
    rendered elsewhere (by their server; sanitized by the caller)."""
    if not access.may_edit(viewer, found, post):
        raise Forbidden("Only the author edits a post")
    is_reply = post.parent_id is not None
    if is_reply and (title is not None or tags is not None):
        raise ValidationFailed([{"field": "title", "message": "replies have only a body"}])
    new_title = post.title if title is None or is_reply else clean_title(title)
    new_body = post.body if body is None else clean_body(body)
    new_tags = post.tags if tags is None else normalize_tags(tags)
    if html is None:
        html = render_body(services, new_body) if new_body != post.body else post.body_html
    if (new_title, new_body, new_tags, html) == (post.title, post.body, post.tags, post.body_html):
        return post
    assert viewer.member is not None
    await post_store.update(
        conn, post, title=new_title, body=new_body, body_html=html, tags=new_tags,
        editor_id=viewer.member.id, now=services.clock(),
    )  # fmt: skip
    if new_tags != post.tags:
        # Expertise: the thread's evidence follows its tags.
        await expertise.on_retag(
            conn, services, post.id, new_tags, expertise.authored_evidence(services, post)
        )
    edited = await post_store.get(conn, post.id)
    assert edited is not None
    await services.events.publish(conn, PostWritten(edited, created=False))
    return edited


async def revisions(services: Services, viewer: Viewer, post_id: str) -> list[Revision]:
    async with services.db.read() as conn:
        post, _ = await _load(conn, viewer, post_id)
        return await post_store.revisions(conn, post.id)


async def delete(services: Services, viewer: Viewer, post_id: str) -> None:
    async with services.db.write() as conn:
        post, found = await _load(conn, viewer, post_id)
        await delete_in(conn, services, viewer, found, post)


async def delete_in(
    conn: Connection, services: Services, viewer: Viewer, found: access.GroupAccess, post: Post
) -> None:
    """`delete` in the caller's transaction, with the access the caller decided (a partner's
    member's, from their role: `group_sharing.delete_for_partner`)."""
    if not access.may_delete(viewer, found, post):
        raise Forbidden("Only the author, a mentor or an owner removes a post")
    await expertise.on_deleted(conn, services, post.id)  # Expertise: no longer evidence
    now = services.clock()
    await feed_entries.remember_tags(conn, post, now)  # Feeds: tag feeds' tombstones
    await post_store.delete(conn, post, now)
    assert viewer.member is not None
    await services.events.publish(conn, PostDeleted(post, viewer.member.id))


async def accept(services: Services, viewer: Viewer, answer_id: str) -> Post:
    """Accept an answer (replacing any earlier choice); returns the question."""
    async with services.db.write() as conn:
        answer, found = await _load(conn, viewer, answer_id)
        return await accept_in(conn, services, viewer, found, answer)


async def accept_in(
    conn: Connection, services: Services, viewer: Viewer, found: access.GroupAccess,
    answer: Post,
) -> Post:  # fmt: skip
    """`accept` in the caller's transaction, with the access the caller decided (a partner's
    member's, from their role: `group_sharing.accept_for_partner`)."""
    if answer.kind != "answer" or answer.parent_id is None:
        raise Conflict("Only an answer to a question can be accepted")
    question = await post_store.get(conn, answer.parent_id)
    assert question is not None
    if not access.may_accept(viewer, found, question):
        raise Forbidden("Only the asker, a mentor or an owner accepts an answer")
    if question.accepted_answer_id != answer.id:
        now = services.clock()
        await expertise.on_accept(conn, services, question, answer, now)  # Expertise
        await post_store.set_accepted(conn, question, answer.id, now)
        # Feeds: both answers' entries changed (title, content), after the question's.
        previous = [question.accepted_answer_id] if question.accepted_answer_id else []
        await feed_entries.mark_changed(conn, [answer.id, *previous], now)
        assert viewer.member is not None
        await services.events.publish(conn, AnswerAccepted(
            question, answer.id, question.accepted_answer_id, viewer.member.id
        ))  # fmt: skip
    updated = await post_store.get(conn, question.id)
    assert updated is not None
    return updated


async def unaccept(services: Services, viewer: Viewer, answer_id: str) -> Post:
    async with services.db.write() as conn:
        answer, found = await _load(conn, viewer, answer_id)
        question = await post_store.get(conn, answer.parent_id) if answer.parent_id else None
        if question is None or question.accepted_answer_id != answer.id:
            raise NotFound("This answer is not the accepted one")
        if not access.may_accept(viewer, found, question):
            raise Forbidden("Only the asker, a mentor or an owner changes the accepted answer")
        await expertise.on_unaccept(conn, services, answer.id)  # Expertise: undo the evidence
        now = services.clock()
        await post_store.set_accepted(conn, question, None, now)
        await feed_entries.mark_changed(conn, [answer.id], now)  # Feeds: its entry changed
        assert viewer.member is not None
        await services.events.publish(
            conn, AnswerAccepted(question, None, answer.id, viewer.member.id)
        )
        updated = await post_store.get(conn, question.id)
    assert updated is not None
    return updated


async def set_helpful(services: Services, viewer: Viewer, post_id: str, *, helpful: bool) -> Post:
    async with services.db.write() as conn:
        post, found = await _load(conn, viewer, post_id)
        return await set_helpful_in(conn, services, viewer, found, post, helpful=helpful)


async def set_helpful_in(
    conn: Connection, services: Services, viewer: Viewer, found: access.GroupAccess,
    post: Post, *, helpful: bool,
) -> Post:  # fmt: skip
    """`set_helpful` in the caller's transaction, with the access the caller decided (a
    partner's member's, from their role: `group_sharing.helpful_for_partner`)."""
    if not found.can_post:
        raise Forbidden("Join the group to mark posts helpful")
    assert viewer.member is not None
    if post.author_id == viewer.member.id:
        raise Conflict("You cannot mark your own post helpful")
    now = services.clock()
    if helpful:
        if await post_store.mark_helpful(conn, post, viewer.member.id, now):
            # Expertise: evidence for the author on the thread's tags.
            root = await post_store.get(conn, post.parent_id) if post.parent_id else post
            assert root is not None
            await expertise.on_helpful(conn, services, post, root, viewer.member.id, now)
            await services.events.publish(conn, HelpfulMarked(post, viewer.member.id, True))
    elif await post_store.unmark_helpful(conn, post, viewer.member.id):
        await expertise.on_unhelpful(conn, services, post, viewer.member.id)
        await services.events.publish(conn, HelpfulMarked(post, viewer.member.id, False))
    updated = await post_store.get(conn, post.id)
    assert updated is not None
    return updated


def render_body(services: Services, body: str) -> str:
    """A body's HTML, rendered once at write time."""
    return render_markdown(body, services.config.public_url)  # only our own images stay images
