"""Members, groups, posts, paging: the dataclasses every layer passes around."""

from __future__ import annotations

from collections.abc import Callable
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
    language: str  # BCP 47 tag of its feeds' text; "" is the server's feed_language


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

    @property
    def written_elsewhere(self) -> bool:
        """By a remote member of a shared group (username@host), on their own server."""
        return "@" in self.author_username


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

    @classmethod
    def of(cls, found: list[T], limit: int, cursor: Callable[[T], str]) -> Page[T]:
        """A page from `limit + 1` rows read: the extra row only says that there is more."""
        items = found[:limit]
        return cls(items, cursor(items[-1]) if len(found) > limit else None)


@dataclass(frozen=True, slots=True)
class Invitation:
    """A one-time join link an admin created. The secret in the link is never stored."""

    id: str
    note: str
    created_by_username: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_username: str | None
    revoked_at: datetime | None
    group_name: str | None = None  # the group joined on accepting, if any

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at
