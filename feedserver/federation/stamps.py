"""The times partners stamp their objects and activities with (`updated` on an object,
`published` on a Delete), by which the inbox orders the states of one object: only a newer
one is applied. Microseconds, so that two changes in one second are still ordered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from feedserver.federation.errors import BadActivity
from feedserver.federation.freshness import MAX_FUTURE


def stamp(moment: datetime) -> str:
    """An xsd:dateTime in UTC with microseconds, e.g. 2026-01-31T12:00:00.123456Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def read_stamp(value: Any, what: str, now: datetime) -> datetime:
    """A partner's stamp, which must be a date-time with a zone and not lie ahead of `now`
    by more than a signature may (a state stamped in the future would shadow the partner's
    real changes until then); BadActivity if not."""
    when = None
    if isinstance(value, str) and len(value) <= 40:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            when = None
    if when is None or when.tzinfo is None:
        raise BadActivity(f"{what} must be a date-time with a time zone")
    if when > now + timedelta(seconds=MAX_FUTURE):
        raise BadActivity(f"{what} lies in the future")
    return when.astimezone(UTC)
