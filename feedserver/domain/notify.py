"""Who hears about what: subscribers to the domain's events that write notifications (and
the mail outbox rows for them) in the event's own transaction.

Access first: a notification is written only for a member the policy lets read the group
(access.decide, as every read path), and every read of it asks again (domain/notifications).
A mention of someone who cannot read the group writes nothing, so it reveals nothing.
The sender is only woken here; it claims the outbox rows in a write of its own, which
returns after this transaction's commit, so nothing is sent for a write that rolled back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from feedserver.domain import access, mentions
from feedserver.domain.events import (
    AnswerAccepted,
    CopyAnswerAccepted,
    CopyPostArrived,
    EventRegistry,
    HelpfulMarked,
    JoinApproved,
    JoinRequested,
    MatchPublished,
    MembershipChanged,
    PageRevised,
    PartnerJoinDeclined,
    PartnerWriteRefused,
    PostDeleted,
    PostWritten,
    QuestionRouted,
)
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.models import Group, Post, Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import groups as group_store
from feedserver.store import mail_outbox
from feedserver.store import notification_settings as settings_store
from feedserver.store import notifications as store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

# What involves the member directly: mailed at once in 'immediately' mode. The rest (helpful
# marks, new posts in watched groups) shows in the app and the daily digest only.
MAILED_AT_ONCE = frozenset(
    {"answer", "reply", "accepted", "asked", "mention", "join_request", "join_approved",
     "join_declined", "page_changed", "match_published", "write_refused"}
)  # fmt: skip
# Kinds a muted group still sends: they are about membership, not its posts.
UNMUTED = frozenset({"join_request", "join_approved", "join_declined", "match_published"})


@dataclass(frozen=True, slots=True)
class About:
    kind: str
    group: Group | None
    post_id: str | None = None
    thread_id: str | None = None
    actor_id: str | None = None
    subject: str = ""
    copy: str | None = None  # a copy of a partner's group (its actor id), not a group of ours
    copy_post: str | None = None  # a post of that copy (its object id)


class Notifier:
    def __init__(self, services: Services, wake_sender: Callable[[], None]) -> None:
        self.services = services
        self.wake_sender = wake_sender

    async def notify(self, conn: Connection, member_id: str, about: About) -> bool:
        """One notification, if the member may read what it is about; False if not."""
        if member_id == about.actor_id:
            return False
        found = await settings_store.recipient(
            conn, member_id, about.group.id if about.group else None
        )
        if found is None:
            return False
        member, membership, level, mode, email = found
        if about.copy is not None:
            copy = await cached_store.by_actor(conn, about.copy, member_id)
            if copy is None or not access.cached_group_access(Viewer(member), copy).can_read:
                return False
        if about.group is not None:
            if not access.decide(Viewer(member), about.group, membership).can_read:
                return False
            if about.kind not in UNMUTED and level == "muted":
                return False
        now = self.services.clock()
        count = 1
        if about.kind == "helpful" and about.post_id is not None:
            count += await store.take_unread(conn, member_id, "helpful", about.post_id)
        seq = await store.insert(
            conn, member_id=member_id, kind=about.kind,
            group_id=about.group.id if about.group else None, post_id=about.post_id,
            thread_id=about.thread_id, actor_id=about.actor_id, subject=about.subject,
            now=now, digest=mode == "digest", count=count, cached_group=about.copy,
            cached_post=about.copy_post,
        )  # fmt: skip
        if (
            mode == "immediately"
            and about.kind in MAILED_AT_ONCE
            and self.services.config.smtp_host
            and email
        ):
            await mail_outbox.enqueue(
                conn, id=new_id(), member_id=member_id, kind="notification", seqs=(seq,), now=now
            )
            self.wake_sender()
        return True

    async def _group(self, conn: Connection, group_id: str) -> Group:
        group = await group_store.by_id(conn, group_id)
        assert group is not None  # the event's transaction still holds it
        return group

    # -- posts ------------------------------------------------------------------------------

    async def post_written(self, conn: Connection, event: PostWritten) -> None:
        if not event.created:
            return
        post = event.post
        group = await self._group(conn, post.group_id)
        thread_id = post.parent_id or post.id
        told: set[str] = {post.author_id}
        if post.parent_id is not None:
            parent = await post_store.get(conn, post.parent_id)
            if parent is not None and parent.author_id not in told:
                told.add(parent.author_id)
                await self.notify(conn, parent.author_id, About(
                    post.kind, group, post.id, thread_id, post.author_id
                ))  # fmt: skip
        for member in await self._mentioned(conn, post):
            if member not in told:
                told.add(member)
                await self.notify(
                    conn, member, About("mention", group, post.id, thread_id, post.author_id)
                )
        for member in await settings_store.levels_in_group(conn, group.id, "watching"):
            if member not in told:
                told.add(member)
                await self.notify(
                    conn, member, About("new_post", group, post.id, thread_id, post.author_id)
                )

    async def _mentioned(self, conn: Connection, post: Post) -> list[str]:
        host = self.services.config.public_host
        names = mentions.local_usernames(f"{post.title}\n{post.body}", host)
        return [m.id for m in await settings_store.active_by_usernames(conn, names)]

    async def post_deleted(self, conn: Connection, event: PostDeleted) -> None:
        await store.delete_about_posts(conn, [event.post.id])

    async def answer_accepted(self, conn: Connection, event: AnswerAccepted) -> None:
        if event.answer_id is None:
            return
        answer = await post_store.get(conn, event.answer_id)
        if answer is None:
            return
        group = await self._group(conn, answer.group_id)
        await self.notify(conn, answer.author_id, About(
            "accepted", group, answer.id, event.question.id, event.by_member_id
        ))  # fmt: skip

    async def helpful_marked(self, conn: Connection, event: HelpfulMarked) -> None:
        if not event.helpful:
            return
        post = event.post
        group = await self._group(conn, post.group_id)
        await self.notify(conn, post.author_id, About(
            "helpful", group, post.id, post.parent_id or post.id, event.by_member_id
        ))  # fmt: skip

    async def question_routed(self, conn: Connection, event: QuestionRouted) -> None:
        q = event.question
        group = await self._group(conn, q.group_id)
        await self.notify(conn, event.expert_id, About("asked", group, q.id, q.id,
                                                       event.by_member_id))  # fmt: skip

    async def page_revised(self, conn: Connection, event: PageRevised) -> None:
        page = event.page
        group = await self._group(conn, page.group_id)
        for member in sorted(await settings_store.page_editors(conn, page.id)):
            await self.notify(conn, member, About(
                "page_changed", group, actor_id=event.editor_id, subject=page.slug
            ))  # fmt: skip

    # -- groups and mentoring ---------------------------------------------------------------

    async def membership_changed(self, conn: Connection, event: MembershipChanged) -> None:
        """Leaving a group takes its notifications along, unless the group stays readable."""
        if event.role is not None:
            return
        member = await settings_store.active_member(conn, event.member_id)
        group = await group_store.by_id(conn, event.group_id)
        if (
            member is None
            or group is None
            or not access.decide(Viewer(member), group, None).can_read
        ):
            await store.delete_in_group(conn, event.member_id, event.group_id)

    async def join_requested(self, conn: Connection, event: JoinRequested) -> None:
        group = await self._group(conn, event.group_id)
        for member in sorted(await settings_store.moderators(conn, group.id)):
            await self.notify(conn, member, About("join_request", group, actor_id=event.member_id))

    async def join_approved(self, conn: Connection, event: JoinApproved) -> None:
        group = await self._group(conn, event.group_id)
        await self.notify(
            conn, event.member_id, About("join_approved", group, actor_id=event.by_member_id)
        )

    async def partner_join_declined(self, conn: Connection, event: PartnerJoinDeclined) -> None:
        """A partner's group (not one of ours: no group row) declined our member's ask."""
        await self.notify(conn, event.member_id, About(
            "join_declined", None, subject=f"{event.title} ({event.address})"
        ))  # fmt: skip

    async def match_published(self, conn: Connection, event: MatchPublished) -> None:
        for mentor_id, mentee_id, group_id in event.pairs:
            group = await self._group(conn, group_id)
            for member, other in ((mentee_id, mentor_id), (mentor_id, mentee_id)):
                await self.notify(conn, member, About(
                    "match_published", group, actor_id=other, subject=event.program_name
                ))  # fmt: skip

    # -- copies of partners' groups ----------------------------------------------------------

    async def partner_write_refused(self, conn: Connection, event: PartnerWriteRefused) -> None:
        # The subject names what and where (the copy may be gone by the time it is read).
        await self.notify(conn, event.member_id, About(
            "write_refused", None, subject=f"{event.what} {event.address}",
            copy=event.group_actor,
        ))  # fmt: skip

    async def copy_post_arrived(self, conn: Connection, event: CopyPostArrived) -> None:
        """A post of a partner's group that answers or replies to one our member wrote there,
        or mentions our members (`@name@our-host`); the first reason wins, as locally."""
        post, group = event.post, event.group_actor
        told = {post.writer_id} if post.writer_id else set()
        if post.parent_id is not None:
            parent = await cached_store.post(conn, group, post.parent_id)
            if parent is not None and parent.writer_id and parent.writer_id not in told:
                told.add(parent.writer_id)
                await self.notify(conn, parent.writer_id, About(
                    post.kind, None, copy=group, copy_post=post.object_id
                ))  # fmt: skip
        for member in await settings_store.active_by_usernames(conn, list(event.mentioned)):
            if member.id not in told:
                told.add(member.id)
                await self.notify(
                    conn, member.id, About("mention", None, copy=group, copy_post=post.object_id)
                )

    async def copy_answer_accepted(self, conn: Connection, event: CopyAnswerAccepted) -> None:
        writer = event.answer.writer_id
        if writer is None or writer == event.question.writer_id:
            return  # not our member's, or they accepted their own
        await self.notify(conn, writer, About(
            "accepted", None, copy=event.group_actor, copy_post=event.answer.object_id
        ))  # fmt: skip


def subscribe(events: EventRegistry, notifier: Notifier) -> None:
    events.subscribe(PostWritten, notifier.post_written)
    events.subscribe(PostDeleted, notifier.post_deleted)
    events.subscribe(AnswerAccepted, notifier.answer_accepted)
    events.subscribe(HelpfulMarked, notifier.helpful_marked)
    events.subscribe(QuestionRouted, notifier.question_routed)
    events.subscribe(PageRevised, notifier.page_revised)
    events.subscribe(MembershipChanged, notifier.membership_changed)
    events.subscribe(JoinRequested, notifier.join_requested)
    events.subscribe(JoinApproved, notifier.join_approved)
    events.subscribe(PartnerJoinDeclined, notifier.partner_join_declined)
    events.subscribe(MatchPublished, notifier.match_published)
    events.subscribe(PartnerWriteRefused, notifier.partner_write_refused)
    events.subscribe(CopyPostArrived, notifier.copy_post_arrived)
    events.subscribe(CopyAnswerAccepted, notifier.copy_answer_accepted)
