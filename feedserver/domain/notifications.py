"""Reading notifications and changing how they come, for the member they are for. Every
read asks the access policy again: what the member may no longer read is not shown."""

from __future__ import annotations

from dataclasses import dataclass

from feedserver.domain import access, mail_links
from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_tokens as tokens
from feedserver.domain.services import Services
from feedserver.errors import NotFound, ValidationFailed
from feedserver.models import (
    EMAIL_MODES,
    LEVELS,
    Notification,
    NotificationSettings,
    Page,
    ReadScope,
    Viewer,
)
from feedserver.store import notification_settings as settings_store
from feedserver.store import notifications as store
from feedserver.store.db import Connection

# Kinds shown only while the member still moderates the group (decide: can_moderate).
MODERATOR_KINDS = ("join_request",)


@dataclass(frozen=True, slots=True)
class Inbox:
    page: Page[Notification]
    unread: int


def _scope(viewer: Viewer) -> tuple[str, ReadScope, tuple[str, ...]]:
    """The member, what they may read (access.read_scope), and the kinds needing a role."""
    access.require_member(viewer)
    assert viewer.member is not None
    return viewer.member.id, access.read_scope(viewer), (() if viewer.is_admin else MODERATOR_KINDS)


async def visible(conn: Connection, viewer: Viewer, seqs: tuple[int, ...]) -> list[Notification]:
    """These notifications of the viewer's, as far as they may still read them (mail)."""
    member_id, scope, moderated = _scope(viewer)
    return await store.by_seqs(conn, member_id, scope, moderated, seqs)


async def inbox(
    services: Services, viewer: Viewer, *, before: int | None, limit: int,
    unread_only: bool = False,
) -> Inbox:  # fmt: skip
    member_id, scope, moderated = _scope(viewer)
    async with services.db.read() as conn:
        found = await store.page(
            conn, member_id, scope, moderated, before=before, limit=limit + 1,
            unread_only=unread_only,
        )  # fmt: skip
        unread = await store.unread_count(conn, member_id, scope, moderated)
    return Inbox(Page.of(found, limit, lambda n: str(n.seq)), unread)


async def unread_count(services: Services, viewer: Viewer) -> int:
    member_id, scope, moderated = _scope(viewer)
    async with services.db.read() as conn:
        return await store.unread_count(conn, member_id, scope, moderated)


async def mark_read(services: Services, viewer: Viewer, seq: int | None) -> None:
    """One notification (NotFound if it is not the viewer's to see) or all of them."""
    member_id, scope, moderated = _scope(viewer)
    async with services.db.write() as conn:
        if seq is not None and not await store.by_seqs(conn, member_id, scope, moderated, (seq,)):
            raise NotFound("No such notification")
        await store.mark_read(conn, member_id, seq, services.clock())


async def settings(services: Services, viewer: Viewer) -> NotificationSettings:
    member_id, scope, _ = _scope(viewer)
    async with services.db.read() as conn:
        return await _settings(conn, member_id, scope)


async def _settings(conn: Connection, member_id: str, scope: ReadScope) -> NotificationSettings:
    """The member's settings; levels only of groups they may still read (`scope`)."""
    mode, _ = await settings_store.email_mode(conn, member_id)
    return NotificationSettings(
        email=await settings_store.email(conn, member_id),
        email_pending=await settings_store.pending_email(conn, member_id),
        email_mode=mode,  # type: ignore[arg-type]
        levels=await settings_store.levels(conn, member_id, scope),  # type: ignore[arg-type]
    )


async def update_settings(
    services: Services, viewer: Viewer, *, email_mode: str | None,
    levels: dict[str, str] | None,
) -> NotificationSettings:  # fmt: skip
    """Change the mail mode and per-group levels (of groups the viewer may read; a group
    they may not read does not exist, as everywhere)."""
    member_id, scope, _ = _scope(viewer)
    if email_mode is not None and email_mode not in EMAIL_MODES:
        raise ValidationFailed([{"field": "email_mode", "message": "not a mail mode"}])
    async with services.db.write() as conn:
        for name, level in sorted((levels or {}).items()):
            if level not in LEVELS:
                raise ValidationFailed([{"field": f"levels/{name}", "message": "not a level"}])
            found = await access.readable_group(conn, viewer, name)
            await settings_store.set_level(conn, member_id, found.group.id, level)
        if email_mode is not None:
            await settings_store.set_email_mode(conn, member_id, email_mode, services.clock())
        return await _settings(conn, member_id, scope)


async def group_level(services: Services, viewer: Viewer, group_name: str) -> str:
    member_id, _, _ = _scope(viewer)
    async with services.db.read() as conn:
        found = await access.readable_group(conn, viewer, group_name)
        return await settings_store.level(conn, member_id, found.group.id)


FEED_SIZE = 50


async def feed(services: Services, token: str | None) -> tuple[Viewer, list[Notification]]:
    """The member's notifications feed, opened by a feed token like every feed: whatever is
    wrong (no token, another feed's, a rotated secret) is the same NotFound."""
    async with services.db.read() as conn:
        member = await mail_links.signed_member(conn, token, paths.NOTIFICATIONS)
        if member is None or await settings_store.active_member(conn, member.id) is None:
            raise NotFound("No such feed")
        viewer = Viewer(member)
        member_id, scope, moderated = _scope(viewer)
        items = await store.page(conn, member_id, scope, moderated, before=None, limit=FEED_SIZE)
    return viewer, items


async def feed_url(services: Services, viewer: Viewer) -> str:
    """The viewer's notifications feed URL (their feed key is made on first use)."""
    member_id, _, _ = _scope(viewer)
    async with services.db.write() as conn:
        key = await mail_links.key_for(conn, member_id, services.clock())
    path = paths.NOTIFICATIONS
    return f"{services.config.public_url}{path}?token={tokens.token_for(key, path)}"
