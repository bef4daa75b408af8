"""Question routing: suggest the best experts for a question and ask one of them.

A suggestion is someone who knows the question's tags, whose profile the viewer may see, who
may read the question's group (so asking never leaks it), who is neither the asker, nor the
viewer (nobody is sent to themself), nor someone who already answered, and who has not reached
their own weekly cap of routed questions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from feedserver.domain import access
from feedserver.domain.events import QuestionRouted
from feedserver.domain.expertise import current_score
from feedserver.domain.experts import explained
from feedserver.domain.ids import is_id
from feedserver.domain.services import Services
from feedserver.errors import Conflict, Forbidden, NotFound
from feedserver.models import Ask, Expert, Group, Member, Page, Post, TopicScore, Viewer
from feedserver.store import asks as ask_store
from feedserver.store import directory as directory_store
from feedserver.store import groups as group_store
from feedserver.store import members as member_store
from feedserver.store import posts as post_store
from feedserver.store import profiles as profile_store
from feedserver.store.db import Connection

CANDIDATES_PER_TAG = 50  # read by index from the top of each tag; plenty for a short list
WEEK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Suggestion:
    username: str
    display_name: str
    score: float  # sum of today's scores over the question's tags
    topics: list[Expert]  # per tag, explained as the viewer may read it
    already_asked: bool


async def _question(
    conn: Connection, viewer: Viewer, post_id: str
) -> tuple[Post, access.GroupAccess]:
    post = await post_store.get(conn, post_id) if is_id(post_id) else None
    found = await access.readable_post_group(conn, viewer, post)
    assert post is not None
    if post.kind != "question":
        raise Conflict("Only questions are routed to experts")
    return post, found


async def _replies(conn: Connection, post_id: str) -> list[Post]:
    found: list[Post] = []
    after: str | None = None
    while batch := await post_store.replies(conn, post_id, after=after, limit=200):
        found += batch
        after = batch[-1].id
        if len(batch) < 200:
            break
    return found


async def _may_read(conn: Connection, member: Member, group: Group) -> bool:
    membership = await group_store.membership(conn, group.id, member.id)
    return access.decide(Viewer(member), group, membership).can_read


async def _under_cap(conn: Connection, services: Services, member_id: str) -> bool:
    _, cap = await profile_store.sharing_and_cap(
        conn, member_id, services.config.expertise_default_ask_cap
    )
    return await ask_store.count_since(conn, member_id, services.clock() - WEEK) < cap


async def suggest(
    services: Services, viewer: Viewer, post_id: str, *, limit: int
) -> list[Suggestion]:
    now = services.clock()
    async with services.db.read() as conn:
        question, found = await _question(conn, viewer, post_id)
        scope = access.profile_scope(viewer)
        per_member: dict[str, list[TopicScore]] = defaultdict(list)
        for tag in question.tags:
            for entry in await directory_store.ranked(
                conn, scope, tag, words=[], after=None, limit=CANDIDATES_PER_TAG,
                exclude=question.author_id,
            ):  # fmt: skip
                per_member[entry.member_id].append(entry)
        total = {
            member_id: sum(current_score(services.config, e.stored_score, now) for e in entries)
            for member_id, entries in per_member.items()
        }
        already = await ask_store.asked(conn, question.id)
        assert viewer.member is not None  # _question let only members through
        # Asking someone who already answered, or oneself, would help nobody.
        answered = {r.author_id for r in await _replies(conn, question.id)}
        skip = answered | {viewer.member.id}
        chosen: list[Suggestion] = []
        for member_id in sorted(total, key=lambda m: (-total[m], m)):
            if len(chosen) >= limit:
                break
            if member_id in skip:
                continue
            member = await member_store.by_id(conn, member_id)
            if member is None or not await _may_read(conn, member, found.group):
                continue
            if member_id not in already and not await _under_cap(conn, services, member_id):
                continue
            topics = await explained(conn, services, viewer, per_member[member_id], now)
            chosen.append(
                Suggestion(member.username, member.display_name, round(total[member_id], 3),
                           topics, member_id in already)
            )  # fmt: skip
    return chosen


async def ask(services: Services, viewer: Viewer, post_id: str, username: str) -> tuple[Ask, bool]:
    """Route a question to one expert; (the ask, whether it is new)."""
    now = services.clock()
    async with services.db.write() as conn:
        question, found = await _question(conn, viewer, post_id)
        if not found.can_post:
            raise Forbidden("Join the group to route its questions")
        expert = await member_store.by_username(conn, username)
        sharing, _ = (
            await profile_store.sharing_and_cap(
                conn, expert.id, services.config.expertise_default_ask_cap
            )
            if expert
            else ("private", 0)
        )
        if expert is None or not access.may_see_profile(viewer, expert.id, sharing):
            raise NotFound("No such member")
        if expert.id == question.author_id:
            raise Conflict("The asker cannot be routed their own question")
        if viewer.member is not None and expert.id == viewer.member.id:
            raise Conflict("You cannot route a question to yourself")
        if not await _may_read(conn, expert, found.group):
            raise Conflict(f"{username} cannot read this group; invite them first")
        if not await _under_cap(conn, services, expert.id) and expert.id not in (
            await ask_store.asked(conn, question.id)
        ):
            raise Conflict(f"{username} has reached their weekly cap of routed questions")
        assert viewer.member is not None
        created = await ask_store.insert(
            conn, post_id=question.id, expert_id=expert.id, asker_id=viewer.member.id, now=now
        )
        if created:
            await services.events.publish(
                conn, QuestionRouted(question, expert.id, viewer.member.id)
            )
    return Ask(question, viewer.member.username, now), created


async def my_asks(
    services: Services, viewer: Viewer, *, cursor: str | None, limit: int
) -> Page[Ask]:
    access.require_member(viewer)
    assert viewer.member is not None
    before = None
    if cursor:
        stamp, _, post_id = cursor.partition("|")
        before = (stamp, post_id)
    async with services.db.read() as conn:
        found = await ask_store.for_expert(
            conn, viewer.member.id, access.read_scope(viewer), before=before, limit=limit + 1
        )
    more = len(found) > limit
    items = found[:limit]
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = f"{last.asked_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ')}|{last.post.id}"
    return Page(items, next_cursor)
