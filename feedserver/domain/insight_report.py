"""The figures of one insights report, from the per-day aggregates of its scope (the scope
and who may see it: domain/insights.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from feedserver.domain import access, insight_cohorts, insight_reuse
from feedserver.domain.expertise import current_score
from feedserver.domain.insight_buckets import BOUNDS, DAY, HOUR, add, percentile, week_of, within
from feedserver.domain.services import Services
from feedserver.models import Viewer
from feedserver.store import insight_days, insight_facts, insight_gaps
from feedserver.store import search_misses as miss_store
from feedserver.store.db import Connection
from feedserver.store.insight_days import HISTOGRAMS, SERVER, Weeks

if TYPE_CHECKING:
    from feedserver.domain.insights import Scope

GAP_CANDIDATES = 20  # the most-asked topics examined for gaps
MISSES_SHOWN = 20
EXPERTS_SHOWN = 20  # the most asked experts of the scope this week


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True, slots=True)
class Figures:
    """A scope's per-week sums over the period (store/insight_days.by_week)."""

    weeks: Weeks

    def total(self, name: str, week: str | None = None) -> list[int]:
        """A counter ([n]) or a histogram (count per bucket), over one week or all."""
        found: list[int] = []
        for at, sums in self.weeks.items():
            if week in (None, at) and name in sums:
                if not found:
                    found = [0] * len(sums[name])
                add(found, sums[name])
        return found or ([0] * len(BOUNDS) if name in HISTOGRAMS else [0])

    def count(self, name: str) -> int:
        return self.total(name)[0]


def _questions(f: Figures) -> dict[str, Any]:
    first, accepted = f.total("first_delay"), f.total("accept_delay")
    asked = f.count("asked")
    # A question is "never answered" when still open 7 days on: only days that old count.
    settled_asked = f.count("settled_asked")
    open_after_week = settled_asked - f.count("settled_in_week")
    return {
        "asked": asked,
        "answered": f.count("answered"),
        "accepted": f.count("accepted"),
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


def _weeks(f: Figures) -> list[dict[str, Any]]:
    return [
        {
            "week": week,
            "asked": sums["asked"][0],
            "answered": sums["answered"][0],
            "median_first_answer_seconds": percentile(sums["first_delay"], 0.5),
        }
        for week, sums in sorted(f.weeks.items())
        if sums["asked"][0]
    ]


def _routed(f: Figures) -> dict[str, Any]:
    histogram = f.total("routed_delay")
    routed, answered = f.count("routed"), f.count("routed_answered")
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
    found = await insight_facts.recent_load(conn, scope.group_ids, since, EXPERTS_SHOWN)
    default_cap = services.config.expertise_default_ask_cap
    return [
        {"username": r["username"], "display_name": r["display_name"],
         "asks_last_7_days": int(r["asks"]), "weekly_cap": r["weekly_ask_cap"] or default_cap}
        for r in found
        if access.may_see_profile(viewer, r["expert_id"], r["sharing"])
    ]  # fmt: skip


async def _gaps(
    services: Services, conn: Connection, scope: Scope, first: str, last: str
) -> list[dict[str, Any]]:
    config, now = services.config, services.clock()
    if scope.kind == "tag":
        tag = scope.keys[0][2]
        weeks = await insight_days.by_week(conn, scope.keys, first, last, first)
        counts = {tag: Figures(weeks).count("asked")}
    else:
        groups = scope.group_ids if scope.group_ids is not None else [SERVER]
        counts = await insight_days.tag_counts(conn, groups, first, last)
    asked_enough = sorted(
        ((n, t) for t, n in counts.items() if n >= config.insights_gap_min_questions),
        key=lambda item: (-item[0], item[1]),
    )[:GAP_CANDIDATES]
    stored = await insight_gaps.top_stored_scores(conn, [t for _, t in asked_enough])
    best = {t: current_score(config, stored[t], now) if t in stored else 0.0
            for _, t in asked_enough}  # fmt: skip
    gaps = [(n, t) for n, t in asked_enough if best[t] < config.insights_gap_min_score]
    partners = await insight_gaps.partner_experts(conn, [t for _, t in gaps])
    return [
        {"topic": topic, "questions": asked, "best_local_score": round(best[topic], 2),
         "partners": partners[topic], "directory": f"/people?topic={topic}"}
        for asked, topic in gaps
    ]  # fmt: skip


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
    settled_through = (services.clock().date() - timedelta(days=8)).isoformat()
    f = Figures(await insight_days.by_week(conn, scope.keys, first, last, settled_through))
    report: dict[str, Any] = {
        "scope": scope.name, "title": scope.title, "from": first, "to": last,
        "questions": _questions(f), "weeks": _weeks(f),
    }  # fmt: skip
    if scope.kind == "me":
        report["answers"] = {"given": f.count("answers_given"),
                             "accepted": f.count("answers_accepted")}  # fmt: skip
        return report
    report["routed"] = _routed(f)
    shows_load = scope.kind != "tag" and scope.group_ids != []  # [] : no group it may read
    report["experts"] = await _load(services, conn, viewer, scope) if shows_load else []
    report["gaps"] = await _gaps(services, conn, scope, first, last)
    report["reuse"] = {
        "faq_page_edits": f.count("page_edits"),
        "helpful_marks_on_answers": f.count("helpful"),
        "faq_pages": await insight_reuse.faq_pages(conn, viewer, scope, first, last),
    }
    if scope.program_id is not None:
        report["cohorts"] = await insight_cohorts.trend(conn, scope.program_id, first, last)
    report["searches_without_results"] = (
        await _misses(services, conn, start, end) if scope.kind == "server" else []
    )
    return report
