"""Groups shared with partner servers, as a member server holds them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from feedserver.models.core import Role


@dataclass(frozen=True, slots=True)
class CachedGroup:
    """A partner's group some of our members belong to; addressed here as name@host.
    `role` is the viewer's role in it (None: not a member)."""

    actor_id: str
    host: str
    name: str
    title: str
    description: str
    version: int
    organization: str
    role: Role | None = None

    @property
    def address(self) -> str:
        return f"{self.name}@{self.host}"


@dataclass(frozen=True, slots=True)
class CachedPost:
    """A post of a cached group, as its host relayed it; or one of our members wrote it
    here and the host has not relayed it back yet (`pending`) or will not (`refused`)."""

    object_id: str
    group_actor: str
    parent_id: str | None
    kind: str
    author: str  # username@host
    title: str
    body_html: str
    tags: tuple[str, ...]
    published: datetime
    updated: datetime
    state: str = "accepted"
    writer_id: str | None = None  # our member who wrote it here
    accepted_answer: str | None = None  # a question's, as its host told us
    helpful_count: int = 0  # marks its host relayed (lists only)
    feed_key: str = ""  # its place among our posts in home and tag feeds (id order)
    received_at: datetime | None = None  # when we took its latest version from its host

    @property
    def entry_updated(self) -> datetime:
        """A feed entry's `updated`: its host's, or when we took it if later (relayed late)."""
        if self.received_at is None or self.received_at < self.updated:
            return self.updated
        return self.received_at

    @property
    def anchor(self) -> str:
        """Its element's id on the group's page (an object id is a URL: not a fragment)."""
        return "p-" + hashlib.sha256(self.object_id.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class CachedTombstone:
    """A post of a cached group its host deleted: what a feed's at:deleted-entry names."""

    object_id: str
    parent_id: str | None
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class CopyScope:
    """What a search over copies may find for one viewer, as domain/access.py decides it
    (`copy_search_scope`) and the store turns into SQL: the posts their hosts took in these
    copies, and the pending writes of `pending_writer` there."""

    group_actors: tuple[str, ...] = ()
    pending_writer: str | None = None


@dataclass(frozen=True, slots=True)
class CopyHit:
    """A post of a copy found by search, with its group (named name@host)."""

    group: CachedGroup
    post: CachedPost
    snippet_html: str
    rank: float
