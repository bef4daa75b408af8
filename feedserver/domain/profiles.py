"""Expertise profiles (self-declared part, sharing, routing cap) and endorsements."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from feedserver.domain import access, expertise
from feedserver.domain.events import ProfileSaved
from feedserver.domain.experts import explained, nameable, topic_or_error
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text, normalize_tag
from feedserver.errors import Conflict, Forbidden, NotFound, ValidationFailed
from feedserver.models import (
    DeclaredTopic,
    Expert,
    Level,
    Member,
    Profile,
    ProfileDeclaration,
    TopicScore,
    Viewer,
)
from feedserver.store import directory as directory_store
from feedserver.store import members as member_store
from feedserver.store import profiles as profile_store
from feedserver.store.db import Connection

MAX_TOPICS = 30
SHOWN_TOPICS = 30


@dataclass(frozen=True, slots=True)
class ProfileView:
    profile: Profile
    topics: list[Expert]  # evidenced topics (best first), then declared-only ones
    endorsements: dict[str, tuple[int, bool]]  # topic -> (count, endorsed by the viewer)
    own: bool  # the viewer may edit it (owner or admin)


async def _visible_member(
    conn: Connection, services: Services, viewer: Viewer, username: str
) -> Member:
    access.require_member(viewer)
    member = await member_store.by_username(conn, username)
    if member is None:
        raise NotFound("No such profile")
    sharing, _ = await profile_store.sharing_and_cap(
        conn, member.id, services.config.expertise_default_ask_cap
    )
    if not access.may_see_profile(viewer, member.id, sharing):
        raise NotFound("No such profile")  # a private profile does not exist for others
    return member


async def get(
    services: Services, viewer: Viewer, username: str, *, named: str | None = None
) -> ProfileView:
    """`named`: a topic the viewer named themself (the directory's "who knows" link). It is
    shown even when none of its evidence is readable to them, like the directory shows it:
    naming it reveals nothing the viewer did not type, and the evidence is only counted."""
    named = normalize_tag(named) if named else None
    async with services.db.read() as conn:
        member = await _visible_member(conn, services, viewer, username)
        profile = await profile_store.get(conn, member, services.config.expertise_default_ask_cap)
        levels = {t.topic: t.level for t in profile.topics}
        entries = [
            _entry(member, topic, score, count, levels.get(topic), profile)
            for topic, score, count in await directory_store.member_topics(
                conn, member.id, SHOWN_TOPICS
            )
        ]
        evidenced = {e.topic for e in entries}
        entries += [
            _entry(member, t.topic, 0.0, 0, t.level, profile)
            for t in profile.topics
            if t.topic not in evidenced
        ]
        topics = [
            t
            for t in await explained(conn, services, viewer, entries, services.clock())
            if nameable(t) or t.entry.topic == named
        ]
        assert viewer.member is not None
        endorsements = await profile_store.endorsement_counts(conn, member.id, viewer.member.id)
    return ProfileView(profile, topics, endorsements, access.may_edit_profile(viewer, member.id))


def _entry(
    member: Member, topic: str, score: float, count: int, level: Level | None, profile: Profile
) -> TopicScore:
    return TopicScore(
        member.id, member.username, member.display_name, topic, score, count, level,
        profile.headline, profile.field, profile.team, profile.location,
    )  # fmt: skip


def _declared(raw: Sequence[tuple[str, Level]]) -> tuple[DeclaredTopic, ...]:
    topics: dict[str, DeclaredTopic] = {}
    for index, (topic, level) in enumerate(raw):
        tag = topic_or_error(topic, f"topics/{index}/topic")
        topics[tag] = DeclaredTopic(tag, level)
    if len(topics) > MAX_TOPICS:
        raise ValidationFailed([{"field": "topics", "message": f"at most {MAX_TOPICS} topics"}])
    return tuple(sorted(topics.values(), key=lambda t: t.topic))


async def put(
    services: Services, viewer: Viewer, username: str, declared: ProfileDeclaration
) -> ProfileView:
    """Replace the profile; omitted fields take their defaults."""
    topics = _declared(declared.topics)
    cap = declared.weekly_ask_cap
    if cap is None:
        cap = services.config.expertise_default_ask_cap
    async with services.db.write() as conn:
        member = await _visible_member(conn, services, viewer, username)
        if not access.may_edit_profile(viewer, member.id):
            raise Forbidden("Only the member edits their profile")
        profile = Profile(
            member=member,
            headline=" ".join(clean_text(declared.headline).split()),
            field=" ".join(clean_text(declared.field).split()),
            team=" ".join(clean_text(declared.team).split()),
            location=" ".join(clean_text(declared.location).split()),
            sharing=declared.sharing,
            weekly_ask_cap=cap,
            topics=topics,
        )
        was, _ = await profile_store.sharing_and_cap(conn, member.id, profile.weekly_ask_cap)
        await profile_store.put(conn, profile, services.clock())
        await services.events.publish(conn, ProfileSaved(profile, was))
    return await get(services, viewer, username)


async def endorse(
    services: Services, viewer: Viewer, username: str, topic: str, *, add: bool
) -> bool:
    """Endorse (or withdraw); True when something changed. Never for yourself."""
    tag = topic_or_error(topic)
    now = services.clock()
    async with services.db.write() as conn:
        member = await _visible_member(conn, services, viewer, username)
        assert viewer.member is not None
        if member.id == viewer.member.id:
            raise Conflict("You cannot endorse yourself")
        if add:
            changed = await profile_store.add_endorsement(
                conn, member.id, tag, viewer.member.id, now
            )
            if changed:
                await expertise.on_endorse(
                    conn, services, member_id=member.id, topic=tag, endorser_id=viewer.member.id,
                    at=now,
                )  # fmt: skip
            return changed
        if not await profile_store.delete_endorsement(conn, member.id, tag, viewer.member.id):
            raise NotFound("You had not endorsed this member on this topic")
        await expertise.on_unendorse(
            conn, services, member_id=member.id, topic=tag, endorser_id=viewer.member.id
        )
        return True
