"""GET /api/v1/insights: a learning-insights report as JSON, or as CSV for spreadsheets
(`Accept: text/csv`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from feedserver import appkeys
from feedserver.domain import insights
from feedserver.http import auth


def _flatten(prefix: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else key, item)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(f"{prefix}.{index}", item)
    else:
        yield prefix, "" if value is None else str(value)


def as_csv(report: dict[str, Any]) -> str:
    """One `figure,value` line per number, the figure named by its path in the JSON
    (`questions.first_answer.median_seconds`, `weeks.0.asked`), so both say the same."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["figure", "value"])
    for name, value in _flatten("", report):
        # A cell starting with = + - @ is a formula to a spreadsheet: quote it as text.
        writer.writerow([name, "'" + value if value[:1] in ("=", "+", "-", "@") else value])
    return out.getvalue()


def wants_csv(request: web.Request) -> bool:
    accept = request.headers.get("Accept", "")
    types = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    return "text/csv" in types and "application/json" not in types[: types.index("text/csv")]


async def get_insights(request: web.Request) -> web.Response:
    viewer = await auth.signed_in(request)
    query = request.query
    report = await insights.report(
        request.app[appkeys.SERVICES], viewer, query.get("scope", "me"),
        query.get("from"), query.get("to"),
    )  # fmt: skip
    if wants_csv(request):
        return web.Response(
            text=as_csv(report), content_type="text/csv", charset="utf-8",
            headers={"Content-Disposition": 'attachment; filename="insights.csv"'},
        )  # fmt: skip
    return web.json_response(report)
