"""Mentor matching: score mentor/mentee pairs on evidence, then assign everyone.

Pure domain code: no I/O. Expertise arrives precomputed as ``(mentor_id, topic) ->
TopicEvidence``; its ``summary`` ("4 accepted answers on #payroll") becomes the explanation.

Score of a pair (``score_pair``), summed over the mentee's goals, goal ``i`` (0 = most
important) weighted ``goal_order_decay ** i``:

    expertise * evidence.score * (1 + priority_boost if priority == "expertise")
  + declared_topic                        if the mentor declares the goal topic
plus, once, ``team_bonus`` (times ``1 + priority_boost`` if priority == "team") when the mentee
prefers their own team and the mentor is in it. A pair whose goal part is zero (no evidence,
no declared topic) is not a candidate: a shared team alone never makes a mentor.

Exclusions: the mentee themself; mentors on the mentee's ``avoid`` list (callers put the
mentee's reporting line there too); and the same team when the mentee says ``same_team="avoid"``
or the program sets ``Weights.exclude_same_team``.

``match`` is optimal: it maximizes the total score, each mentee getting at most one mentor and
each mentor at most ``capacity`` mentees. Among assignments with equal total it prefers more
pairs; remaining ties depend only on member ids (inputs are sorted by id first), never on input
order. Scores are compared at a resolution of 1e-6 (``SCALE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from feedserver.domain.mincostflow import FlowGraph
from feedserver.models import Priority, SameTeam


@dataclass(frozen=True, slots=True)
class MentorOffer:
    member_id: str
    topics: frozenset[str]  # declared topics; evidence comes separately
    capacity: int
    team: str | None = None


@dataclass(frozen=True, slots=True)
class MenteeRequest:
    member_id: str
    goals: tuple[str, ...]  # most important first
    avoid: frozenset[str] = frozenset()  # mentor member ids
    same_team: SameTeam = "any"
    team: str | None = None
    priority: Priority = "balanced"


@dataclass(frozen=True, slots=True)
class TopicEvidence:
    score: float
    summary: str  # human sentence, e.g. "4 accepted answers on #payroll"


@dataclass(frozen=True, slots=True)
class Weights:
    """A program's matching weights (see the module docstring for the formula)."""

    expertise: float = 1.0
    declared_topic: float = 0.2
    goal_order_decay: float = 0.5
    team_bonus: float = 0.1
    priority_boost: float = 0.5
    exclude_same_team: bool = False  # program-wide: never pair within a team


@dataclass(frozen=True, slots=True)
class Pair:
    mentor_id: str
    mentee_id: str
    score: float
    reasons: tuple[str, ...]


# A scored candidate and a chosen pair carry the same facts.
PairScore = Pair


@dataclass(frozen=True, slots=True)
class Unmatched:
    mentee_id: str
    reason: str


@dataclass(frozen=True, slots=True)
class Proposal:
    pairs: tuple[Pair, ...]  # ordered by mentee id
    unmatched: tuple[Unmatched, ...]  # ordered by mentee id
    total_score: float


Expertise = Mapping[tuple[str, str], TopicEvidence]
_Member = TypeVar("_Member", MentorOffer, MenteeRequest)

# Scores become integers at this resolution so the flow's potentials stay exact.
SCALE = 1_000_000


def tag(topic: str) -> str:
    return topic if topic.startswith("#") else f"#{topic}"


def exclusion(mentor: MentorOffer, mentee: MenteeRequest, weights: Weights) -> str | None:
    """Why this pair may never be matched, or None if it may."""
    if mentor.member_id == mentee.member_id:
        return "self"
    if mentor.member_id in mentee.avoid:
        return "avoid list"
    same_team = mentor.team is not None and mentor.team == mentee.team
    if same_team and (mentee.same_team == "avoid" or weights.exclude_same_team):
        return "same team"
    return None


