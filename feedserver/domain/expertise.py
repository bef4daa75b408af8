"""Expertise evidence: what counts, how much, how it decays, and the hooks that record it in
the same transaction as the action that caused it.

Decay. A piece of evidence of weight w made at time t is worth w * 2^(-(now - t) / H) today
(H = half-life). We store v = w * 2^((t - EPOCH) / H) instead: its worth at a fixed reference
epoch. Today's score of a (member, topic) is then sum(v) * 2^(-(now - EPOCH) / H) -- one factor
shared by every row, so sorting by the stored sum is sorting by today's score. The directory
reads an index on (topic, stored score DESC) and only multiplies the rows it returns; nothing
is ever recomputed per query and no periodic job is needed. Doubles hold 2^1023, i.e. the
stored values stay finite for ~500 years at H = 180 days.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import lru_cache

from feedserver.config import Config
from feedserver.domain.events import EvidenceChanged
from feedserver.domain.services import Services
from feedserver.models import Evidence, Post
from feedserver.store import expertise as store
from feedserver.store.db import Connection

EPOCH = datetime(2025, 1, 1, tzinfo=UTC)

# The kinds of evidence and the words an explanation uses for them. Adding a kind (e.g.
# "mentoring") is one line here and one `kind=weight` pair in Config.expertise_weights.
KIND_LABELS: dict[str, tuple[str, str]] = {
    "accepted_answer": ("accepted answer", "accepted answers"),
    "helpful": ("helpful mark", "helpful marks"),
    "story": ("story", "stories"),
    "tip": ("tip", "tips"),
    "page_revision": ("FAQ page", "FAQ pages"),
    "endorsement": ("endorsement", "endorsements"),
    "mentoring": ("mentoring", "mentorings"),
}
# Top-level post kinds that are evidence by themselves.
AUTHORED_KINDS = ("story", "tip")


@lru_cache(maxsize=8)
def _parse_weights(text: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for pair in text.split():
        kind, sep, number = pair.partition("=")
        if not sep or not kind:
            raise ValueError(f"expertise_weights: expected kind=weight, got {pair!r}")
        found[kind] = float(number)
    return found


def weights(config: Config) -> dict[str, float]:
    return _parse_weights(config.expertise_weights)


def _growth(config: Config, moment: datetime) -> float:
    days = (moment - EPOCH).total_seconds() / 86400
    return float(2.0 ** (days / config.expertise_half_life_days))  # typeshed: pow is Any


def stored_value(config: Config, kind: str, moment: datetime) -> float:
    return weights(config).get(kind, 0.0) * _growth(config, moment)


def current_score(config: Config, stored: float, now: datetime) -> float:
    return stored / _growth(config, now)


def _event(
    services: Services, *, member_id: str, topic: str, kind: str, source_id: str, root_id: str,
    group_id: str | None, actor_id: str = "", at: datetime,
) -> Evidence:  # fmt: skip
    return Evidence(
        member_id=member_id, topic=topic, kind=kind, source_id=source_id, root_id=root_id,
        group_id=group_id, actor_id=actor_id,
        value=stored_value(services.config, kind, at), created_at=at,
    )  # fmt: skip


# --- hooks called by domain/posts.py, domain/pages.py and domain/profiles.py -----------------


async def on_post_created(
    conn: Connection, services: Services, *, post_id: str, kind: str, author_id: str,
    group_id: str, tags: tuple[str, ...], at: datetime,
) -> None:  # fmt: skip
    if kind not in AUTHORED_KINDS:
        return
    await _scores_changed(conn, services, await _record(conn, [
        _event(services, member_id=author_id, topic=tag, kind=kind, source_id=post_id,
               root_id=post_id, group_id=group_id, at=at)
        for tag in tags
    ]))  # fmt: skip


async def on_accept(
    conn: Connection, services: Services, question: Post, answer: Post, at: datetime
) -> None:
    """The answer's author earns evidence on the question's tags (replacing an earlier pick).
    Accepting your own answer to your own question earns nothing, and a partner's member
    earns nothing here: what they did counts on their own server's profile of them."""
    changed: set[str] = set()
    if question.accepted_answer_id:
        changed |= _members(await store.remove(
            conn, kind="accepted_answer", source_id=question.accepted_answer_id
        ))  # fmt: skip
    if answer.author_id != question.author_id and not answer.written_elsewhere:
        changed |= await _record(conn, [
            _event(services, member_id=answer.author_id, topic=tag, kind="accepted_answer",
                   source_id=answer.id, root_id=question.id, group_id=question.group_id, at=at)
            for tag in question.tags
        ])  # fmt: skip
    await _scores_changed(conn, services, changed)


