"""Matching a program: gather the pool (mentors with room left, mentees not yet placed), the
mentors' evidence-based expertise on the mentees' goals, run the optimal ``matching.match``
and store the explained proposal for review; then the reviewer's edits (remove, swap, assign).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass

from feedserver.domain import access, matching, programs
from feedserver.domain.experts import explained
from feedserver.domain.ids import new_id
from feedserver.domain.matching import MenteeRequest, MentorOffer, TopicEvidence, Weights
from feedserver.domain.services import Services
from feedserver.errors import Conflict, NotFound, ValidationFailed
from feedserver.models import (
    MenteeEnrolment,
    MentorEnrolment,
    Program,
    ProgramProposal,
    TopicScore,
    Viewer,
)
from feedserver.store import members as member_store
from feedserver.store import mentoring as mentoring_store
from feedserver.store import programs as program_store
from feedserver.store.db import Connection

REVIEWER_PLACED = "placed by the reviewer; no evidence or declared topic matches the goals"

# (mentee id, mentor id or None when unmatched, score, reasons): one line of a proposal.
EntryRow = tuple[str, str | None, float, tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class RemovePair:
    """A reviewer's edit: leave this mentee without a mentor."""

    mentee: str  # username


@dataclass(frozen=True, slots=True)
class SwapMentors:
    """A reviewer's edit: the two mentees take each other's mentor."""

    mentees: tuple[str, str]  # usernames


@dataclass(frozen=True, slots=True)
class AssignMentor:
    """A reviewer's edit: pair the mentee with this mentor."""

    mentee: str  # username
    mentor: str  # username


ProposalEdit = RemovePair | SwapMentors | AssignMentor


@dataclass(frozen=True, slots=True)
class Pool:
    mentors: dict[str, MentorOffer]
    mentees: dict[str, MenteeRequest]
    expertise: dict[tuple[str, str], TopicEvidence]


def _offer(e: MentorEnrolment, busy: int) -> MentorOffer:
    return MentorOffer(e.member.id, frozenset(e.topics), max(0, e.capacity - busy), e.team or None)


def _request(
    e: MenteeEnrolment, program: Program, left: set[str], by_manager: dict[str, set[str]]
) -> MenteeRequest:
    avoid = set(e.avoid) | left  # a mentor the mentee asked to leave is never proposed again
    if program.exclude_reporting_line:
        # Same reporting line: the mentee's manager, members the mentee manages, and peers
        # under the same manager.
        avoid |= by_manager.get(e.member.id, set())
        if e.manager_id:
            avoid |= {e.manager_id} | by_manager.get(e.manager_id, set())
    return MenteeRequest(
        e.member.id, e.goals, frozenset(avoid), e.same_team, e.team or None, e.priority,
    )  # fmt: skip


def _summary(text: str, topic: str) -> str:
    # "4 accepted answers on #payroll in the last 90 days" reads better after
    # "expert on #payroll: " without the repeated topic.
    return text.replace(f" on #{topic}", "", 1) or text


async def _expertise(
    conn: Connection, services: Services, viewer: Viewer, program: Program,
    goals: set[str], mentor_ids: list[str] | None = None,
) -> dict[tuple[str, str], TopicEvidence]:  # fmt: skip
    """Each mentor's evidence-based score on each goal topic, explained by the expertise
    module (today's decayed score and its sentence)."""
    found = await program_store.mentor_scores(conn, program.id, sorted(goals), mentor_ids)
    entries = [
        TopicScore(member_id, "", "", topic, stored, count, None, "", "", "", "")
        for member_id, topic, stored, count, _ in found
    ]
    # A mentor who enrolled still counts on evidence, but a profile the viewer may not see
    # (a program owner who is not an admin, a private profile) is never described.
    hidden = {m for m, _, _, _, sharing in found if not access.may_see_profile(viewer, m, sharing)}
    result: dict[tuple[str, str], TopicEvidence] = {}
    for expert in await explained(conn, services, viewer, entries, services.clock()):
        if expert.score > 0:
            topic = expert.entry.topic
            summary = _summary(expert.explanation.text if expert.explanation else "", topic)
            if expert.entry.member_id in hidden:
                summary = "evidence on a profile not shared with you"
            result[(expert.entry.member_id, topic)] = TopicEvidence(expert.score, summary)
    return result


