"""What moderation passes around: a member as an admin sees them, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feedserver.models.core import Member

__all__ = ["AuditEntry", "MemberStanding"]


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """A member with their standing: active, suspended (content kept, no access) or deleted
    (the row stays, renamed and stripped, because content and history point at it)."""

    member: Member
    suspended_at: datetime | None
    deleted_at: datetime | None

    @property
    def state(self) -> str:
        if self.deleted_at is not None:
            return "deleted"
        return "suspended" if self.suspended_at is not None else "active"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str  # the admin's username at the time, or "cli"
    action: str
    subject: str  # the member's username at the time
    detail: str
