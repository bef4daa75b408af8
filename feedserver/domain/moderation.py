"""Moderation rules: list members with their standing, suspend and unsuspend, promote and
demote admins, reset a password, delete a member, and the audit log of all of it.

Who acts is a `Viewer` (an admin, through the API) or None: the operator at the command
line, who holds the data directory and so is trusted already. Every action is recorded in the
audit log in the action's own transaction, never with a secret.

Credentials are revoked, never only disabled: suspending, resetting a password or deleting
deletes every session, bearer token and the feed secret, and revokes the unused invitation
links the member made, all in one transaction; and the token and feed lookups also refuse a
suspended member, so nothing issued before (or raced in during) the change works.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from typing import Literal

from feedserver.domain import access, expertise
from feedserver.domain.events import MemberDeleted, PostDeleted
from feedserver.domain.passwords import hash_password
from feedserver.domain.services import Services
from feedserver.errors import Conflict, NotFound, ValidationFailed
from feedserver.models import AuditEntry, Member, MemberStanding, Page, Viewer
from feedserver.store import groups as group_store
from feedserver.store import members as member_store
from feedserver.store import moderation as store
from feedserver.store import posts as post_store
from feedserver.store import profiles as profile_store
from feedserver.store.db import Connection

ContentChoice = Literal["remove", "anonymize"]
# Queues the withdrawal of a member's profile from partners, in the caller's transaction.
# Federation's job: federation/moderation.py passes it in (domain never imports federation).
WithdrawProfile = Callable[[Connection, Services, Member], Awaitable[None]]
CONTENT_CHOICES: tuple[str, ...] = ("remove", "anonymize")
STATES: tuple[str, ...] = ("active", "suspended", "deleted")
DELETED_NAME = "Deleted member"
MIN_PASSWORD = 10


def _actor(by: Viewer | None) -> str:
    """The admin's username for the log (after checking they are one), or 'cli'."""
    if by is None:
        return "cli"
    access.require_admin(by)
    assert by.member is not None
    return by.member.username


async def _subject(conn: Connection, username: str) -> MemberStanding:
    found = await store.standing(conn, username)
    if found is None:
        raise NotFound("No such member")
    return found


def _not_self(by: Viewer | None, subject: MemberStanding, what: str) -> None:
    if by is not None and by.member_id == subject.member.id:
        raise Conflict(f"An admin cannot {what} themselves; ask another admin")


def _not_deleted(subject: MemberStanding) -> None:
    if subject.deleted_at is not None:
        raise Conflict("That member was deleted")


async def _keep_an_admin(conn: Connection, subject: MemberStanding) -> None:
    """The server must always have an admin who can act (not suspended, not deleted)."""
    if (
        subject.state == "active"
        and subject.member.is_admin
        and await store.active_admins(conn) <= 1
    ):
        raise Conflict("That is the last active admin; promote another member first")


async def list_members(
    services: Services, by: Viewer | None, *, state: str | None, after: str | None, limit: int
) -> Page[MemberStanding]:
    _actor(by)
    if state is not None and state not in STATES:
        raise ValidationFailed([{"field": "state", "message": f"one of {', '.join(STATES)}"}])
    async with services.db.read() as conn:
        found = await store.list_page(conn, after=after, limit=limit + 1, state=state)
    return Page.of(found, limit, lambda item: item.member.username)


async def suspend(services: Services, by: Viewer | None, username: str) -> MemberStanding:
    """Content stays; the member is a stranger from now on: logged out everywhere, every
    token and feed URL dead, and no new login. Suspending twice changes nothing."""
    actor = _actor(by)
    now = services.clock()
    async with services.db.write() as conn:
        subject = await _subject(conn, username)
        _not_deleted(subject)
        _not_self(by, subject, "suspend")
        if subject.suspended_at is None:
            await _keep_an_admin(conn, subject)
            await store.set_suspended(conn, subject.member.id, now)
        revoked = await store.revoke_credentials(conn, subject.member.id, services.clock())
        await store.audit(conn, at=now, actor=actor, action="suspend", subject=username,
                          detail=f"{revoked} token(s) revoked")  # fmt: skip
        changed = await store.standing_by_id(conn, subject.member.id)
    assert changed is not None
    return changed


async def unsuspend(services: Services, by: Viewer | None, username: str) -> MemberStanding:
    """The member may log in again; nothing revoked comes back (new logins, new feed URLs)."""
    actor = _actor(by)
    async with services.db.write() as conn:
        subject = await _subject(conn, username)
        _not_deleted(subject)
        await store.set_suspended(conn, subject.member.id, None)
        await store.audit(conn, at=services.clock(), actor=actor, action="unsuspend",
                          subject=username)  # fmt: skip
        changed = await store.standing_by_id(conn, subject.member.id)
    assert changed is not None
    return changed


