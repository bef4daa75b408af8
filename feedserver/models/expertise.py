"""Expertise profiles, evidence, explanations, routing and FAQ pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feedserver.models.core import Member, Post

# --- Expertise, routing and FAQ pages ---

Sharing = Literal["private", "org", "partners"]
Level = Literal["learning", "practicing", "expert"]
SHARINGS: tuple[str, ...] = ("private", "org", "partners")
LEVELS: tuple[str, ...] = ("learning", "practicing", "expert")


@dataclass(frozen=True, slots=True)
class ProfileScope:
    """Whose profiles a viewer may see, as decided by domain/access.py and turned into SQL by
    store/scope.py: every profile, the viewer's own, plus profiles shared at these levels."""

    everything: bool = False
    member_id: str | None = None
    sharing: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class DeclaredTopic:
    topic: str
    level: Level


@dataclass(frozen=True, slots=True)
class ProfileDeclaration:
    """What a member declares in their profile, as they wrote it: text not yet cleaned and
    topics not yet normalized (domain/profiles.py does both)."""

    headline: str = ""
    field: str = ""
    team: str = ""
    location: str = ""
    sharing: Sharing = "org"
    weekly_ask_cap: int | None = None  # None: the server's default cap
    topics: tuple[tuple[str, Level], ...] = ()  # (topic as written, level), in order


@dataclass(frozen=True, slots=True)
class Profile:
    member: Member
    headline: str
    field: str
    team: str
    location: str
    sharing: Sharing
    weekly_ask_cap: int
    topics: tuple[DeclaredTopic, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence for a member's expertise on a topic."""

    member_id: str
    topic: str
    kind: str
    source_id: str
    root_id: str
    group_id: str | None
    actor_id: str
    value: float  # weight * 2^((created_at - epoch) / half_life)
    created_at: datetime


@dataclass(frozen=True, slots=True)
class EvidenceSeen:
    """Evidence as one viewer may see it: title and links only when `readable`."""

    member_id: str
    kind: str
    created_at: datetime
    readable: bool
    root_id: str | None
    source_id: str | None
    group_name: str | None
    title: str | None
    page_slug: str | None


@dataclass(frozen=True, slots=True)
class TopicScore:
    member_id: str
    username: str
    display_name: str
    topic: str
    stored_score: float  # at the reference epoch; see domain/expertise.py
    evidence_count: int
    level: Level | None
    headline: str
    field: str
    team: str
    location: str


@dataclass(frozen=True, slots=True)
class Explanation:
    text: str
    counts: dict[str, int]
    recent: dict[str, int]
    recent_days: int
    endorsed_by: int
    evidence: tuple[EvidenceSeen, ...]  # readable ones only, newest first, a few
    hidden: int  # evidence from groups the viewer cannot see: counted, never described


@dataclass(frozen=True, slots=True)
class Expert:
    entry: TopicScore
    score: float  # today's decayed score
    evidenced: bool  # False: declared only
    explanation: Explanation | None


@dataclass(frozen=True, slots=True)
class Ask:
    post: Post
    asker_username: str
    asked_at: datetime


@dataclass(frozen=True, slots=True)
class FaqPage:
    id: str
    group_id: str
    group_name: str
    slug: str
    title: str
    body: str
    body_html: str
    tags: tuple[str, ...]
    revision: int
    locked: bool
    source_post_id: str | None
    updated_by_username: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PageRevision:
    revision: int
    title: str
    body: str
    tags: tuple[str, ...]
    editor_username: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PageHit:
    page: FaqPage
    snippet_html: str
    rank: float
