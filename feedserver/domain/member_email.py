"""Members' email addresses: an admin's is used at once (a new member, an invitation); one a
member gives themselves waits until the link mailed to it is opened."""

from __future__ import annotations

import re
from collections.abc import Callable

from feedserver.domain import access, mail_links
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import Conflict, NotFound, ValidationFailed
from feedserver.models import Viewer
from feedserver.store import mail_outbox
from feedserver.store import notification_settings as settings_store
from feedserver.store.db import Connection

# One @, no spaces or angle brackets, a dotted domain: a shape check, the SMTP server decides.
_ADDRESS = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$")


def clean(address: str, field: str = "email") -> str:
    address = address.strip()
    if len(address) > 254 or not _ADDRESS.match(address) or "." not in address.split("@")[1]:
        raise ValidationFailed([{"field": field, "message": "not an email address"}])
    return address


async def set_by_admin(conn: Connection, member_id: str, address: str | None) -> None:
    """An address an admin gave (creating the member, inviting them): used at once."""
    await settings_store.set_email(conn, member_id, clean(address) if address else None)


async def request_change(
    services: Services, viewer: Viewer, address: str, wake_sender: Callable[[], None]
) -> None:
    """The member's own new address: kept aside, and a confirmation link mailed to it."""
    access.require_member(viewer)
    assert viewer.member is not None
    address = clean(address)
    if not services.config.smtp_host:
        raise Conflict("This server sends no mail (no smtp_host is set)")
    now = services.clock()
    async with services.db.write() as conn:
        await settings_store.put_pending_email(conn, viewer.member.id, address, now)
        await mail_outbox.enqueue(
            conn, id=new_id(), member_id=viewer.member.id, kind="confirm", seqs=(), now=now
        )
        wake_sender()


async def confirm(services: Services, token: str | None, address: str) -> str:
    """Open a confirmation link: the address becomes the member's; returns their username.
    Any mismatch (another member's link, a changed request, a rotated secret) is NotFound."""
    async with services.db.write() as conn:
        member = await mail_links.confirming(conn, token, address)
        if member is None or not await settings_store.take_pending_email(conn, member.id, address):
            raise NotFound("This confirmation link is not valid (any more)")
        await settings_store.set_email(conn, member.id, address)
        return member.username


async def unsubscribe(services: Services, token: str | None) -> str:
    """RFC 8058 one-click unsubscribe: the link's own member gets no more mail."""
    async with services.db.write() as conn:
        member = await mail_links.unsubscribing(conn, token)
        if member is None:
            raise NotFound("This unsubscribe link is not valid (any more)")
        await settings_store.set_email_mode(conn, member.id, "never", services.clock())
        return member.username
