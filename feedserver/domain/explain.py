"""Every score explains itself: "3 accepted answers on #payroll in the last 90 days, endorsed
by 2". Built from evidence the store already filtered: titles and links exist only for
evidence the viewer may read; the rest is counted as `hidden`, never described."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from feedserver.domain.expertise import KIND_LABELS
from feedserver.models import EvidenceSeen, Explanation

MAX_LISTED = 5  # evidence items named in one explanation


def _phrase(counts: Counter[str]) -> str:
    parts = []
    for kind, (one, many) in KIND_LABELS.items():
        if n := counts.get(kind, 0):
            parts.append(f"{n} {one if n == 1 else many}")
    for kind, n in counts.items():  # kinds added in config but not labelled yet
        if kind not in KIND_LABELS and n:
            parts.append(f"{n} × {kind.replace('_', ' ')}")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def explain(topic: str, seen: list[EvidenceSeen], now: datetime, recent_days: int) -> Explanation:
    since = now - timedelta(days=recent_days)
    work = [e for e in seen if e.kind != "endorsement"]
    endorsed = sum(1 for e in seen if e.kind == "endorsement")
    counts = Counter(e.kind for e in seen)
    recent = Counter(e.kind for e in seen if e.created_at >= since)
    recent_work = Counter(e.kind for e in work if e.created_at >= since)
    older_work = Counter(e.kind for e in work if e.created_at < since)

    if recent_work:
        text = f"{_phrase(recent_work)} on #{topic} in the last {recent_days} days"
        if older_work:
            text += f" ({_phrase(older_work)} before)"
    elif older_work:
        text = f"{_phrase(older_work)} on #{topic}, none in the last {recent_days} days"
    else:
        text = ""
    if endorsed:
        text = f"{text}, endorsed by {endorsed}" if text else f"endorsed by {endorsed} on #{topic}"

    listed = tuple(e for e in work if e.readable and e.group_name)[:MAX_LISTED]
    hidden = sum(1 for e in seen if not e.readable)
    return Explanation(
        text=text,
        counts=dict(counts),
        recent=dict(recent),
        recent_days=recent_days,
        endorsed_by=endorsed,
        evidence=listed,
        hidden=hidden,
    )


def declared(topic: str, level: str | None) -> Explanation:
    return Explanation(
        text=f"declared #{topic}" + (f" ({level})" if level else "") + ", no evidence yet",
        counts={}, recent={}, recent_days=0, endorsed_by=0, evidence=(), hidden=0,
    )  # fmt: skip
