"""Invitations: an admin creates a one-time link; the person who opens it joins as a member.

The secret travels only in the link; the database keeps its hash, like session tokens. An
unusable link (unknown, used, revoked, expired) is simply "not found": the page does not
say which, so links cannot be probed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from feedserver.domain import access, member_email
from feedserver.domain.ids import is_id, new_id
from feedserver.domain.members import (
    MIN_PASSWORD,
    USERNAME_RE,
    issue_token,
    token_hash,
)
from feedserver.domain.passwords import hash_password
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text
from feedserver.errors import Conflict, NotFound, ValidationFailed
from feedserver.models import Invitation, Member, Page, Viewer
from feedserver.store import groups as group_store
from feedserver.store import invitations as invitation_store
from feedserver.store import members as member_store

DEFAULT_DAYS = 14
MAX_DAYS = 90
MAX_NOTE = 200


@dataclass(frozen=True, slots=True)
class NewInvitation:
    invitation: Invitation
    token: str  # shown once, inside the link

    def path(self) -> str:
        return f"/join/{self.token}"


async def create(
    services: Services, viewer: Viewer, *, note: str = "", days: int = DEFAULT_DAYS,
    group: str = "", email: str = "",
) -> NewInvitation:  # fmt: skip
    """`group`: the name of a group the new member joins, as a member, on accepting;
    `email`: the address they get notification mail at, used at once (an admin gave it)."""
    access.require_admin(viewer)
    address = member_email.clean(email) if email else None
    assert viewer.member is not None
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed([{"field": "expires_in_days", "message": f"1 to {MAX_DAYS}"}])
    note = " ".join(clean_text(note).split())
    if len(note) > MAX_NOTE:
        raise ValidationFailed([{"field": "note", "message": f"at most {MAX_NOTE} characters"}])
    token = secrets.token_urlsafe(32)
    invitation_id = new_id()
    now = services.clock()
    async with services.db.write() as conn:
        joins = await group_store.by_name(conn, group) if group else None
        if group and joins is None:
            raise ValidationFailed([{"field": "group", "message": "no such group"}])
        await invitation_store.insert(
            conn, id=invitation_id, token_hash=token_hash(token), note=note,
            created_by=viewer.member.id, now=now, expires_at=now + timedelta(days=days),
            group_id=joins.id if joins else None,
        )  # fmt: skip
        if address is not None:
            await invitation_store.set_email(conn, invitation_id, address)
        found = await invitation_store.by_id(conn, invitation_id)
    assert found is not None
    return NewInvitation(found, token)


async def recent(
    services: Services, viewer: Viewer, *, cursor: str | None, limit: int
) -> Page[Invitation]:
    access.require_admin(viewer)
    async with services.db.read() as conn:
        found = await invitation_store.recent(conn, before=cursor, limit=limit + 1)
    return Page.of(found, limit, lambda item: item.id)


async def revoke(services: Services, viewer: Viewer, invitation_id: str) -> None:
    access.require_admin(viewer)
    async with services.db.write() as conn:
        if not is_id(invitation_id) or not await invitation_store.revoke(
            conn, invitation_id, services.clock()
        ):
            raise NotFound("No such open invitation")


async def usable(services: Services, token: str) -> Invitation:
    """The invitation behind a link, or NotFound when the link cannot be used."""
    async with services.db.read() as conn:
        found = await invitation_store.by_token_hash(conn, token_hash(token))
    if found is None or not found.usable(services.clock()):
        raise NotFound("This invitation link is not valid (used, revoked or expired?)")
    return found


async def accept(
    services: Services, token: str, *, username: str, display_name: str, password: str
) -> tuple[Member, str]:
    """Create the member and claim the invitation in one transaction; returns the member and
    a fresh session token, so joining also signs in."""
    await usable(services, token)  # a clear answer before the slow password hash
    errors = []
    if not USERNAME_RE.match(username):
        errors.append(
            {"field": "username", "message": "lowercase letters, digits, '-' or '_', 1-32"}
        )
    if len(password) < MIN_PASSWORD:
        errors.append({"field": "password", "message": f"at least {MIN_PASSWORD} characters"})
    if errors:
        raise ValidationFailed(errors)
    hashed = await hash_password(password, services.config.scrypt_n)
    member_id = new_id()
    name = " ".join(clean_text(display_name).split()) or username
    now = services.clock()
    async with services.db.write() as conn:
        if not await member_store.insert(
            conn, id=member_id, username=username, display_name=name[:100],
            password_hash=hashed, is_admin=False, now=now,
        ):  # fmt: skip
            raise Conflict(f"The username {username!r} is taken; pick another")
        if not await invitation_store.claim(conn, token_hash(token), member_id, now):
            # Someone else used the link meanwhile: raising rolls the new member back.
            raise NotFound("This invitation link is not valid (used, revoked or expired?)")
        if address := await invitation_store.email_of(conn, token_hash(token)):
            await member_email.set_by_admin(conn, member_id, address)
        claimed = await invitation_store.by_token_hash(conn, token_hash(token))
        if (
            claimed
            and claimed.group_name
            and (joins := await group_store.by_name(conn, claimed.group_name))
        ):
            await group_store.put_membership(
                conn, group_id=joins.id, member_id=member_id, role="member", now=now
            )
            await group_store.bump_version(conn, joins.id)
        member = await member_store.by_id(conn, member_id)
    assert member is not None
    return member, await issue_token(services, member)