async def on_partner_accept(
    conn: Connection, services: Services, *, member_id: str | None, question_id: str,
    answer_id: str | None, previous_id: str | None, tags: tuple[str, ...], at: datetime,
) -> None:  # fmt: skip
    """An answer accepted in a partner's group, as its host told us: `member_id`, our member
    who wrote it, earns the evidence here, on their own profile, replacing the previous pick's.
    It belongs to no group of ours, so like mentoring it counts toward the score and names
    its topic only to admins (`access.groupless_kinds`); the ids are the objects' URLs."""
    changed: set[str] = set()
    if previous_id and previous_id != answer_id:
        changed |= _members(await store.remove(
            conn, kind="accepted_answer", source_id=previous_id
        ))  # fmt: skip
    if answer_id and member_id:
        changed |= await _record(conn, [
            _event(services, member_id=member_id, topic=tag, kind="accepted_answer",
                   source_id=answer_id, root_id=question_id, group_id=None, at=at)
            for tag in tags
        ])  # fmt: skip
    await _scores_changed(conn, services, changed)


async def on_partner_helpful(
    conn: Connection, services: Services, *, member_id: str, post_id: str, root_id: str,
    mark_id: str, helpful: bool, tags: tuple[str, ...], at: datetime,
) -> None:  # fmt: skip
    """A helpful mark on a post our member wrote in a partner's group, as its host relayed
    it (`mark_id` names the mark, not who made it), or the mark taken back: evidence here,
    on their own profile, with no group of ours (like on_partner_accept)."""
    if not helpful:
        removed = await store.remove(conn, kind="helpful", source_id=post_id, actor_id=mark_id)
        await _scores_changed(conn, services, _members(removed))
        return
    await _scores_changed(conn, services, await _record(conn, [
        _event(services, member_id=member_id, topic=tag, kind="helpful", source_id=post_id,
               root_id=root_id, group_id=None, actor_id=mark_id, at=at)
        for tag in tags
    ]))  # fmt: skip


async def on_unaccept(conn: Connection, services: Services, answer_id: str) -> None:
    removed = await store.remove(conn, kind="accepted_answer", source_id=answer_id)
    await _scores_changed(conn, services, _members(removed))


async def on_helpful(
    conn: Connection, services: Services, post: Post, root: Post, marker_id: str, at: datetime
) -> None:
    """A helpful mark is evidence for the post's author on the thread's tags (ours only)."""
    if post.written_elsewhere:
        return
    await _scores_changed(conn, services, await _record(conn, [
        _event(services, member_id=post.author_id, topic=tag, kind="helpful", source_id=post.id,
               root_id=root.id, group_id=post.group_id, actor_id=marker_id, at=at)
        for tag in root.tags
    ]))  # fmt: skip


async def on_unhelpful(conn: Connection, services: Services, post: Post, marker_id: str) -> None:
    removed = await store.remove(conn, kind="helpful", source_id=post.id, actor_id=marker_id)
    await _scores_changed(conn, services, _members(removed))


async def on_deleted(conn: Connection, services: Services, object_id: str) -> None:
    """A deleted post (with its thread) or page is no longer evidence of anything."""
    await _scores_changed(conn, services, _members(await store.remove_for_object(conn, object_id)))


async def on_retag(
    conn: Connection, services: Services, root_id: str, tags: tuple[str, ...],
    authored: Evidence | None = None,
) -> None:  # fmt: skip
    """A thread's or page's tags changed: its evidence moves to the new topics, keeping its
    kind, author and time. `authored` (a story or tip by itself) is added if it was missing,
    e.g. when the post had no tags before."""
    old = await store.remove_for_root(conn, root_id)
    seen = {(e.kind, e.source_id, e.member_id, e.actor_id): e for e in old}
    if authored is not None:
        seen.setdefault((authored.kind, authored.source_id, authored.member_id, ""), authored)
    added = await _record(conn, [
        Evidence(e.member_id, tag, e.kind, e.source_id, e.root_id, e.group_id, e.actor_id,
                 e.value, e.created_at)
        for e in seen.values() for tag in tags
    ])  # fmt: skip
    await _scores_changed(conn, services, _members(old) | added)


def authored_evidence(services: Services, post: Post) -> Evidence | None:
    """The evidence a story or tip is by itself (topic filled in by the caller)."""
    if post.kind not in AUTHORED_KINDS or post.parent_id is not None:
        return None
    return _event(services, member_id=post.author_id, topic="", kind=post.kind,
                  source_id=post.id, root_id=post.id, group_id=post.group_id,
                  at=post.created_at)  # fmt: skip