def score_pair(
    mentor: MentorOffer, mentee: MenteeRequest, expertise: Expertise, weights: Weights
) -> PairScore | None:
    """Score and explain a pair; None when excluded or the mentor offers none of the goals."""
    if exclusion(mentor, mentee, weights) is not None:
        return None
    boost = 1 + weights.priority_boost
    evidence_weight = weights.expertise * (boost if mentee.priority == "expertise" else 1.0)
    goal_part = 0.0
    reasons: list[str] = []
    for rank, goal in enumerate(dict.fromkeys(mentee.goals)):  # dedupe, keep order
        evidence = expertise.get((mentor.member_id, goal))
        has_evidence = evidence is not None and evidence.score > 0
        declared = goal in mentor.topics
        part = 0.0
        if evidence is not None and has_evidence:
            part += evidence_weight * evidence.score
            reasons.append(f"expert on {tag(goal)}: {evidence.summary}")
        if declared:
            part += weights.declared_topic
            if not has_evidence:
                reasons.append(f"declares {tag(goal)} (not yet backed by evidence)")
        goal_part += weights.goal_order_decay**rank * part
    if goal_part <= 0:
        return None
    score = goal_part
    if mentee.same_team == "prefer" and mentor.team is not None and mentor.team == mentee.team:
        score += weights.team_bonus * (boost if mentee.priority == "team" else 1.0)
        reasons.append("same team, as the mentee prefers")
    return Pair(mentor.member_id, mentee.member_id, score, tuple(reasons))


@dataclass(frozen=True, slots=True)
class Candidates:
    """Scored candidate pairs per mentee, and why mentees with none have none."""

    mentors: tuple[MentorOffer, ...]  # sorted by id
    mentees: tuple[MenteeRequest, ...]  # sorted by id
    by_mentee: Mapping[str, tuple[Pair, ...]]  # candidates sorted by mentor id
    no_candidate_reason: Mapping[str, str]


def candidates(
    mentors: Iterable[MentorOffer],
    mentees: Iterable[MenteeRequest],
    expertise: Expertise,
    weights: Weights,
) -> Candidates:
    """Score only mentors relevant to some goal, so the pair list stays sparse."""
    mentor_list = _sorted_unique(mentors)
    mentee_list = _sorted_unique(mentees)
    if any(m.capacity < 0 for m in mentor_list):
        raise ValueError("mentor capacity must be >= 0")
    known = {m.member_id: m for m in mentor_list}
    offering: dict[str, set[str]] = {}  # topic -> mentors declaring it or with evidence on it
    for m in mentor_list:
        for topic in m.topics:
            offering.setdefault(topic, set()).add(m.member_id)
    for (mentor_id, topic), evidence in expertise.items():
        if evidence.score > 0 and mentor_id in known:
            offering.setdefault(topic, set()).add(mentor_id)
    by_mentee: dict[str, tuple[Pair, ...]] = {}
    why_none: dict[str, str] = {}
    for mentee in mentee_list:
        relevant = set().union(*(offering.get(g, ()) for g in mentee.goals))
        found: list[Pair] = []
        excluded: dict[str, int] = {}
        for mentor_id in sorted(relevant):
            mentor = known[mentor_id]
            barred = exclusion(mentor, mentee, weights)
            if barred is not None:
                excluded[barred] = excluded.get(barred, 0) + 1
            elif (pair := score_pair(mentor, mentee, expertise, weights)) is not None:
                found.append(pair)
        by_mentee[mentee.member_id] = tuple(found)
        if not mentee.goals:
            why_none[mentee.member_id] = "no goals given"
        elif not found and not excluded:
            topics = ", ".join(tag(g) for g in dict.fromkeys(mentee.goals))
            why_none[mentee.member_id] = f"no mentor offers {topics}"
        elif not found:
            detail = ", ".join(f"{n} by {why}" for why, n in sorted(excluded.items()))
            why_none[mentee.member_id] = f"all candidates excluded by preferences ({detail})"
    return Candidates(tuple(mentor_list), tuple(mentee_list), by_mentee, why_none)


