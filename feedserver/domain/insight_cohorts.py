"""Mentoring programs in insights (scope program:ID): the cohort figures of the program's
report (domain/mentoring_oversight.report: pairs, their status and match score, and the
mentees' activity in their cohort groups) as a trend, by the week each pairing started.

Who sees them is who sees the report: admins and the program's owners (anyone else who may
see the program is refused, 403, as for the report). The counts are the report's own bounded
queries over the program's pairings and its cohort groups, never over all posts."""

from __future__ import annotations

from typing import Any

from feedserver.domain.insight_buckets import week_of
from feedserver.store import mentoring_activity as activity_store
from feedserver.store.db import Connection

STATUSES = ("active", "completed", "ended", "rematch")


async def trend(conn: Connection, program_id: str, first: str, last: str) -> list[dict[str, Any]]:
    """One row per week in which pairings started within the days, oldest first."""
    weeks: dict[str, dict[str, Any]] = {}
    scores: dict[str, list[float]] = {}
    for a in await activity_store.pair_activity(conn, program_id):
        day = a.pairing.created_at.date().isoformat()
        if not first <= day <= last:
            continue
        week = week_of(day)
        row = weeks.setdefault(week, {
            "week": week, "pairs": 0, **dict.fromkeys(STATUSES, 0), "average_score": None,
            "mentee_posts": 0, "answers": 0, "mentor_answers": 0, "accepted_answers": 0,
        })  # fmt: skip
        row["pairs"] += 1
        row[a.pairing.status] += 1
        if a.pairing.status != "rematch":  # as the report: a rematched pair placed nobody
            scores.setdefault(week, []).append(a.pairing.score)
        row["mentee_posts"] += a.posts
        row["answers"] += a.answers
        row["mentor_answers"] += a.mentor_answers
        row["accepted_answers"] += a.accepted_answers
    for week, found in scores.items():
        weeks[week]["average_score"] = round(sum(found) / len(found), 4)
    return [weeks[w] for w in sorted(weeks)]
