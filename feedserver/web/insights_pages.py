"""/insights: the learning-insights report as a page people read at a glance (charts drawn
on the server by web/svg_charts.py, each with its numbers in a table). Who may see which
scope, and every figure, come from domain/insights.py, as for the API."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import insights
from feedserver.web import render, session
from feedserver.web.svg_charts import Bar, bar_chart, duration, percent


def _charts(report: dict[str, Any]) -> dict[str, Any]:
    q = report["questions"]
    first, unanswered = q["first_answer"], q["unanswered"]
    weeks = [
        Bar(f"Week of {w['week']}", w["median_first_answer_seconds"] or 0,
            duration(w["median_first_answer_seconds"]))
        for w in report["weeks"]
    ]  # fmt: skip
    shares = [
        Bar("Answered within an hour", first["share_within_hour"] or 0,
            percent(first["share_within_hour"])),
        Bar("Answered within a day", first["share_within_day"] or 0,
            percent(first["share_within_day"])),
        Bar("Still open after 7 days", unanswered["share"] or 0, percent(unanswered["share"])),
    ]  # fmt: skip
    gaps = [Bar(f"#{g['topic']}", g["questions"], str(g["questions"]))
            for g in report.get("gaps", [])]  # fmt: skip
    misses = [Bar(m["term"], m["searches"], str(m["searches"]))
              for m in report.get("searches_without_results", [])]  # fmt: skip
    pages = [Bar(f"{p['title']} ({p['group']})", p["readers"], str(p["readers"]))
             for p in report.get("reuse", {}).get("faq_pages", [])]  # fmt: skip
    cohorts = [
        Bar(
            f"Started week of {c['week']}",
            c["pairs"],
            f"{c['pairs']} pair" + "s" * (c["pairs"] != 1),
        )
        for c in report.get("cohorts", [])
    ]
    return {
        "cohorts": bar_chart("chart-cohorts", "Mentoring pairs by the week they started",
                             cohorts),
        "pages": bar_chart("chart-pages", "FAQ pages by readers", pages),
        "weeks": bar_chart("chart-weeks", "Median time to a first answer, by week", weeks),
        "shares": bar_chart("chart-shares", "Share of questions answered and unanswered",
                            shares if q["asked"] else []),
        "gaps": bar_chart("chart-gaps", "Knowledge gaps: questions per topic", gaps),
        "misses": bar_chart("chart-misses", "Searches that found nothing", misses),
    }  # fmt: skip


async def insights_page(request: web.Request) -> web.Response:
    viewer = await session.signed_in(request)
    services = request.app[appkeys.SERVICES]
    led = await insights.leads(services, viewer)
    scopes = [("server", "Whole server")] if viewer.is_admin else []
    scopes += [(f"group:{name}", name) for _, name in led]
    scopes += [(f"program:{pid}", name) for pid, name in await insights.managed_programs(
        services, viewer)] + [("me", "Mine")]  # fmt: skip
    scope = request.query.get("scope") or scopes[0][0]
    report = await insights.report(
        services, viewer, scope, request.query.get("from") or None,
        request.query.get("to") or None,
    )  # fmt: skip
    return await render.page(
        request, "insights.html", report=report, scopes=scopes, scope=report["scope"],
        charts=_charts(report), duration=duration, percent=percent,
    )  # fmt: skip