def match(
    mentors: Iterable[MentorOffer],
    mentees: Iterable[MenteeRequest],
    expertise: Expertise,
    weights: Weights | None = None,
) -> Proposal:
    """The optimal assignment (maximum total score within capacities), explained."""
    table = candidates(mentors, mentees, expertise, weights or Weights())
    return proposal(table, _max_weight_pairs(table))


def greedy_match(
    mentors: Iterable[MentorOffer],
    mentees: Iterable[MenteeRequest],
    expertise: Expertise,
    weights: Weights | None = None,
) -> Proposal:
    """Baseline: best-scoring candidate pairs first, taken while both sides are free."""
    table = candidates(mentors, mentees, expertise, weights or Weights())
    room = {m.member_id: m.capacity for m in table.mentors}
    every = [p for pairs in table.by_mentee.values() for p in pairs]
    every.sort(key=lambda p: (-p.score, p.mentee_id, p.mentor_id))
    chosen: dict[str, Pair] = {}
    for p in every:
        if p.mentee_id not in chosen and room[p.mentor_id] > 0:
            chosen[p.mentee_id] = p
            room[p.mentor_id] -= 1
    return proposal(table, chosen.values())


def _max_weight_pairs(table: Candidates) -> list[Pair]:
    """Min-cost flow: mentee -(1, -score)-> mentor -(capacity, 0)-> sink.

    Each mentee also has a "stay unmatched" edge straight to the sink at cost 0, so routing its
    unit through a mentor happens only when that path is negative: the flow is then maximum
    weight, not maximum cardinality. Costs are ``-(score * SCALE * tie + 1)`` with ``tie`` > the
    number of mentees, so among equal totals the flow prefers more pairs.
    """
    n = len(table.mentees)
    index = {m.member_id: n + j for j, m in enumerate(table.mentors)}
    sink = n + len(table.mentors)
    graph = FlowGraph(sink + 1)
    tie = n + 1
    edges: list[tuple[int, Pair]] = []
    for i, mentee in enumerate(table.mentees):
        for p in table.by_mentee[mentee.member_id]:
            scaled = round(p.score * SCALE)
            if scaled > 0 and table.mentors[index[p.mentor_id] - n].capacity > 0:
                edges.append((graph.add_edge(i, index[p.mentor_id], 1, -(scaled * tie + 1)), p))
        graph.add_edge(i, sink, 1, 0)
    for mentor in table.mentors:
        if mentor.capacity > 0:
            graph.add_edge(index[mentor.member_id], sink, mentor.capacity, 0)
    # One unit per mentee, each along a shortest path from that mentee: successive shortest
    # paths with many sources, which stays optimal after every step (see mincostflow).
    for i in range(n):
        graph.augment(i, sink)
    return [p for e, p in edges if graph.flow(e)]


def proposal(table: Candidates, chosen: Iterable[Pair]) -> Proposal:
    """Assemble pairs and explain every mentee left out."""
    by_mentee = {p.mentee_id: p for p in chosen}
    pairs = tuple(by_mentee[m.member_id] for m in table.mentees if m.member_id in by_mentee)
    unmatched = []
    for m in table.mentees:
        if m.member_id in by_mentee:
            continue
        reason = table.no_candidate_reason.get(m.member_id)
        if reason is None:
            n = len(table.by_mentee[m.member_id])
            noun = "candidate" if n == 1 else "candidates"
            reason = f"every suitable mentor is at capacity ({n} {noun})"
        unmatched.append(Unmatched(m.member_id, reason))
    return Proposal(pairs, tuple(unmatched), sum(p.score for p in pairs))


def _sorted_unique(items: Iterable[_Member]) -> list[_Member]:
    result = sorted(items, key=lambda x: x.member_id)
    for a, b in zip(result, result[1:], strict=False):
        if a.member_id == b.member_id:
            raise ValueError(f"duplicate member id {a.member_id!r}")
    return result
