"""Partnering: one-time invite codes and a signed handshake; both sides pin each other's keys.

No trust on first use: the accepting server pins only the inviter key whose fingerprint is
in the code, published by the actor on the code's own host. The inviter pins the keys the
accepter presents in a request signed with one of them and carrying the one-time secret, and
only once the accepter's actor, fetched from its own host, publishes them all. A partner is
never replaced by a handshake (re-partnering is remove, then a new invite), and the invite is
used up only by a handshake that succeeds.
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
from datetime import timedelta
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
from feedserver.federation.documents import AS_CONTEXT, application_actor
from feedserver.federation.errors import (
    BadActivity,
    InviteRejected,
    PartnerUnreachable,
    SignatureRejected,
)
from feedserver.federation.freshness import MAX_AGE, MAX_FUTURE
from feedserver.federation.inbox import check_digest
from feedserver.federation.keys import KeyFormatError, fingerprint, public_key_from_multibase
from feedserver.federation.server_keys import actor_url
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store

CODE_PREFIX = "fsp1."
INVITE_LIFETIME = timedelta(hours=24)
HANDSHAKE_PATH = "/federation/handshake"
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
    answer = reply.json()
    answered = answer.get("actor")
    if not isinstance(answered, dict) or answered.get("id") != actor.get("id"):
        raise InviteRejected("the handshake answer names another server")
    partner = _partner_from_actor(actor, bool(answer.get("profiles")), fed.services.clock())
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


async def handshake(
    fed: Federation, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The inviter's side. The request must be signed by a key of the presented actor, carry
    an open invite's secret, and come from a server that is not already a partner (nor us);
    the presented actor, fetched from its own host, must publish every presented key.

    A refusal stores nothing and leaves the invite open, so a refused or unreachable accepter
    may try the same code again while it lasts."""
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
    if host == host_of(services.config.public_url):
        raise BadActivity("the accepting server's actor is on our own host")
    # Nothing leaves this server for a request without an open invite's secret.
    async with services.db.read() as conn:
        if await fed_store.open_invite(conn, secret_hash, now) is None:
            raise InviteRejected()
        if await fed_store.partner(conn, host) is not None:
            raise Conflict(f"{host} is already a partner: remove it first")
    # Anyone can present any id with its own key: the actor's own host must vouch for them.
    fetched = await _fetch_actor(fed, claimed.actor_id, host)
    published = actor_keys(fetched)
    if fetched.get("id") != claimed.actor_id:
        raise BadActivity(f"{claimed.actor_id} serves an actor with another id")
    if signature.key_id not in published or any(
        published.get(key_id) != value for key_id, value in presented.items()
    ):
        raise SignatureRejected(f"the presented keys are not all published by {claimed.actor_id}")
    partner = _partner_from_actor(fetched, False, now)  # as its host serves it
    async with services.db.write() as conn:
        if await fed_store.partner(conn, host) is not None:  # partnered meanwhile
            raise Conflict(f"{host} is already a partner: remove it first")
        profiles = await fed_store.use_invite(conn, secret_hash, now)
        if profiles is None:  # used or expired meanwhile
            raise InviteRejected()
        partner = replace(partner, profiles=profiles)
        await fed_store.upsert_partner(conn, partner)
        for key_id, value in presented.items():
            await fed_store.pin_key(conn, host, key_id, value, now)
        # Profiles shared before this partner joined reach it too (the worker sends them).
        await shared_profiles.backfill(conn, services, partner)
    pinned_keys.changed(services.db)
    return {"actor": application_actor(fed.keys), "profiles": profiles}


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
