"""The partner handshake: the inviter's side, and the signed answer both sides read.

The accepting server (B) posts our invite's secret and its actor, signed by one of the keys
it presents. We pin those keys only once B's actor, fetched from B's own host, publishes them
all, and answer with a proof by our key over the scope, B's actor and the invite, which B
checks with the key it pinned from the code. A partner is never replaced by a handshake
(re-partnering is remove, then a new invite); the invite is used up only by a handshake that
succeeds, and the server that used it may finish again while it lasts (its answer was lost):
that changes nothing but re-sends what the partner refused before it could know us.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from feedserver import strictjson
from feedserver.errors import Conflict
from feedserver.federation import httpsig, pinned_keys
from feedserver.federation import profiles as shared_profiles
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.documents import AS_CONTEXT, DI_CONTEXT, application_actor
from feedserver.federation.errors import (
    BadActivity,
    InviteRejected,
    PartnerUnreachable,
    SignatureRejected,
)
from feedserver.federation.freshness import MAX_AGE, MAX_FUTURE
from feedserver.federation.inbox import check_digest
from feedserver.federation.keys import public_key_from_multibase
from feedserver.federation.partner_codes import actor_keys, hash_secret, partner_from_actor
from feedserver.federation.proofs import ProofError, sign_object, verify_object
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_inbox as inbox_store
from feedserver.store import federation_queue as queue_store
from feedserver.store.db import Connection

HANDSHAKE_PATH = "/federation/handshake"
# The inviter's answer to a handshake: its actor, the scope, and what binds it to this
# handshake (the accepter's actor id, the invite's secret hash), with a proof by its key.
ANSWER_TYPE = "feedserver:PartnerHandshakeAnswer"
# What a finishing partner refused before it knew us is sent again this long after we answer:
# it pins us only once our answer reaches it, and until then it would refuse again, this time
# for good (the partnership is past its settling). Ample for an answer that arrives; one lost
# again means the partner finishes again, and that re-queues them again.
RESEND_AFTER = timedelta(minutes=1)


def answer(
    fed: Federation, accepter_id: str, secret_hash: str, profiles: bool, created: datetime | None,
    groups: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The inviter's answer, signed with its current key: the one whose fingerprint its codes
    carry (a code made before a rotation fails at the accepter's fingerprint check).

    A FEP-8b32 proof over the answer itself rather than an RFC 9421 signature of the HTTP
    response: it is the eddsa-jcs-2022 code that already signs every shared object, it binds
    what matters as fields of the signed object (the scope, the accepter's actor, a hash of
    the invite's secret) instead of through covered request components (RFC 9421 `;req`), which
    both sides would need new code for, and it does not depend on headers a proxy may rewrite.
    The hash is the one stored here for the invite: it does not let anyone present the
    secret. `created` is when the invite was used, so a repeated answer is the same bytes."""
    doc = {
        "@context": [AS_CONTEXT, DI_CONTEXT],
        "type": ANSWER_TYPE,
        "actor": application_actor(fed.keys),
        "accepter": accepter_id,
        "invite": secret_hash,
        "profiles": profiles,
        "groups": groups,
    }
    key_id, key = fed.keys.private()
    return sign_object(doc, key, key_id, created=created)


def answered_scope(
    answer: dict[str, Any], pinned: Mapping[str, str], inviter_id: str, our_id: str, secret: str
) -> bool:
    """The scope of an inviter's answer, once its proof verifies with a key pinned from the
    code and it names this handshake: the inviter, us, this invite; InviteRejected if not."""
    try:
        verify_object(
            answer,
            lambda kid: public_key_from_multibase(pinned[kid]) if kid in pinned else None,
        )
    except ProofError as exc:
        raise InviteRejected(
            f"the handshake answer is not signed by the code's key ({exc.reason}: {exc});"
            " nothing was pinned"
        ) from None
    answered, profiles = answer.get("actor"), answer.get("profiles")
    if answer.get("type") != ANSWER_TYPE or not isinstance(profiles, bool):
        raise InviteRejected("the handshake answer is not a partner handshake answer")
    if not isinstance(answered, dict) or answered.get("id") != inviter_id:
        raise InviteRejected("the handshake answer names another server")
    if answer.get("accepter") != our_id:
        raise InviteRejected("the handshake answer is for another accepting server")
    if answer.get("invite") != hash_secret(secret):
        raise InviteRejected("the handshake answer is for another invite")
    return profiles