async def _people(
    conn: Connection, program: Program, only: set[str] | None = None
) -> tuple[dict[str, MentorOffer], dict[str, MenteeRequest]]:
    """Mentors with what room they have left, mentees not yet placed (`only`: these ids)."""
    mentors = await program_store.mentors(conn, program.id)
    mentees = await program_store.mentees(conn, program.id)
    busy, placed = await mentoring_store.pool_state(conn, program.id)
    left = await mentoring_store.left_mentors(conn, program.id)
    by_manager: dict[str, set[str]] = {}
    for m in mentors:
        if m.manager_id:
            by_manager.setdefault(m.manager_id, set()).add(m.member.id)
    offers = {m.member.id: _offer(m, busy.get(m.member.id, 0)) for m in mentors}
    requests = {
        e.member.id: _request(e, program, left.get(e.member.id, set()), by_manager)
        for e in mentees
        if e.member.id not in placed and (only is None or e.member.id in only)
    }
    return offers, requests


async def pool(
    conn: Connection, services: Services, viewer: Viewer, program: Program,
    only: set[str] | None = None,
) -> Pool:  # fmt: skip
    """The matching's inputs. `only` (member ids) narrows the expertise lookup for edits."""
    offers, requests = await _people(conn, program, only)
    goals = {g for r in requests.values() for g in r.goals}
    mentor_ids = None if only is None else sorted(only & offers.keys())
    expertise = await _expertise(conn, services, viewer, program, goals, mentor_ids)
    return Pool(offers, requests, expertise)


# A large program takes a second or more of CPU to match. It is read, then matched in a
# thread (the event loop serves other requests meanwhile), then stored in a short write;
# should an enrolment change in between, the matching runs again on the new pool.
MATCH_ATTEMPTS = 3


async def propose(services: Services, viewer: Viewer, program_id: str) -> ProgramProposal:
    """Match every mentee in the pool at once (optimal, never greedy) and store the proposal
    as a draft for review; an earlier draft is superseded."""
    for _ in range(MATCH_ATTEMPTS):
        async with services.db.read() as conn:
            program = await programs.load_managed(conn, viewer, program_id)
            found = await pool(conn, services, viewer, program)
        result = await asyncio.to_thread(
            matching.match, found.mentors.values(), found.mentees.values(), found.expertise,
            programs.weights_of(program),
        )  # fmt: skip
        entries: list[EntryRow] = [
            (p.mentee_id, p.mentor_id, p.score, p.reasons) for p in result.pairs
        ]
        entries += [(u.mentee_id, None, 0.0, (u.reason,)) for u in result.unmatched]
        async with services.db.write() as conn:
            now_program = await programs.load_managed(conn, viewer, program_id)
            if now_program != program or await _people(conn, program) != (
                found.mentors,
                found.mentees,
            ):
                continue  # the pool changed while it was matched: match the new one
            proposal_id = new_id()
            assert viewer.member is not None
            await mentoring_store.insert_proposal(
                conn, id=proposal_id, program_id=program.id, created_by=viewer.member.id,
                now=services.clock(), entries=entries,
            )  # fmt: skip
            stored = await mentoring_store.proposal(conn, program.id, proposal_id)
        assert stored is not None
        return stored
    raise Conflict("The program's enrolments kept changing while it was matched; try again")


