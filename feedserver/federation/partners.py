"""Partnering: one-time invite codes and a signed handshake; both sides pin each other's keys.

No trust on first use: the accepting server pins only the inviter key whose fingerprint is
in the code, published by the actor on the code's own host, and only once the inviter's
answer carries a proof by that key over the scope, the accepter and the invite. The inviter
pins the keys the accepter presents in a request signed with one of them and carrying the
one-time secret, and only once the accepter's actor, fetched from its own host, publishes them
all. A partner is never replaced by a handshake (re-partnering is remove, then a new invite),
and the invite is used up only by a handshake that succeeds; the server that used it may
finish the handshake again while the invite lasts (its answer was lost), changing nothing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.errors import Conflict
from feedserver.federation import httpsig, pinned_keys
from feedserver.federation import profiles as shared_profiles
from feedserver.federation.client import Reply, host_of
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import AS_CONTEXT, DI_CONTEXT, application_actor
from feedserver.federation.errors import (
    BadActivity,
    InviteRejected,
    PartnerUnreachable,
    SignatureRejected,
)
from feedserver.federation.freshness import MAX_AGE, MAX_FUTURE
from feedserver.federation.inbox import check_digest
from feedserver.federation.keys import KeyFormatError, fingerprint, public_key_from_multibase
from feedserver.federation.proofs import ProofError, sign_object, verify_object
from feedserver.federation.server_keys import actor_url
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store
from feedserver.store.db import Connection

CODE_PREFIX = "fsp1."
INVITE_LIFETIME = timedelta(hours=24)
HANDSHAKE_PATH = "/federation/handshake"
# The inviter's answer to a handshake: its actor, the scope, and what binds it to this
# handshake (the accepter's actor id, the invite's secret hash), with a proof by its key.
ANSWER_TYPE = "feedserver:PartnerHandshakeAnswer"
# Telling a partner that we end the partnership is best effort and must not keep the admin
# waiting: one try, this long at most.
NOTICE_TIMEOUT_SECONDS = 5.0


def _secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def invite(services: Services, *, profiles: bool) -> tuple[str, Any]:
    """A one-time code: our base URL, our key's fingerprint and a secret; 24 hours."""
    assert services.keys is not None and services.keys.loaded
    secret = secrets.token_urlsafe(24)
    now = services.clock()
    async with services.db.write() as conn:
        await fed_store.insert_invite(
            conn, _secret_hash(secret), profiles, now, now + INVITE_LIFETIME
        )
    payload = {"u": services.config.public_url, "f": services.keys.fingerprint(), "s": secret}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return CODE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("="), now + INVITE_LIFETIME


def decode_code(code: str) -> dict[str, str]:
    code = code.strip()
    if not code.startswith(CODE_PREFIX):
        raise InviteRejected("not a feedserver partner code")
    body = code[len(CODE_PREFIX) :]
    try:
        payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, RecursionError) as exc:  # UnicodeDecodeError too
        raise InviteRejected(f"the code does not decode: {str(exc)[:200]}") from None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), str) for k in ("u", "f", "s")
    ):
        raise InviteRejected("the code lacks its URL, fingerprint or secret")
    if not _is_http_url(payload["u"]):
        raise InviteRejected("the code's URL is not an http(s) URL with a host")
    return payload


