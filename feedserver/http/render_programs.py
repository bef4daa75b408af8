"""Mentoring models to JSON documents (the public contract in schemas/openapi.json)."""

from __future__ import annotations

from typing import Any

from feedserver.domain.mentoring_oversight import Mine, Report
from feedserver.domain.programs import ProgramView
from feedserver.http.render import group, member, post, when
from feedserver.models import (
    CohortOverview,
    Member,
    MenteeEnrolment,
    MentorEnrolment,
    Pairing,
    Program,
    ProgramProposal,
)


def _brief(m: Member) -> dict[str, Any]:
    return {"username": m.username, "display_name": m.display_name}


def program(p: Program) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "description": p.description,
        "enrol_opens_at": when(p.enrol_opens_at) if p.enrol_opens_at else None,
        "enrol_closes_at": when(p.enrol_closes_at) if p.enrol_closes_at else None,
        "default_capacity": p.default_capacity,
        "weights": p.weights,
        "exclude_reporting_line": p.exclude_reporting_line,
        "created_at": when(p.created_at),
    }


def program_view(v: ProgramView) -> dict[str, Any]:
    return {**program(v.program), "enrolled": {"mentors": v.mentors, "mentees": v.mentees},
            "manager": v.manager}  # fmt: skip


def mentor_enrolment(e: MentorEnrolment) -> dict[str, Any]:
    return {"member": _brief(e.member), "topics": list(e.topics), "capacity": e.capacity,
            "team": e.team, "enrolled_at": when(e.enrolled_at)}  # fmt: skip


def mentee_enrolment(e: MenteeEnrolment) -> dict[str, Any]:
    return {"member": _brief(e.member), "goals": list(e.goals), "same_team": e.same_team,
            "priority": e.priority, "avoiding": len(e.avoid), "team": e.team,
            "enrolled_at": when(e.enrolled_at)}  # fmt: skip


def proposal(p: ProgramProposal) -> dict[str, Any]:
    return {
        "id": p.id,
        "program_id": p.program_id,
        "status": p.status,
        "created_at": when(p.created_at),
        "total_score": round(p.total_score, 6),
        "pairs": [
            {"mentor": _brief(mentor), "mentee": _brief(e.mentee), "score": round(e.score, 6),
             "reasons": list(e.reasons)}
            for e in p.entries
            if (mentor := e.mentor) is not None
        ],
        "unmatched": [
            {"mentee": _brief(e.mentee), "reason": "; ".join(e.reasons)}
            for e in p.entries
            if e.mentor is None
        ],
    }  # fmt: skip


def pairing(p: Pairing) -> dict[str, Any]:
    return {
        "id": p.id,
        "program_id": p.program_id,
        "mentor": _brief(p.mentor),
        "mentee": _brief(p.mentee),
        "group": p.group_name,
        "score": round(p.score, 6),
        "reasons": list(p.reasons),
        "status": p.status,
        "created_at": when(p.created_at),
        "closed_at": when(p.closed_at) if p.closed_at else None,
        "close_note": p.close_note,
    }


def mine(m: Mine) -> dict[str, Any]:
    return {
        "program": program(m.program),
        "mentor": mentor_enrolment(m.as_mentor) if m.as_mentor else None,
        "mentee": mentee_enrolment(m.as_mentee) if m.as_mentee else None,
        "pairings": [pairing(p) for p in m.pairings],
    }


def report(r: Report) -> dict[str, Any]:
    totals = {"posts": 0, "answers": 0, "mentor_answers": 0, "accepted_answers": 0}
    pairs = []
    for a in r.pairs:
        counts = {"posts": a.posts, "answers": a.answers, "mentor_answers": a.mentor_answers,
                  "accepted_answers": a.accepted_answers}  # fmt: skip
        for k, v in counts.items():
            totals[k] += v
        pairs.append({"pairing": pairing(a.pairing), "activity": counts})
    return {
        "program": program(r.program),
        "enrolled": {"mentors": r.mentors, "mentees": r.mentees},
        "matched": r.matched,
        "unmatched": r.unmatched,
        "match_rate": r.match_rate,
        "average_score": r.average_score,
        "pairings": {"active": r.active, "completed": r.completed, "all": len(r.pairs)},
        "activity": totals,
        "pairs": pairs,
    }


def cohort(c: CohortOverview) -> dict[str, Any]:
    return {
        "program": {"id": c.program.id, "name": c.program.name},
        "group": group(c.group),
        "mentees": [member(m) for m in c.mentees],
        "unanswered": [post(p) for p in c.unanswered],
        "silent": [
            {"member": _brief(s.member), "joined_at": when(s.joined_at),
             "last_posted_at": when(s.last_posted_at) if s.last_posted_at else None}
            for s in c.silent
        ],
        "recent": [post(p) for p in c.recent],
    }  # fmt: skip