async def on_page_revision(
    conn: Connection, services: Services, *, page_id: str, group_id: str, editor_id: str,
    tags: tuple[str, ...], at: datetime,
) -> None:  # fmt: skip
    """One piece of evidence per (page, editor), dated by their latest revision: many small
    edits do not outweigh one good page."""
    removed = await store.remove(conn, kind="page_revision", source_id=page_id, member_id=editor_id)
    added = await _record(conn, [
        _event(services, member_id=editor_id, topic=tag, kind="page_revision", source_id=page_id,
               root_id=page_id, group_id=group_id, at=at)
        for tag in tags
    ])  # fmt: skip
    await _scores_changed(conn, services, _members(removed) | added)


async def on_endorse(
    conn: Connection, services: Services, *, member_id: str, topic: str, endorser_id: str,
    at: datetime,
) -> None:  # fmt: skip
    await _scores_changed(conn, services, await _record(conn, [
        _event(services, member_id=member_id, topic=topic, kind="endorsement",
               source_id=endorser_id, root_id=member_id, group_id=None, actor_id=endorser_id,
               at=at)
    ]))  # fmt: skip


async def on_unendorse(
    conn: Connection, services: Services, *, member_id: str, topic: str, endorser_id: str
) -> None:
    removed = await store.remove(
        conn, kind="endorsement", source_id=endorser_id, member_id=member_id, topic=topic
    )
    await _scores_changed(conn, services, _members(removed))


# Mentoring: called by domain/mentoring_publish.py in
# the transaction that closes a pairing as completed. One piece of evidence per goal topic of
# the mentee, keyed by the pairing, so closing twice cannot count twice. It has no group: the
# cohort group's readers include the mentor's other mentees, and a goal is the mentee's own.
# So it counts but names no topic by itself (access.groupless_kinds).
async def on_mentoring_done(
    conn: Connection, services: Services, *, mentor_id: str, mentee_id: str, pairing_id: str,
    topics: tuple[str, ...], at: datetime,
) -> None:  # fmt: skip
    await _scores_changed(conn, services, await _record(conn, [
        _event(services, member_id=mentor_id, topic=topic, kind="mentoring",
               source_id=pairing_id, root_id=pairing_id, group_id=None, actor_id=mentee_id,
               at=at)
        for topic in topics
    ]))  # fmt: skip


async def on_group_visibility_changed(conn: Connection, services: Services, group_id: str) -> None:
    """Called by domain/groups.py in the transaction that changes a group's visibility. Which
    topics its evidence may name changes with it: local readers see that at once (every read
    asks the policy), but partners hold a copy of each shared profile. So the shared profiles
    of the members with evidence in the group are pushed again: a topic learned only in a
    group that is now private leaves the partners, one from a group now open to the whole
    organization may join them. Their scores did not change, what may be named did."""
    await _scores_changed(
        conn, services, set(await store.shared_members_with_evidence_in(conn, group_id))
    )


async def _record(conn: Connection, events: list[Evidence]) -> set[str]:
    """Record evidence; returns the members it changed (none if all of it was there)."""
    return _members(events) if await store.record(conn, events) else set()


def _members(evidence: list[Evidence]) -> set[str]:
    return {e.member_id for e in evidence}


async def _scores_changed(conn: Connection, services: Services, member_ids: set[str]) -> None:
    """Say so when members' evidence changed, up or down: a withdrawn answer, mark,
    endorsement or deleted post lowers what others see too (partners hold copies of shared
    profiles, for one)."""
    if member_ids:
        await services.events.publish(conn, EvidenceChanged(frozenset(member_ids)))


# --- calibration -----------------------------------------------------------------------------


def calibration(config: Config) -> str:
    return json.dumps(
        {"epoch": EPOCH.isoformat(), "half_life_days": config.expertise_half_life_days,
         "weights": weights(config)},
        sort_keys=True,
    )  # fmt: skip


async def calibrate(services: Services) -> bool:
    """At start-up: if the half-life or the weights changed since the stored values were
    computed, recompute them once. True when a rescale happened."""
    wanted = calibration(services.config)
    async with services.db.write() as conn:
        if await store.meta(conn, "calibration") == wanted:
            return False
        await store.revalue(conn, lambda kind, at: stored_value(services.config, kind, at))
        await store.set_meta(conn, "calibration", wanted)
    return True