async def set_admin(
    services: Services, by: Viewer | None, username: str, *, is_admin: bool
) -> MemberStanding:
    """Promote or demote; never the last active admin away."""
    actor = _actor(by)
    async with services.db.write() as conn:
        subject = await _subject(conn, username)
        _not_deleted(subject)
        if subject.member.is_admin and not is_admin:
            await _keep_an_admin(conn, subject)
        await store.set_admin(conn, subject.member.id, is_admin)
        await store.audit(conn, at=services.clock(), actor=actor,
                          action="promote" if is_admin else "demote", subject=username)  # fmt: skip
        changed = await store.standing_by_id(conn, subject.member.id)
    assert changed is not None
    return changed


async def reset_password(
    services: Services, by: Viewer | None, username: str, password: str
) -> int:
    """A new password, and every credential issued under the old one revoked: sessions,
    personal tokens and feed URLs (whoever knew the old password could have read and kept
    all of those). Returns how many tokens were revoked."""
    actor = _actor(by)
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(
            [{"field": "password", "message": f"at least {MIN_PASSWORD} characters"}]
        )
    hashed = await hash_password(password, services.config.scrypt_n)
    async with services.db.write() as conn:
        subject = await _subject(conn, username)
        _not_deleted(subject)
        await member_store.set_password_hash(conn, subject.member.id, hashed)
        revoked = await store.revoke_credentials(conn, subject.member.id, services.clock())
        await store.audit(conn, at=services.clock(), actor=actor, action="password-reset",
                          subject=username, detail=f"{revoked} token(s) revoked")  # fmt: skip
    return revoked


async def delete(
    services: Services,
    by: Viewer | None,
    username: str,
    *,
    content: str,
    withdraw_profile: WithdrawProfile,
) -> MemberStanding:
    """Delete a member. `remove` deletes their posts and replies (with tombstones, as the
    author deleting them would; a question goes with its answers); `anonymize` keeps them
    under a new name. Either way the member is renamed, stripped of everything personal and
    can never log in; a profile shared with partners is withdrawn from them (a queued
    `Delete`), and `MemberDeleted` carries the rest to partners' copies and groups. FAQ
    pages are the group's documents and stay, credited to the new name."""
    actor = _actor(by)
    if content not in CONTENT_CHOICES:
        raise ValidationFailed([{"field": "content", "message": "remove or anonymize"}])
    now = services.clock()
    async with services.db.write() as conn:
        subject = await _subject(conn, username)
        _not_deleted(subject)
        _not_self(by, subject, "delete")
        await _keep_an_admin(conn, subject)
        member = subject.member
        removed = 0
        if content == "remove":
            for post_id in await store.authored_posts(conn, member.id):
                post = await post_store.get(conn, post_id)
                if post is None:  # went with its thread, removed just before
                    continue
                await expertise.on_deleted(conn, services, post.id)
                removed += len(await post_store.delete(conn, post, now))
                # As the author deleting it: its notifications go, and the copies of a group
                # shared with partner servers are sent its Delete.
                deleted_by = by.member_id if by is not None else None
                await services.events.publish(conn, PostDeleted(post, deleted_by or member.id))
        sharing, _ = await profile_store.sharing_and_cap(
            conn, member.id, services.config.expertise_default_ask_cap
        )
        if sharing == "partners":  # named by username: withdraw it before the rename
            await withdraw_profile(conn, services, member)
        for group_id in await store.authored_groups(conn, member.id):
            await group_store.bump_version(conn, group_id)  # feeds show the author's name
        new_name = f"deleted-{secrets.token_hex(4)}"
        await store.strip_member(
            conn, member.id, username=new_name, display_name=DELETED_NAME, now=now
        )
        # Federation follows: copies of shared groups show the new name, and the posts they
        # wrote in partners' groups are withdrawn with them (federation/erasure.py).
        await services.events.publish(
            conn, MemberDeleted(member.id, username, new_name, content)
        )  # fmt: skip
        await store.audit(conn, at=now, actor=actor, action="delete", subject=username,
                          detail=f"content={content} posts_removed={removed}"
                                 f" renamed={new_name}")  # fmt: skip
        changed = await store.standing_by_id(conn, member.id)
    assert changed is not None
    return changed


async def audit_log(
    services: Services, by: Viewer | None, *, before: int | None, limit: int
) -> Page[AuditEntry]:
    _actor(by)
    async with services.db.read() as conn:
        found = await store.audit_page(conn, before=before, limit=limit + 1)
    return Page.of(found, limit, lambda entry: str(entry.seq))
