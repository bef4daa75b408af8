"""Delay histograms: fixed buckets, so a median or p90 over any period and any set of groups
is a sum of small per-day histograms, never a scan of questions.

A delay is stored as the upper bound of its bucket, in seconds: to the minute up to an hour,
to the quarter hour up to a day, to the hour up to a week, to the day beyond. A reported
median is that bound (the delay is at most it, and more than the bucket below)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
_STEPS = ((HOUR, 60), (DAY, 900), (WEEK, HOUR))


def bucket(seconds: float) -> int:
    """The upper bound of the bucket a delay falls in."""
    whole = max(0, math.ceil(seconds))
    step = next((s for limit, s in _STEPS if whole <= limit), DAY)
    return -(-whole // step) * step


def delay_bucket(start: datetime, end: datetime) -> int:
    return bucket((end - start).total_seconds())


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for histogram in histograms:
        for bound, count in histogram.items():
            total[bound] = total.get(bound, 0) + count
    return {b: c for b, c in total.items() if c}


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """Nearest-rank percentile (share 0.5: the median): the bound of the bucket holding the
    ceil(share * n)-th smallest delay; None for no delays."""
    n = sum(histogram.values())
    if n <= 0:
        return None
    rank, seen = max(1, math.ceil(share * n)), 0
    for bound in sorted(histogram):
        seen += histogram[bound]
        if seen >= rank:
            return bound
    return max(histogram)


def within(histogram: Mapping[int, int], limit: int) -> int:
    """How many delays were at most `limit` seconds (limits are bucket bounds: exact)."""
    return sum(count for bound, count in histogram.items() if bound <= limit)


def day_of(moment: datetime) -> str:
    return moment.date().isoformat()


def week_of(day: str) -> str:
    """The Monday of the ISO week a 'YYYY-MM-DD' day falls in."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()