async def get(
    services: Services, viewer: Viewer, program_id: str, proposal_id: str
) -> ProgramProposal:
    async with services.db.read() as conn:
        program = await programs.load_managed(conn, viewer, program_id)
        found = await mentoring_store.proposal(conn, program.id, proposal_id)
    if found is None:
        raise NotFound("No such proposal")
    return found


async def _member_id(conn: Connection, username: str, field: str) -> str:
    member = await member_store.by_username(conn, username)
    if member is None:
        raise ValidationFailed([{"field": field, "message": "no such member"}])
    return member.id


def _scored(
    found: Pool, mentor_id: str, mentee_id: str, weights: Weights
) -> tuple[float, tuple[str, ...]]:
    """Score and reasons of a reviewer-made pair; an excluded pair is refused."""
    mentor, mentee = found.mentors.get(mentor_id), found.mentees.get(mentee_id)
    if mentor is None:
        raise ValidationFailed([{"field": "mentor", "message": "not a mentor in this program"}])
    if mentee is None:
        raise Conflict("This mentee is not waiting for a mentor any more")
    barred = matching.exclusion(mentor, mentee, weights)
    if barred is not None:
        raise Conflict(f"This pair is excluded ({barred})")
    pair = matching.score_pair(mentor, mentee, found.expertise, weights)
    return (pair.score, pair.reasons) if pair else (0.0, (REVIEWER_PLACED,))


async def edit(
    services: Services, viewer: Viewer, program_id: str, proposal_id: str, change: ProposalEdit
) -> ProgramProposal:
    """Reviewer edits on a draft: remove a pair, swap two mentees' mentors, or assign a mentee
    to a mentor. Exclusions and capacities hold after every edit."""
    async with services.db.write() as conn:
        program = await programs.load_managed(conn, viewer, program_id)
        current = await mentoring_store.proposal(conn, program.id, proposal_id)
        if current is None:
            raise NotFound("No such proposal")
        if current.status != "draft":
            raise Conflict(f"This proposal is {current.status}; only drafts are edited")
        mentor_of = {e.mentee.id: e.mentor.id if e.mentor else None for e in current.entries}
        weights = programs.weights_of(program)
        changes: list[EntryRow]
        if isinstance(change, RemovePair):
            mentee = await _member_id(conn, change.mentee, "mentee")
            if mentor_of.get(mentee) is None:
                raise Conflict("This mentee has no mentor in the proposal")
            changes = [(mentee, None, 0.0, ("removed by the reviewer",))]
        elif isinstance(change, SwapMentors):
            a, b = [await _member_id(conn, u, f"mentees/{i}") for i, u in enumerate(change.mentees)]
            mentor_a, mentor_b = mentor_of.get(a), mentor_of.get(b)
            if a == b or mentor_a is None or mentor_b is None:
                raise Conflict("Swap two different mentees who both have a mentor")
            found = await pool(conn, services, viewer, program, {a, b, mentor_a, mentor_b})
            changes = [
                (a, mentor_b, *_scored(found, mentor_b, a, weights)),
                (b, mentor_a, *_scored(found, mentor_a, b, weights)),
            ]
        else:  # AssignMentor
            mentee = await _member_id(conn, change.mentee, "mentee")
            mentor = await _member_id(conn, change.mentor, "mentor")
            if mentee not in mentor_of:
                raise Conflict("This mentee is not in the proposal")
            found = await pool(conn, services, viewer, program, {mentee, mentor})
            load = Counter(m for e, m in mentor_of.items() if m is not None and e != mentee)
            if mentor in found.mentors and load[mentor] >= found.mentors[mentor].capacity:
                raise Conflict("This mentor has no capacity left")
            changes = [(mentee, mentor, *_scored(found, mentor, mentee, weights))]
        for mentee_id, mentor_id, score, reasons in changes:
            await mentoring_store.set_entry(conn, current.id, mentee_id, mentor_id, score, reasons)
        updated = await mentoring_store.proposal(conn, program.id, current.id)
    assert updated is not None
    return updated
