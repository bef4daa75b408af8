"""Frozen dataclasses passed between layers. Imports nothing of ours."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, Literal, TypeVar

T = TypeVar("T")

Visibility = Literal["private", "org", "partners"]
Role = Literal["owner", "mentor", "member"]
PostKind = Literal["question", "story", "tip", "note", "answer", "reply"]

VISIBILITIES: tuple[str, ...] = ("private", "org", "partners")
ROLES: tuple[str, ...] = ("owner", "mentor", "member")
TOP_LEVEL_KINDS: tuple[str, ...] = ("question", "story", "tip", "note")


@dataclass(frozen=True, slots=True)
class Member:
    id: str
    username: str
    display_name: str
    is_admin: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is asking. `member` is None for an anonymous request."""

    member: Member | None = None

    @property
    def is_admin(self) -> bool:
        return self.member is not None and self.member.is_admin

    @property
    def member_id(self) -> str | None:
        return self.member.id if self.member else None


ANONYMOUS = Viewer(None)


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str
    title: str
    description: str
    visibility: Visibility
    created_at: datetime
    version: int  # change counter: bumped by every change a feed or partner must see


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: str
    member_id: str
    role: Role
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class GroupMember:
    username: str
    display_name: str
    role: Role
    joined_at: datetime


@dataclass(frozen=True, slots=True)
class JoinRequest:
    group_id: str
    username: str
    display_name: str
    requested_at: datetime


@dataclass(frozen=True, slots=True)
class Post:
    id: str
    group_id: str
    group_name: str
    parent_id: str | None
    kind: PostKind
    author_id: str
    author_username: str
    author_display_name: str
    title: str
    body: str
    body_html: str
    tags: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    revision: int
    accepted_answer_id: str | None = None
    helpful_count: int = 0
    reply_count: int = 0


@dataclass(frozen=True, slots=True)
class Revision:
    post_id: str
    revision: int
    title: str
    body: str
    tags: tuple[str, ...]
    editor_username: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Tombstone:
    post_id: str
    group_id: str
    parent_id: str | None
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class SearchHit:
    post: Post
    snippet_html: str
    rank: float


@dataclass(frozen=True, slots=True)
class ReadScope:
    """What a viewer may read, as decided by domain/access.py and turned into SQL by the store.

    Kept declarative (not a list of group ids) so a query's cost grows with its page, not
    with the number of groups.
    """

    everything: bool = False
    member_id: str | None = None  # groups this member belongs to
    org_groups: bool = False  # plus every `org` group
    group_ids: frozenset[str] = field(default_factory=frozenset)  # plus these, explicitly


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


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
