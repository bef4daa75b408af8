"""Every score explains itself: "3 accepted answers on #payroll in the last 90 days, endorsed
by 2". Built from evidence the store already filtered: titles and links exist only for
evidence the viewer may read; the rest is counted as `hidden`, never described."""

from __future__ import annotations

from collections import Counter

from feedserver.domain.expertise import KIND_LABELS
from feedserver.models import Explanation
from feedserver.store.evidence_summary import EvidenceSummary

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


def explain(topic: str, seen: EvidenceSummary, recent_days: int) -> Explanation:
    """`seen`: the evidence of one member on `topic`, summed since `now - recent_days`."""
    endorsed = seen.counts.get("endorsement", 0)
    recent_work = Counter({k: n for k, n in seen.recent.items() if k != "endorsement"})
    older_work = Counter(
        {k: n - seen.recent.get(k, 0) for k, n in seen.counts.items() if k != "endorsement"}
    )
    recent_work, older_work = +recent_work, +older_work  # drop the kinds counted zero

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

    return Explanation(
        text=text,
        counts=dict(seen.counts),
        recent=dict(seen.recent),
        recent_days=recent_days,
        endorsed_by=endorsed,
        evidence=tuple(seen.listed[:MAX_LISTED]),
        hidden=seen.hidden,
    )


def declared(topic: str, level: str | None) -> Explanation:
    return Explanation(
        text=f"declared #{topic}" + (f" ({level})" if level else "") + ", no evidence yet",
        counts={}, recent={}, recent_days=0, endorsed_by=0, evidence=(), hidden=0,
    )  # fmt: skip
