"""Seeing a program from each side: a member's own enrolment and pairings, one pairing, the
mentor's oversight of their cohorts, and the managers' report. Counts come from the posts in
the cohort groups, never from a counter that could drift."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from feedserver.domain import access, programs
from feedserver.domain.mentoring_publish import visible_pairing
from feedserver.domain.services import Services
from feedserver.models import (
    CohortOverview,
    MenteeEnrolment,
    MentorEnrolment,
    PairActivity,
    Pairing,
    Program,
    Viewer,
)
from feedserver.store import mentoring as mentoring_store
from feedserver.store import mentoring_activity as activity_store
from feedserver.store import programs as program_store

OVERSIGHT_LIMIT = 20  # items per list per cohort


@dataclass(frozen=True, slots=True)
class Mine:
    program: Program
    as_mentor: MentorEnrolment | None
    as_mentee: MenteeEnrolment | None
    pairings: list[Pairing]  # only pairings the viewer is in, on either side


@dataclass(frozen=True, slots=True)
class Report:
    program: Program
    mentors: int
    mentees: int
    matched: int  # mentees placed with a mentor (active or finished pairing)
    unmatched: int
    match_rate: float
    average_score: float
    active: int
    completed: int
    pairs: list[PairActivity]


async def mine(services: Services, viewer: Viewer, program_id: str) -> Mine:
    async with services.db.read() as conn:
        program = await programs.load(conn, viewer, program_id)
        assert viewer.member is not None
        me = viewer.member.id
        mentor = await program_store.mentors(conn, program.id, me)
        mentee = await program_store.mentees(conn, program.id, me)
        found = await mentoring_store.pairings(conn, program.id, member_id=me)
    return Mine(program, mentor[0] if mentor else None, mentee[0] if mentee else None, found)


async def pairing(services: Services, viewer: Viewer, program_id: str, pairing_id: str) -> Pairing:
    async with services.db.read() as conn:
        program = await programs.load(conn, viewer, program_id)
        found, _ = await visible_pairing(conn, viewer, program, pairing_id)
    return found


async def report(services: Services, viewer: Viewer, program_id: str) -> Report:
    async with services.db.read() as conn:
        program = await programs.load_managed(conn, viewer, program_id)
        mentors, mentees = await program_store.counts(conn, program.id)
        pairs = await activity_store.pair_activity(conn, program.id)
    placed = {a.pairing.mentee.id: a.pairing for a in pairs if a.pairing.status != "rematch"}
    matched = len(placed)
    scores = [p.score for p in placed.values()]
    return Report(
        program=program, mentors=mentors, mentees=mentees, matched=matched,
        unmatched=max(0, mentees - matched),
        match_rate=round(matched / mentees, 4) if mentees else 0.0,
        average_score=round(sum(scores) / len(scores), 4) if scores else 0.0,
        active=sum(1 for a in pairs if a.pairing.status == "active"),
        completed=sum(1 for a in pairs if a.pairing.status == "completed"),
        pairs=pairs,
    )  # fmt: skip


async def oversight(
    services: Services, viewer: Viewer, *, silent_days: int
) -> list[CohortOverview]:
    """Across the viewer's cohorts: unanswered questions, members silent for `silent_days`,
    and recent activity. Only cohorts the viewer still oversees (access.OVERSEEING_ROLES)."""
    access.require_member(viewer)
    assert viewer.member is not None
    since = services.clock() - timedelta(days=silent_days)
    result = []
    async with services.db.read() as conn:
        cohorts = await activity_store.overseen_cohorts(
            conn, viewer.member.id, access.OVERSEEING_ROLES
        )
        programs_by_id: dict[str, Program] = {}
        for program_id, group in cohorts:
            if program_id not in programs_by_id:
                found = await program_store.get(conn, program_id)
                assert found is not None
                programs_by_id[program_id] = found
            active = await mentoring_store.pairings(
                conn, program_id, member_id=viewer.member.id, status="active"
            )
            result.append(
                CohortOverview(
                    program=programs_by_id[program_id],
                    group=group,
                    mentees=tuple(
                        p.mentee
                        for p in active
                        if p.group_id == group.id and p.mentor.id == viewer.member.id
                    ),
                    unanswered=tuple(
                        await activity_store.unanswered(conn, group.id, OVERSIGHT_LIMIT)
                    ),
                    silent=tuple(
                        await activity_store.silent_members(conn, group.id, since, OVERSIGHT_LIMIT)
                    ),
                    recent=tuple(await activity_store.recent(conn, group.id, OVERSIGHT_LIMIT)),
                )  # fmt: skip
            )
    return result
