"""Partnering: one-time invite codes and a signed handshake; both sides pin each other's keys.

No trust on first use: the accepting server pins only the inviter key whose fingerprint is
in the code, and the inviter pins the keys the accepter presents in a request signed with
one of them and carrying the one-time secret.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation import httpsig, pinned_keys
from feedserver.federation import profiles as shared_profiles
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import application_actor
from feedserver.federation.errors import (
    BadActivity,
    InviteRejected,
    PartnerUnreachable,
    SignatureRejected,
)
from feedserver.federation.freshness import MAX_AGE, MAX_FUTURE
from feedserver.federation.inbox import check_digest
from feedserver.federation.keys import KeyFormatError, fingerprint, public_key_from_multibase
from feedserver.models import Partner
from feedserver.store import federation as fed_store

CODE_PREFIX = "fsp1."
INVITE_LIFETIME = timedelta(hours=24)
HANDSHAKE_PATH = "/federation/handshake"


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
    except (binascii.Error, ValueError) as exc:
        raise InviteRejected(f"the code does not decode: {exc}") from None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(k), str) for k in ("u", "f", "s")
    ):
        raise InviteRejected("the code lacks its URL, fingerprint or secret")
    return payload


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
    reply = await fed.client.request("GET", f"{base}/actor", [host])
    if reply.status != 200:
        raise PartnerUnreachable(f"{host} answered {reply.status} for its actor")
    actor = reply.json()
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
        raise InviteRejected(f"{host} refused the handshake ({reply.status}): {reply.body[:300]!r}")
    answer = reply.json()
    answered = answer.get("actor")
    if not isinstance(answered, dict) or answered.get("id") != actor.get("id"):
        raise InviteRejected("the handshake answer names another server")
    partner = _partner_from_actor(actor, bool(answer.get("profiles")), fed.services.clock())
    await _pin(fed.services, partner, pinned)
    fed.wake()  # profiles shared before it joined are queued for it
    return partner


async def handshake(
    services: Services, method: str, url: str, headers: Mapping[str, str], body: bytes
) -> dict[str, Any]:
    """The inviter's side: the request must be signed by a key in the presented actor."""
    try:
        doc = json.loads(body.decode("utf-8"))
        actor, secret = doc["actor"], doc["secret"]
        assert isinstance(actor, dict) and isinstance(secret, str)
    except (UnicodeDecodeError, ValueError, KeyError, TypeError, AssertionError, RecursionError):
        raise BadActivity("the handshake needs a secret and an actor") from None
    presented = actor_keys(actor)
    try:
        httpsig.verify_request(
            method, url, headers,
            lambda kid: public_key_from_multibase(presented[kid]) if kid in presented else None,
            now=services.clock().timestamp(), max_age=MAX_AGE, max_future=MAX_FUTURE,
        )  # fmt: skip
    except httpsig.SignatureError as exc:
        raise SignatureRejected(f"{exc.reason}: {exc}") from None
    check_digest(headers, body)
    now = services.clock()
    async with services.db.write() as conn:
        profiles = await fed_store.use_invite(conn, _secret_hash(secret), now)
        if profiles is None:
            raise InviteRejected()
        partner = _partner_from_actor(actor, profiles, now)
        await fed_store.upsert_partner(conn, partner)
        for key_id, value in presented.items():
            await fed_store.pin_key(conn, partner.host, key_id, value, now)
        # Profiles shared before this partner joined reach it too (the worker sends them).
        await shared_profiles.backfill(conn, services, partner)
    pinned_keys.changed(services.db)
    assert services.keys is not None
    return {"actor": application_actor(services.keys), "profiles": profiles}


async def list_partners(services: Services) -> list[Partner]:
    async with services.db.read() as conn:
        return await fed_store.partners(conn)


async def remove(services: Services, host: str) -> bool:
    """Forget a partner: its keys, queued deliveries and cached profiles go with it."""
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
        await enqueue(conn, activity, await fed_store.partners(conn), services.clock(), old)
    fed.wake()
    return new