def _is_http_url(url: str) -> bool:
    """An http(s) URL with a host (and a valid port, if any)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname) and bool(host_of(url))


def actor_keys(actor: dict[str, Any]) -> dict[str, str]:
    """{key id: multibase} of an actor's Multikeys on the actor's own host, unexpired ones."""
    out = {}
    host = host_of(str(actor.get("id", "")))
    methods = actor.get("assertionMethod")
    for key in methods if isinstance(methods, list) else []:
        if not isinstance(key, dict) or key.get("type") != "Multikey" or "expires" in key:
            continue
        key_id, value = key.get("id"), key.get("publicKeyMultibase")
        if isinstance(key_id, str) and isinstance(value, str) and host_of(key_id) == host:
            try:
                public_key_from_multibase(value)
            except KeyFormatError:
                continue
            out[key_id] = value
    return out


def _partner_from_actor(actor: dict[str, Any], profiles: bool, now) -> Partner:
    actor_id, inbox = actor.get("id"), actor.get("inbox")
    if not isinstance(actor_id, str) or not isinstance(inbox, str):
        raise BadActivity("the partner's actor needs an id and an inbox")
    host = host_of(actor_id)
    if not _is_http_url(actor_id):
        raise BadActivity("the partner's actor id is not an http(s) URL with a host")
    if host_of(inbox) != host or actor.get("type") != "Application":
        raise BadActivity("the partner's actor must be an Application with its inbox on its host")
    base = str(actor.get("url") or actor_id.rsplit("/", 1)[0])
    if host_of(base) != host:
        raise BadActivity("the partner's url is on another host")
    name = actor.get("name") if isinstance(actor.get("name"), str) else host
    return Partner(host, base, actor_id, inbox, name[:200], profiles, now)


async def _pin(services: Services, partner: Partner, keys: Mapping[str, str]) -> None:
    now = services.clock()
    async with services.db.write() as conn:
        await fed_store.upsert_partner(conn, partner)
        for key_id, value in keys.items():
            await fed_store.pin_key(conn, partner.host, key_id, value, now)
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
    profiles = _answered_scope(
        reply.json(), pinned, actor["id"], actor_url(fed.services.config), payload["s"]
    )
    partner = _partner_from_actor(actor, profiles, fed.services.clock())
    await _pin(fed.services, partner, pinned)
    fed.wake()  # profiles shared before it joined are queued for it
    return partner


def _answer(
    fed: Federation, accepter_id: str, secret_hash: str, profiles: bool, created: datetime | None
) -> dict[str, Any]:
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
    }
    key_id, key = fed.keys.private()
    return sign_object(doc, key, key_id, created=created)


def _answered_scope(
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
    answered = answer.get("actor")
    if answer.get("type") != ANSWER_TYPE or not isinstance(answer.get("profiles"), bool):
        raise InviteRejected("the handshake answer is not a partner handshake answer")
    if not isinstance(answered, dict) or answered.get("id") != inviter_id:
        raise InviteRejected("the handshake answer names another server")
    if answer.get("accepter") != our_id:
        raise InviteRejected("the handshake answer is for another accepting server")
    if answer.get("invite") != _secret_hash(secret):
        raise InviteRejected("the handshake answer is for another invite")
    return answer["profiles"]


def _why(reply: Reply) -> str:
    """A refusal's problem detail (say, "already a partner: remove it first"), or its body."""
    try:
        detail = reply.json().get("detail")
    except PartnerUnreachable:
        detail = None
    return detail[:300] if isinstance(detail, str) else repr(reply.body[:300])


async def handshake(
    fed: Federation, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The inviter's side. The request must be signed by a key of the presented actor, carry
    an open invite's secret, and come from a server that is not already a partner (nor us);
    the presented actor, fetched from its own host, must publish every presented key. The
    answer is signed (`_answer`).

    A refusal stores nothing and leaves the invite open, so a refused or unreachable accepter
    may try the same code again while it lasts. An accepter that lost our answer after we
    pinned it may too: see `_check_repeat`."""
    services = fed.services
    try:
        doc = json.loads(body.decode("utf-8"))
        actor, secret = doc["actor"], doc["secret"]
        assert isinstance(actor, dict) and isinstance(secret, str)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError, RecursionError):
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
    claimed = _partner_from_actor(actor, False, now)
    host, secret_hash = claimed.host, _secret_hash(secret)
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
    if existing is not None:  # the same server, finishing: we change nothing
        if published.get(signing_key[0]) != signing_key[1]:
            raise Conflict(
                f"{host} is already a partner: remove it first ({claimed.actor_id} no longer"
                " publishes the signing key)"
            )
        return _answer(fed, existing.actor_id, secret_hash, invite.profiles, invite.used_at)
    if signature.key_id not in published or any(
        published.get(key_id) != value for key_id, value in presented.items()
    ):
        raise SignatureRejected(f"the presented keys are not all published by {claimed.actor_id}")
    partner = _partner_from_actor(fetched, False, now)  # as its host serves it
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
            partner = replace(partner, profiles=profiles)
            await fed_store.upsert_partner(conn, partner)
            for key_id, value in presented.items():
                await fed_store.pin_key(conn, host, key_id, value, now)
            # Profiles shared before this partner joined reach it too (the worker sends them).
            await shared_profiles.backfill(conn, services, partner)
    if existing is not None:
        return _answer(fed, existing.actor_id, secret_hash, invite.profiles, invite.used_at)
    pinned_keys.changed(services.db)
    return _answer(fed, partner.actor_id, secret_hash, profiles, now)


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
    (keys presented besides the signing one are ignored), the partner's row, scope and queue
    stay as they are, nothing is backfilled again. A replay of the partner's own request
    within the signature window costs us one fetch of its actor from its own host."""
    conflict = f"{existing.host} is already a partner: remove it first"
    if invite.used_by != existing.host:  # an open invite: a second partnership is refused
        raise Conflict(conflict)
    key_id, value = signing_key
    row = await fed_store.partner_key_row(conn, key_id)
    if row is None or row[1] != existing.host or row[2] != value or row[3] is not None:
        raise Conflict(f"{conflict} (the request is not signed by a current key pinned for it)")
    if existing.actor_id != actor_id or existing.profiles != invite.profiles:
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
        removed = await fed_store.delete_partner(conn, host.lower())
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
