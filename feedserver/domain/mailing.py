"""The mail outbox as the sender sees it: claim what is due, find out what a claimed mail
may say (asking the access policy again, at send time), record how it went, and gather the
daily digests. Sending itself is the mail layer's (feedserver/mail/sender.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from feedserver.domain import access, mail_links, notifications
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.models import MailItem, Member, Notification, Viewer
from feedserver.models.feeds import FeedKey
from feedserver.store import feeds as feed_store
from feedserver.store import mail_outbox
from feedserver.store import notification_settings as settings_store
from feedserver.store import notifications as notification_store
from feedserver.store.db import Connection

DIGEST_PERIOD = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Prepared:
    item: MailItem
    member: Member
    address: str
    notifications: list[Notification]  # empty for a confirmation
    unsubscribe_url: str
    confirm_url: str | None = None


async def claim(services: Services, now: datetime, limit: int) -> list[MailItem]:
    lease = now + timedelta(seconds=services.config.mail_lease_seconds)
    async with services.db.write() as conn:
        return await mail_outbox.claim_due(conn, now, lease, limit)


async def prepare(services: Services, item: MailItem, now: datetime) -> Prepared | None:
    """What the mail may say now, or None (it is dropped): the member left, unsubscribed,
    has no address, or may no longer read anything it was about. A read; a write only for
    a member who has no feed key yet (the signed links need one)."""
    async with services.db.read() as conn:
        found = await _prepare(services, conn, item, None)
    if found is not False:
        return found
    async with services.db.write() as conn:
        key = await mail_links.key_for(conn, item.member_id, now)
        found = await _prepare(services, conn, item, key)
    assert found is not False
    return found


async def _prepare(
    services: Services, conn: Connection, item: MailItem, key: FeedKey | None
) -> Prepared | None | Literal[False]:
    """False: the member has no feed key yet (and `key` was not given)."""
    base = services.config.public_url
    member = await settings_store.active_member(conn, item.member_id)
    if member is None:
        return None
    if key is None:
        found_key = await feed_store.key_of(conn, member.id)
        if found_key is None:
            return False
        key = FeedKey(*found_key)
    unsubscribe = mail_links.unsubscribe_url(base, key)
    if item.kind == "confirm":
        pending = await settings_store.pending_email(conn, member.id)
        if pending is None:
            return None
        return Prepared(item, member, pending, [], unsubscribe,
                        mail_links.confirm_url(base, key, pending))  # fmt: skip
    address = await settings_store.email(conn, member.id)
    mode, _ = await settings_store.email_mode(conn, member.id)
    if address is None or mode == "never":
        return None
    if item.kind == "notification" and mode != "immediately":
        return None
    found = await notifications.visible(conn, Viewer(member), item.seqs)
    if not found:
        return None
    return Prepared(item, member, address, found, unsubscribe)


async def sent(services: Services, item: MailItem, now: datetime) -> None:
    async with services.db.write() as conn:
        await mail_outbox.finish(conn, item.id, "sent", now, "")


async def dropped(services: Services, item: MailItem, now: datetime) -> None:
    async with services.db.write() as conn:
        await mail_outbox.finish(conn, item.id, "dropped", now, "nothing left to send")


async def failed(
    services: Services, item: MailItem, now: datetime, error: str, *, retry_in: timedelta | None
) -> bool:
    """Record a failure: retried after `retry_in` if given and the mail is not too old, else
    given up (admins see it). Returns whether it will be retried."""
    give_up_at = item.created_at + timedelta(hours=services.config.mail_give_up_hours)
    async with services.db.write() as conn:
        if retry_in is not None and now + retry_in <= give_up_at:
            await mail_outbox.retry_later(conn, item.id, now + retry_in, error)
            return True
        await mail_outbox.finish(conn, item.id, "failed", now, error)
        return False


async def make_digests(services: Services, now: datetime, limit: int = 100) -> int:
    """One digest mail for each member whose day has passed, with everything waiting."""
    made = 0
    async with services.db.write() as conn:
        for member_id in await settings_store.digests_due(conn, now - DIGEST_PERIOD, limit):
            seqs = await notification_store.take_digest(conn, member_id)
            await settings_store.digest_sent(conn, member_id, now)
            if seqs and await settings_store.email(conn, member_id):
                await mail_outbox.enqueue(
                    conn, id=new_id(), member_id=member_id, kind="digest", seqs=seqs, now=now
                )
                made += 1
    return made


async def next_due(services: Services) -> datetime | None:
    async with services.db.read() as conn:
        return await mail_outbox.next_due(conn)


async def outbox(
    services: Services, viewer: Viewer, *, state: str | None, after: str | None, limit: int
) -> tuple[list[dict[str, object]], str | None]:
    """The outbox for admins (where each mail stands, never its text)."""
    access.require_admin(viewer)
    async with services.db.read() as conn:
        found = await mail_outbox.listing(conn, state, after, limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return found, str(found[-1]["id"]) if more else None
