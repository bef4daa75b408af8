"""Partnering, from an admin's side: accept another server's invite code, list partners,
end a partnership (telling the partner), rotate our keys and tell partners.

Codes are in partner_codes.py, the handshake's inviter side and its signed answer in
handshake.py. No trust on first use: the accepting server pins only the inviter key whose
fingerprint is in the code, published by the actor on the code's own host, and only once the
inviter's answer carries a proof by that key over the scope, the accepter and the invite.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation import pinned_keys
from feedserver.federation import profiles as shared_profiles
from feedserver.federation.client import Reply, host_of
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import AS_CONTEXT, application_actor
from feedserver.federation.errors import InviteRejected, PartnerUnreachable
from feedserver.federation.handshake import HANDSHAKE_PATH, answered_scope
from feedserver.federation.keys import fingerprint, public_key_from_multibase
from feedserver.federation.partner_codes import (
    actor_keys,
    decode_code,
    invite,
    partner_from_actor,
)
from feedserver.federation.server_keys import actor_url
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_inbox as inbox_store
from feedserver.store import federation_queue as queue_store

__all__ = ["accept", "decode_code", "end_partnership", "invite", "list_partners", "remove",
           "rotate_keys"]  # fmt: skip

# Telling a partner that we end the partnership is best effort and must not keep the admin
# waiting: one try, this long at most.
NOTICE_TIMEOUT_SECONDS = 5.0


async def _pin(services: Services, partner: Partner, keys: Mapping[str, str]) -> None:
    now = services.clock()
    async with services.db.write() as conn:
        await fed_store.upsert_partner(conn, partner)
        for key_id, value in keys.items():
            await conn.run_sync(inbox_store.pin_key, partner.host, key_id, value, now)
        await shared_profiles.backfill(conn, services, partner)
    pinned_keys.changed(services.db)


async def accept(fed: Federation, code: str) -> Partner:
    """Run on the invited server (CLI or admin API); the inviter must be up."""
    payload = decode_code(code)
    base, host = payload["u"].rstrip("/"), host_of(payload["u"])
    if host == host_of(fed.services.config.public_url):
        raise InviteRejected("the code is this server's own")
    reply = await fed.client.request("GET", f"{base}/actor", [host])
    if reply.status != 200:
        raise PartnerUnreachable(f"{host} answered {reply.status} for its actor")
    actor = reply.json()
    # The partner is recorded under its actor's host: that must be the host the code names,
    # or a server could have us pin its keys for another.
    if host_of(str(actor.get("id", ""))) != host:
        raise InviteRejected(f"the inviter's actor is not on {host}, the code's host")
    pinned = {
        key_id: value
        for key_id, value in actor_keys(actor).items()
        if fingerprint(public_key_from_multibase(value)) == payload["f"]
    }
    if not pinned:
        raise InviteRejected("the inviter's published key does not match the code's fingerprint")
    body = json.dumps(
        {"secret": payload["s"], "actor": application_actor(fed.keys)}, separators=(",", ":")
    ).encode()
    reply = await fed.client.request("POST", f"{base}{HANDSHAKE_PATH}", [host], body)
    if reply.status != 200:
        raise InviteRejected(f"{host} refused the handshake ({reply.status}): {_why(reply)}")
    answered = reply.json()
    profiles = answered_scope(
        answered, pinned, actor["id"], actor_url(fed.services.config), payload["s"]
    )
    partner = partner_from_actor(actor, profiles, fed.services.clock())
    # The groups scope is a field of the same signed answer (an older inviter omits it).
    partner = replace(partner, groups=answered.get("groups") is True)
    await _pin(fed.services, partner, pinned)
    fed.wake()  # profiles shared before it joined are queued for it
    return partner


def _why(reply: Reply) -> str:
    """A refusal's problem detail (say, "already a partner: remove it first"), or its body."""
    try:
        detail = reply.json().get("detail")
    except PartnerUnreachable:
        detail = None
    return detail[:300] if isinstance(detail, str) else repr(reply.body[:300])


async def list_partners(services: Services) -> list[Partner]:
    async with services.db.read() as conn:
        return await fed_store.partners(conn)


@dataclass(frozen=True)
class Ended:
    """A partnership ended here; whether the partner was told, and if not, why."""

    host: str
    told: bool
    error: str | None = None


async def end_partnership(fed: Federation, host: str) -> Ended | None:
    """Tell the partner, best effort, that the partnership is over, then forget it here
    whatever its answer (`remove`). None when `host` is not a partner.

    The notice is one signed `Delete` of our server actor, sent straight to its inbox: not
    through the queue, whose rows for the partner go with it. A partner that gets it forgets
    us too, with our members' profiles it cached; one that does not keeps them until its
    admin removes us."""
    host = host.lower()
    async with fed.services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    if partner is None:
        return None
    told, error = await _tell_ended(fed, partner)
    await remove(fed.services, host)
    return Ended(host, told, error)


async def _tell_ended(fed: Federation, partner: Partner) -> tuple[bool, str | None]:
    actor_id = actor_url(fed.services.config)
    activity = {
        "@context": AS_CONTEXT,
        "id": f"{actor_id}#end-{new_id()}",
        "type": "Delete",
        "actor": actor_id,
        "object": actor_id,
    }
    body = json.dumps(activity, separators=(",", ":")).encode()
    try:
        reply = await asyncio.wait_for(
            fed.client.request("POST", partner.inbox_url, [partner.host], body),
            NOTICE_TIMEOUT_SECONDS,
        )
    except TimeoutError:
        return False, f"no answer within {NOTICE_TIMEOUT_SECONDS:g} s"
    except PartnerUnreachable as exc:
        return False, exc.detail
    if 200 <= reply.status < 300:
        return True, None
    return False, f"it answered {reply.status}: {_why(reply)}"


async def remove(services: Services, host: str) -> bool:
    """Forget a partner here only, without telling it (admins use `end_partnership`): its
    keys, queued deliveries and cached profiles go with it."""
    async with services.db.write() as conn:
        removed = await conn.run_sync(inbox_store.delete_partner, host.lower())
    pinned_keys.changed(services.db)
    return removed


async def rotate_keys(fed: Federation) -> str:
    """`feedserver keys rotate`: a new current key, announced to every partner in an Update
    signed with the old key (which they pinned); the old key stays valid for the grace period."""
    services = fed.services
    grace = timedelta(days=services.config.key_rotation_grace_days)
    old, new = await fed.keys.rotate(services.db, services.clock(), grace)
    actor = application_actor(fed.keys)
    activity = {
        "@context": actor["@context"],
        "id": f"{actor['id']}#rotate-{new_id()}",
        "type": "Update",
        "actor": actor["id"],
        "object": actor,
    }
    async with services.db.write() as conn:
        # What is queued already goes out first (per host in order) and under the old key,
        # which partners know until this Update reaches them.
        await queue_store.pin_key_name(conn, old)
        await enqueue(conn, activity, await fed_store.partners(conn), services.clock(), old)
    fed.wake()
    return new
