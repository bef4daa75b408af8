"""WebFinger for partners that share groups with us: a hosting server resolving one of our
members (username@our-host) it is asked to add to a group finds them even when their
profile is not published to everyone. Only a request signed (RFC 9421) by a pinned key of a
partner whose partnership has the groups scope is answered this way; anyone else sees only
the members `access.may_discover_member` publishes."""

from __future__ import annotations

from collections.abc import Mapping

from feedserver.domain import access
from feedserver.federation import inbox
from feedserver.federation.context import Federation
from feedserver.federation.errors import NotAPartner, SignatureRejected
from feedserver.models import Member
from feedserver.store import federation as fed_store
from feedserver.store import members as members_store


async def signed_by_groups_partner(fed: Federation, url: str, headers: Mapping[str, str]) -> bool:
    """Whether this GET is signed by a groups partner (False when unsigned or refused)."""
    if "signature" not in {k.lower() for k in headers}:
        return False
    try:
        screened = await inbox.screen_signature(fed, "GET", url, headers)
    except (SignatureRejected, NotAPartner):
        return False
    if not await fed.verifier.verify(
        screened.key.public_key, screened.signature.signature_bytes, screened.base
    ):
        return False
    async with fed.services.db.read() as conn:
        partner = await fed_store.partner(conn, screened.key.host)
    return partner is not None and partner.groups


async def member_for_partner(fed: Federation, username: str) -> Member | None:
    async with fed.services.db.read() as conn:
        found = await members_store.password_hash(conn, username)
    if found is None or not access.may_resolve_for_group_partner(suspended=found[2]):
        return None
    return found[0]
