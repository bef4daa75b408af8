"""Mentoring programs, proposals, pairings and oversight."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from feedserver.models.core import Group, Member, Post

# --- Mentoring programs ---

PairingStatus = Literal["active", "completed", "ended", "rematch"]
# A mentee's preference about their own team.
SameTeam = Literal["prefer", "avoid", "any"]
# What the mentee cares about most: "expertise" boosts the evidence part, "team" boosts the
# same-team bonus (only used with same_team="prefer"), "balanced" boosts nothing.
Priority = Literal["expertise", "team", "balanced"]


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    name: str
    description: str
    enrol_opens_at: datetime | None
    enrol_closes_at: datetime | None
    default_capacity: int
    weights: dict[str, float | bool]  # matching.Weights fields
    exclude_reporting_line: bool
    created_by: str
    created_at: datetime
    owner_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MentorEnrolment:
    program_id: str
    member: Member
    topics: tuple[str, ...]
    capacity: int
    manager_id: str | None
    team: str  # from the expertise profile ('' when none)
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class MenteeEnrolment:
    program_id: str
    member: Member
    goals: tuple[str, ...]  # most important first
    same_team: SameTeam
    priority: Priority
    avoid: tuple[str, ...]  # member ids
    manager_id: str | None
    team: str
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class ProposalEntry:
    mentee: Member
    mentor: Member | None  # None: unmatched, `reasons` says why
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramProposal:
    id: str
    program_id: str
    status: str
    created_at: datetime
    entries: tuple[ProposalEntry, ...]  # ordered by mentee username

    @property
    def total_score(self) -> float:
        return sum(e.score for e in self.entries if e.mentor is not None)


@dataclass(frozen=True, slots=True)
class Pairing:
    id: str
    program_id: str
    mentor: Member
    mentee: Member
    group_id: str
    group_name: str
    score: float
    reasons: tuple[str, ...]
    status: PairingStatus
    created_at: datetime
    closed_at: datetime | None
    close_note: str


@dataclass(frozen=True, slots=True)
class PairActivity:
    """A pair's activity in its cohort group, counted from the posts themselves."""

    pairing: Pairing
    posts: int  # top-level posts by the mentee
    answers: int  # answers to the mentee's questions, by anyone
    mentor_answers: int  # of those, by the mentor
    accepted_answers: int  # the mentee's questions with an accepted answer


@dataclass(frozen=True, slots=True)
class SilentMember:
    member: Member
    joined_at: datetime
    last_posted_at: datetime | None  # None: never posted in the group


@dataclass(frozen=True, slots=True)
class CohortOverview:
    program: Program
    group: Group
    mentees: tuple[Member, ...]  # active pairings
    unanswered: tuple[Post, ...]  # questions without any answer, oldest first
    silent: tuple[SilentMember, ...]
    recent: tuple[Post, ...]  # newest first, replies included
