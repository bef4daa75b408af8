"""Delay histograms: a fixed list of buckets, one column each in insight_days, so a median or
p90 over any period and any set of groups is a sum SQLite makes over a few rows per day -
the same work whether a day saw one question or a thousand.

A delay is reported as the upper bound of its bucket, in seconds: to 5 minutes up to an hour,
to the hour up to a day, to 6 hours up to a week, to the day up to 30 days, to 30 days up to
a year; the last bucket holds everything longer. A median is that bound (the delay is at
most it, and more than the bucket below)."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from datetime import date, datetime, timedelta

HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
BOUNDS: tuple[int, ...] = (
    *(300 * k for k in range(1, 13)),
    *(HOUR * h for h in range(2, 25)),
    *(6 * HOUR * k for k in range(5, 29)),
    *(DAY * d for d in range(8, 31)),
    *(30 * DAY * m for m in range(2, 13)),
    365 * DAY,  # and anything longer
)
assert len(BOUNDS) == 94  # the columns of migrations/0100_insights.sql


def bucket(seconds: float) -> int:
    """The index of the bucket a delay falls in."""
    return min(bisect_left(BOUNDS, max(0, math.ceil(seconds))), len(BOUNDS) - 1)


def delay_bucket(start: datetime, end: datetime) -> int:
    return bucket((end - start).total_seconds())


def percentile(counts: Sequence[int], share: float) -> int | None:
    """Nearest-rank percentile (share 0.5: the median): the bound of the bucket holding the
    ceil(share * n)-th smallest delay; None for no delays."""
    n = sum(counts)
    if n <= 0:
        return None
    rank, seen = max(1, math.ceil(share * n)), 0
    for bound, count in zip(BOUNDS, counts, strict=True):
        seen += count
        if seen >= rank:
            return bound
    return BOUNDS[-1]


def within(counts: Sequence[int], limit: int) -> int:
    """How many delays were at most `limit` seconds (a bucket bound: exact)."""
    return sum(count for bound, count in zip(BOUNDS, counts, strict=True) if bound <= limit)


def add(total: list[int], more: Sequence[int]) -> None:
    for index, count in enumerate(more):
        total[index] += count


def day_of(moment: datetime) -> str:
    return moment.date().isoformat()


def week_of(day: str) -> str:
    """The Monday of the ISO week a 'YYYY-MM-DD' day falls in."""
    d = date.fromisoformat(day)
    return (d - timedelta(days=d.weekday())).isoformat()