async def handshake(
    fed: Federation, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The inviter's side. The request must be signed by a key of the presented actor, carry
    an open invite's secret, and come from a server that is not already a partner (nor us);
    the presented actor, fetched from its own host, must publish every presented key. The
    answer is signed (`answer`).

    A refusal stores nothing and leaves the invite open, so a refused or unreachable accepter
    may try the same code again while it lasts. An accepter that lost our answer after we
    pinned it may too: see `_check_repeat`."""
    services = fed.services
    try:
        doc = strictjson.loads(body)
        actor, secret = doc["actor"], doc["secret"]
        assert isinstance(actor, dict) and isinstance(secret, str)
    except (ValueError, KeyError, TypeError, AssertionError):  # JsonRejected is a ValueError
        raise BadActivity("the handshake needs a secret and an actor") from None
    presented = actor_keys(actor)
    try:
        signature = httpsig.verify_request(
            method, url, headers,
            lambda kid: public_key_from_multibase(presented[kid]) if kid in presented else None,
            now=services.clock().timestamp(), max_age=MAX_AGE, max_future=MAX_FUTURE,
        )  # fmt: skip
    except httpsig.SignatureError as exc:
        raise SignatureRejected(f"{exc.reason}: {exc}") from None
    check_digest(headers, body)
    now = services.clock()
    claimed = partner_from_actor(actor, False, now)
    host, secret_hash = claimed.host, hash_secret(secret)
    signing_key = (signature.key_id, presented[signature.key_id])
    if host == host_of(services.config.public_url):
        raise BadActivity("the accepting server's actor is on our own host")
    # Nothing leaves this server for a request without the secret of an invite that is open,
    # or that this host used and may finish again.
    async with services.db.read() as conn:
        invite = await fed_store.unexpired_invite(conn, secret_hash, now)
        if invite is None or (invite.used_at is not None and invite.used_by != host):
            raise InviteRejected()
        existing = await fed_store.partner(conn, host)
        if existing is not None:
            await _check_repeat(conn, invite, existing, claimed.actor_id, signing_key)
        elif invite.used_at is not None:  # this host used it, but is no partner any more
            raise InviteRejected()
    # Anyone can present any id with its own key: the actor's own host must vouch for them.
    fetched = await _fetch_actor(fed, claimed.actor_id, host)
    published = actor_keys(fetched)
    if fetched.get("id") != claimed.actor_id:
        raise BadActivity(f"{claimed.actor_id} serves an actor with another id")
    if existing is not None:  # the same server, finishing
        if published.get(signing_key[0]) != signing_key[1]:
            raise Conflict(
                f"{host} is already a partner: remove it first ({claimed.actor_id} no longer"
                " publishes the signing key)"
            )
        await _resend_refused(fed, host)
        return answer(
            fed, existing.actor_id, secret_hash, invite.profiles, invite.used_at, invite.groups
        )
    if signature.key_id not in published or any(
        published.get(key_id) != value for key_id, value in presented.items()
    ):
        raise SignatureRejected(f"the presented keys are not all published by {claimed.actor_id}")
    partner = partner_from_actor(fetched, False, now)  # as its host serves it
    async with services.db.write() as conn:
        existing = await fed_store.partner(conn, host)
        if existing is not None:  # partnered meanwhile: perhaps by its own earlier request
            invite = await fed_store.unexpired_invite(conn, secret_hash, now)
            if invite is None:
                raise InviteRejected()
            await _check_repeat(conn, invite, existing, claimed.actor_id, signing_key)
        else:
            profiles = await fed_store.use_invite(conn, secret_hash, now, used_by=host)
            if profiles is None:  # used or expired meanwhile
                raise InviteRejected()
            # The groups scope is the invite's as read above (an invite's scope never changes).
            partner = replace(partner, profiles=profiles, groups=invite.groups)
            await fed_store.upsert_partner(conn, partner)
            for key_id, value in presented.items():
                await conn.run_sync(inbox_store.pin_key, host, key_id, value, now)
            # Profiles shared before this partner joined reach it too (the worker sends them).
            await shared_profiles.backfill(conn, services, partner)
    if existing is not None:
        await _resend_refused(fed, host)
        return answer(
            fed, existing.actor_id, secret_hash, invite.profiles, invite.used_at, invite.groups
        )
    pinned_keys.changed(services.db)
    return answer(fed, partner.actor_id, secret_hash, partner.profiles, now, partner.groups)


async def _resend_refused(fed: Federation, host: str) -> None:
    """A partner finishing its handshake had not pinned us until now: what it refused with
    401/403 meanwhile (its backfill, if the answer was lost for longer than the queue's
    PARTNERING_SETTLE allows) goes out again, in its old order, RESEND_AFTER from now. Only
    what failed that way is sent again, so finishing once more re-sends nothing that got
    through."""
    async with fed.services.db.write() as conn:
        await queue_store.requeue_refused(conn, host, fed.services.clock() + RESEND_AFTER)


async def _check_repeat(
    conn: Connection,
    invite: fed_store.Invite,
    existing: Partner,
    actor_id: str,
    signing_key: tuple[str, str],
) -> None:
    """Let through only the server that used this invite, finishing its handshake again
    because it lost our answer (a timeout, a cut connection: it pinned nothing, and cannot
    tell whether we did): the invite is unexpired and was used by this partner's host for the
    partnership it has (same actor, same scope), and the request is signed by a current key we
    pinned for that host (the caller then checks that its host still publishes it). It gets
    our answer again, as the first time; nothing changes here. Anything else: 409.

    What a used code is worth to someone else: nothing without a current private key we
    pinned for the host that used it, that is, unless they can already speak for that
    partner. A different host, a key not pinned for this host (even one pinned for another
    partner), an expired invite or a removed partner are refused as before. And with such a
    key they get only the answer the partner already had (our public actor, the scope, its
    own actor id and the invite's hash) and cannot change anything with it: no key is pinned
    (keys presented besides the signing one are ignored), the partner's row and scope stay as
    they are, and only deliveries the partner itself refused are queued again. A replay of
    the partner's own request within the signature window costs us one fetch of its actor
    from its own host."""
    conflict = f"{existing.host} is already a partner: remove it first"
    if invite.used_by != existing.host:  # an open invite: a second partnership is refused
        raise Conflict(conflict)
    key_id, value = signing_key
    row = await fed_store.partner_key_row(conn, key_id)
    if row is None or row[1] != existing.host or row[2] != value or row[3] is not None:
        raise Conflict(f"{conflict} (the request is not signed by a current key pinned for it)")
    if (existing.actor_id, existing.profiles, existing.groups) != (
        actor_id,
        invite.profiles,
        invite.groups,
    ):
        raise Conflict(f"{conflict} (it is not the partnership this invite made)")


async def _fetch_actor(fed: Federation, actor_id: str, host: str) -> dict[str, Any]:
    """The accepter's actor from its own host, in time for the accepter's handshake request
    (which waits for it) to get our answer."""
    timeout = max(1.0, fed.services.config.fetch_timeout_seconds / 2)
    try:
        reply = await asyncio.wait_for(fed.client.request("GET", actor_id, [host]), timeout)
    except TimeoutError:
        raise PartnerUnreachable(f"{actor_id} did not answer within {timeout:g} s") from None
    except PartnerUnreachable as exc:
        raise PartnerUnreachable(f"{actor_id} could not be fetched: {exc.detail}") from None
    if reply.status != 200:
        raise PartnerUnreachable(f"{actor_id} answered {reply.status}")
    return reply.json()
