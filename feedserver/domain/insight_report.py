"""The figures of one insights report, from the per-day aggregates of its scope (the scope
and who may see it: domain/insights.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from feedserver.domain import access
from feedserver.domain.expertise import current_score
from feedserver.domain.insight_buckets import (
    DAY,
    HOUR,
    WEEK,
    merge,
    percentile,
    week_of,
    within,
)
from feedserver.domain.services import Services
from feedserver.models import Viewer
from feedserver.store import insight_days, insight_facts, insight_gaps
from feedserver.store import members as member_store
from feedserver.store import profiles as profile_store
from feedserver.store import search_misses as miss_store
from feedserver.store.db import Connection
from feedserver.store.insight_days import SERVER

if TYPE_CHECKING:
    from feedserver.domain.insights import Scope

GAP_CANDIDATES = 20  # the most-asked topics examined for gaps
MISSES_SHOWN = 20


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _sum(rows: Sequence[Mapping[str, Any]], column: str) -> int:
    return sum(int(r[column]) for r in rows)


def _questions(rows: Sequence[Mapping[str, Any]], today: date) -> dict[str, Any]:
    first = merge(r["first_hist"] for r in rows)
    accepted = merge(r["accept_hist"] for r in rows)
    asked = _sum(rows, "asked")
    # A question is "never answered" when still open 7 days on: only days that old count.
    settled = [r for r in rows if date.fromisoformat(r["day"]) + timedelta(days=8) <= today]
    settled_asked = _sum(settled, "asked")
    open_after_week = settled_asked - within(merge(r["first_hist"] for r in settled), WEEK)
    return {
        "asked": asked,
        "answered": _sum(rows, "answered"),
        "accepted": _sum(rows, "accepted"),
        "first_answer": {
            "median_seconds": percentile(first, 0.5),
            "p90_seconds": percentile(first, 0.9),
            "within_hour": within(first, HOUR),
            "within_day": within(first, DAY),
            "share_within_hour": _share(within(first, HOUR), asked),
            "share_within_day": _share(within(first, DAY), asked),
        },
        "accepted_answer": {
            "median_seconds": percentile(accepted, 0.5),
            "p90_seconds": percentile(accepted, 0.9),
        },
        "unanswered": {
            "asked_7_days_ago_or_more": settled_asked,
            "open_after_7_days": open_after_week,
            "share": _share(open_after_week, settled_asked),
        },
    }


def _weeks(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_week: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for r in rows:
        by_week[week_of(r["day"])].append(r)
    return [
        {
            "week": week,
            "asked": _sum(found, "asked"),
            "answered": _sum(found, "answered"),
            "median_first_answer_seconds": percentile(merge(r["first_hist"] for r in found), 0.5),
        }
        for week, found in sorted(by_week.items())
    ]


def _routed(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    histogram = merge(r["routed_hist"] for r in rows)
    routed, answered = _sum(rows, "routed"), _sum(rows, "routed_answered")
    return {
        "asked": routed,
        "answered_by_person_asked": answered,
        "share_answered": _share(answered, routed),
        "median_seconds": percentile(histogram, 0.5),
        "p90_seconds": percentile(histogram, 0.9),
    }


async def _load(
    services: Services, conn: Connection, viewer: Viewer, scope: Scope
) -> list[dict[str, Any]]:
    """Each expert asked in this scope over the last 7 days, against their weekly cap."""
    since = services.clock() - timedelta(days=7)
    counts = await insight_facts.recent_load(conn, scope.group_ids, since)
    found = []
    for expert_id, asks in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        member = await member_store.by_id(conn, expert_id)
        sharing, cap = await profile_store.sharing_and_cap(
            conn, expert_id, services.config.expertise_default_ask_cap
        )
        if member is None or not access.may_see_profile(viewer, expert_id, sharing):
            continue
        found.append({
            "username": member.username, "display_name": member.display_name,
            "asks_last_7_days": asks, "weekly_cap": cap,
        })  # fmt: skip
    return found


async def _gaps(
    services: Services, conn: Connection, scope: Scope, first: str, last: str
) -> list[dict[str, Any]]:
    config, now = services.config, services.clock()
    if scope.kind == "tag":
        tag = scope.keys[0][2]
        counts = {tag: _sum(await insight_days.days(conn, scope.keys, first, last), "asked")}
    else:
        groups = scope.group_ids if scope.group_ids is not None else [SERVER]
        counts = await insight_days.tag_counts(conn, groups, first, last)
    asked_enough = sorted(
        ((n, t) for t, n in counts.items() if n >= config.insights_gap_min_questions),
        key=lambda item: (-item[0], item[1]),
    )[:GAP_CANDIDATES]
    gaps = []
    for asked, topic in asked_enough:
        stored = await insight_gaps.top_stored_score(conn, topic)
        best = current_score(config, stored, now) if stored else 0.0
        if best >= config.insights_gap_min_score:
            continue
        gaps.append({
            "topic": topic, "questions": asked, "best_local_score": round(best, 2),
            "partners": await insight_gaps.partner_experts(conn, topic),
            "directory": f"/people?topic={topic}",
        })  # fmt: skip
    return gaps


async def _misses(services: Services, conn: Connection, first: date, last: date) -> list[Any]:
    shown = await miss_store.shown(
        conn, week_of(first.isoformat()), week_of(last.isoformat()),
        services.config.insights_min_searchers, MISSES_SHOWN,
    )  # fmt: skip
    return [{"term": term, "kind": kind, "searches": n} for term, kind, n in shown]


async def build(
    services: Services, conn: Connection, viewer: Viewer, scope: Scope, start: date, end: date
) -> dict[str, Any]:
    first, last = start.isoformat(), end.isoformat()
    rows = await insight_days.days(conn, scope.keys, first, last)
    today = services.clock().date()
    report: dict[str, Any] = {
        "scope": scope.name, "title": scope.title, "from": first, "to": last,
        "questions": _questions(rows, today),
        "weeks": _weeks(rows),
    }  # fmt: skip
    if scope.kind == "me":
        report["answers"] = {
            "given": _sum(rows, "answers_given"),
            "accepted": _sum(rows, "answers_accepted"),
        }
        return report
    report["routed"] = _routed(rows)
    report["experts"] = await _load(services, conn, viewer, scope) if scope.kind != "tag" else []
    report["gaps"] = await _gaps(services, conn, scope, first, last)
    report["reuse"] = {
        "faq_page_edits": _sum(rows, "page_edits"),
        "helpful_marks_on_answers": _sum(rows, "helpful"),
    }
    report["searches_without_results"] = (
        await _misses(services, conn, start, end) if scope.kind == "server" else []
    )
    return report
