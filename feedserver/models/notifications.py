"""Notifications, a member's notification settings and the mail outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = [
    "EMAIL_MODES",
    "LEVELS",
    "NOTIFICATION_KINDS",
    "EmailMode",
    "Level",
    "MailItem",
    "Notification",
    "NotificationSettings",
]

Level = Literal["watching", "normal", "muted"]
EmailMode = Literal["immediately", "digest", "never"]
LEVELS: tuple[str, ...] = ("watching", "normal", "muted")
EMAIL_MODES: tuple[str, ...] = ("immediately", "digest", "never")

# answer / reply: to my post; accepted: my answer; helpful: my post (batched); asked: a
# question routed to me; mention; join_request (owners, mentors); join_approved: mine;
# join_declined: my ask to join a partner's group;
# page_changed: a FAQ page I wrote or edited; match_published: a mentoring pairing of mine;
# new_post: in a group I watch; write_refused: my write into a partner's group, refused.
NOTIFICATION_KINDS: tuple[str, ...] = (
    "answer", "reply", "accepted", "helpful", "asked", "mention", "join_request",
    "join_approved", "join_declined", "page_changed", "match_published", "new_post",
    "write_refused",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Notification:
    seq: int
    kind: str
    group_name: str | None
    group_title: str | None
    group_visibility: str | None
    post_id: str | None
    thread_id: str | None
    thread_title: str  # the thread's title ('' when not about a post)
    actor_username: str | None
    actor_display_name: str | None
    subject: str
    count: int
    created_at: datetime
    read: bool
    excerpt: str  # the post's text (callers decide whether it may be shown)


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    email: str | None
    email_pending: str | None
    email_mode: EmailMode
    levels: dict[str, Level]  # group name -> level, for groups not at 'normal'


@dataclass(frozen=True, slots=True)
class MailItem:
    """A claimed outbox row: one mail to one member."""

    id: str
    member_id: str
    kind: str  # notification | digest
    seqs: tuple[int, ...]
    attempts: int
    created_at: datetime
