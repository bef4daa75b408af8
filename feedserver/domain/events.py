"""Domain events: what happened, published inside the transaction that made it happen.

The domain says what it did (a post was written, an answer accepted, a profile saved) and
never who cares: federation signs objects and queues deliveries, and later features
(notifications, shared groups) subscribe the same way. Subscribers run inside the caller's
write transaction, so what they store (a proof, a queued delivery, a mail in an outbox)
commits or rolls back with the write that caused it.

A subscriber must not do I/O beyond the connection it is given: one that needs the network
writes a durable row here and acts after the commit (the delivery queue's worker, say).
Subscriptions are made once, when the server is wired (`app.py`, `cli.py`); store-only
tests use an empty registry and the domain behaves the same, minus the side effects.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from feedserver.models import CachedPost, FaqPage, Post, Profile
from feedserver.store.db import Connection


@dataclass(frozen=True, slots=True)
class PostWritten:
    """A post or reply was created (`created`) or edited; `post` is as stored now."""

    post: Post
    created: bool


@dataclass(frozen=True, slots=True)
class PostDeleted:
    post: Post
    by_member_id: str


@dataclass(frozen=True, slots=True)
class MemberDeleted:
    """An admin deleted a member, renamed from `old_username` to `new_username`: their posts
    removed (`content` "remove") or kept under the new name ("anonymize"). Published after
    the rename, in its transaction."""

    member_id: str
    old_username: str
    new_username: str
    content: str


@dataclass(frozen=True, slots=True)
class AnswerAccepted:
    """`answer_id` became the accepted answer of `question` (None: the choice was withdrawn,
    `previous_id` was the accepted one)."""

    question: Post
    answer_id: str | None
    previous_id: str | None
    by_member_id: str


@dataclass(frozen=True, slots=True)
class HelpfulMarked:
    """`by_member_id` marked `post` helpful (`helpful`) or took the mark back."""

    post: Post
    by_member_id: str
    helpful: bool


@dataclass(frozen=True, slots=True)
class QuestionRouted:
    """A question was routed to an expert ("asked of you")."""

    question: Post
    expert_id: str
    by_member_id: str


@dataclass(frozen=True, slots=True)
class PageRevised:
    """A FAQ page got a new revision (the first one too); `page` is as stored now."""

    page: FaqPage
    editor_id: str


@dataclass(frozen=True, slots=True)
class ProfileSaved:
    """A member's profile was replaced; `was_sharing` is its sharing before the change."""

    profile: Profile
    was_sharing: str


@dataclass(frozen=True, slots=True)
class MembershipChanged:
    """A member joined a group, changed role (`role`) or left it (`role` None)."""

    group_id: str
    member_id: str
    role: str | None


@dataclass(frozen=True, slots=True)
class SharedGroupChanged:
    """Who a group is shared with may have changed: its visibility, its partner list or its
    remote members. Federation brings every partner's copy in line (sent, updated, deleted)."""

    group_id: str


@dataclass(frozen=True, slots=True)
class JoinRequested:
    """`member_id` asked to join a group that needs approval."""

    group_id: str
    member_id: str


@dataclass(frozen=True, slots=True)
class JoinApproved:
    """An owner or mentor (`by_member_id`) let `member_id` in on their request."""

    group_id: str
    member_id: str
    by_member_id: str


@dataclass(frozen=True, slots=True)
class PartnerJoinDecided:
    """On the hosting server: an owner or mentor answered the request of a partner's member
    (`actor_id` on `host`, their `Join` `activity_id`) to join a shared group: approved (they
    are a remote member now) or declined. Federation tells their server."""

    group_id: str
    host: str
    actor_id: str
    activity_id: str
    approved: bool


@dataclass(frozen=True, slots=True)
class PartnerJoinDeclined:
    """On a member server: the host of a partner's group (`address`, name@host) declined our
    member's request to join it."""

    member_id: str
    address: str
    title: str


@dataclass(frozen=True, slots=True)
class MatchPublished:
    """A mentoring program's matching was published: each pair is (mentor_id, mentee_id,
    cohort group_id)."""

    program_name: str
    pairs: tuple[tuple[str, str, str], ...]
    by_member_id: str


@dataclass(frozen=True, slots=True)
class CopyPostArrived:
    """A new post of a partner's group (`group_actor`) arrived in our copy from its host;
    `mentioned`: the usernames of ours it mentions."""

    group_actor: str
    post: CachedPost
    mentioned: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CopyAnswerAccepted:
    """The host of a partner's group says `answer` is the accepted answer of `question`."""

    group_actor: str
    question: CachedPost
    answer: CachedPost


@dataclass(frozen=True, slots=True)
class PartnerWriteRefused:
    """The host of a partner's group would not take what `member_id`, our member, wrote or
    did there (`what`: question, answer, reply, edit, accept, removal, helpful), or could
    not be reached for good; `address` is the group's name@host."""

    member_id: str
    group_actor: str
    address: str
    what: str


@dataclass(frozen=True, slots=True)
class EvidenceChanged:
    """The expertise evidence of these members changed (up or down), or what of it may be
    named changed (a group's visibility): their scores and explanations are different."""

    member_ids: frozenset[str]


Event = (
    PostWritten
    | PostDeleted
    | MemberDeleted
    | AnswerAccepted
    | HelpfulMarked
    | QuestionRouted
    | PageRevised
    | ProfileSaved
    | MembershipChanged
    | EvidenceChanged
    | SharedGroupChanged
    | JoinRequested
    | JoinApproved
    | PartnerJoinDecided
    | PartnerJoinDeclined
    | MatchPublished
    | PartnerWriteRefused
    | CopyPostArrived
    | CopyAnswerAccepted
)
E = TypeVar("E", bound=Event)
Subscriber = Callable[[Connection, Any], Awaitable[None]]


class EventRegistry:
    """Subscribers by event type, run in the order they subscribed."""

    def __init__(self) -> None:
        self._subscribers: dict[type[Any], list[Subscriber]] = {}

    def subscribe(
        self, kind: type[E], subscriber: Callable[[Connection, E], Awaitable[None]]
    ) -> None:
        self._subscribers.setdefault(kind, []).append(subscriber)

    async def publish(self, conn: Connection, event: Event) -> None:
        """Run every subscriber of the event's type, in the caller's transaction; a
        subscriber's exception aborts the write (nothing half-done stays)."""
        for subscriber in self._subscribers.get(type(event), ()):
            await subscriber(conn, event)
