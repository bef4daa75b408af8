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


# --- Expertise, routing and FAQ pages (issue 4) ---

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

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and now < self.expires_at


# --- Mentoring programs (issue 7) ---

PairingStatus = Literal["active", "completed", "ended", "rematch"]


@dataclass(frozen=True, slots=True)
class Program:
    id: str
    name: str
    description: str
    enrol_opens_at: datetime | None
    enrol_closes_at: datetime | None
    default_capacity: int
    weights: dict[str, float | bool]  # matching.Weights fields
    exclude_reporting_line: bool
    created_by: str
    created_at: datetime
    owner_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MentorEnrolment:
    program_id: str
    member: Member
    topics: tuple[str, ...]
    capacity: int
    manager_id: str | None
    team: str  # from the expertise profile ('' when none)
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class MenteeEnrolment:
    program_id: str
    member: Member
    goals: tuple[str, ...]  # most important first
    same_team: str
    priority: str
    avoid: tuple[str, ...]  # member ids
    manager_id: str | None
    team: str
    enrolled_at: datetime


@dataclass(frozen=True, slots=True)
class ProposalEntry:
    mentee: Member
    mentor: Member | None  # None: unmatched, `reasons` says why
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ProgramProposal:
    id: str
    program_id: str
    status: str
    created_at: datetime
    entries: tuple[ProposalEntry, ...]  # ordered by mentee username

    @property
    def total_score(self) -> float:
        return sum(e.score for e in self.entries if e.mentor is not None)


@dataclass(frozen=True, slots=True)
class Pairing:
    id: str
    program_id: str
    mentor: Member
    mentee: Member
    group_id: str
    group_name: str
    score: float
    reasons: tuple[str, ...]
    status: PairingStatus
    created_at: datetime
    closed_at: datetime | None
    close_note: str


@dataclass(frozen=True, slots=True)
class PairActivity:
    """A pair's activity in its cohort group, counted from the posts themselves."""

    pairing: Pairing
    posts: int  # top-level posts by the mentee
    answers: int  # answers to the mentee's questions, by anyone
    mentor_answers: int  # of those, by the mentor
    accepted_answers: int  # the mentee's questions with an accepted answer


@dataclass(frozen=True, slots=True)
class SilentMember:
    member: Member
    joined_at: datetime
    last_posted_at: datetime | None  # None: never posted in the group


@dataclass(frozen=True, slots=True)
class CohortOverview:
    program: Program
    group: Group
    mentees: tuple[Member, ...]  # active pairings
    unanswered: tuple[Post, ...]  # questions without any answer, oldest first
    silent: tuple[SilentMember, ...]
    recent: tuple[Post, ...]  # newest first, replies included
