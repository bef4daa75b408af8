"""How fresh a partner's signed request must be, and so how long its signature is worth
remembering: a replay of a signature older than the window is refused as stale anyway."""

from __future__ import annotations

from datetime import datetime

MAX_AGE = 300  # seconds a signature's `created` may lie in the past
MAX_FUTURE = 30  # and in the future (clock skew)


def replayable_since(now: datetime) -> int:
    """The oldest `created` (Unix seconds) a request could still be accepted with, a minute
    to spare: the replay cache must remember signatures made since then."""
    return int(now.timestamp()) - MAX_AGE - 60
