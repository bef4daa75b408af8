"""Partner servers and their delivery queue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Partner:
    """A partner organization's server, with its pinned keys and delivery health."""

    host: str
    base_url: str
    actor_id: str
    inbox_url: str
    name: str
    profiles: bool  # scope: exchange expertise profiles
    created_at: datetime
    failures: int = 0
    paused_until: datetime | None = None
    last_success_at: datetime | None = None
    last_error: str | None = None
    pending: int = 0
    failed: int = 0
    groups: bool = False  # scope: share groups (hosted by either side) with each other


@dataclass(frozen=True, slots=True)
class Delivery:
    id: str
    host: str
    activity_id: str
    body: str
    key_name: str | None
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_status: int | None = None
    last_error: str | None = None
