"""The inbox: verify first, store nothing on rejection, apply each activity id once.

Order of checks (cheapest and most fundamental first): the request signature (RFC 9421:
present, well-formed, within 5 minutes / 30 s ahead, by a pinned key of a partner), then the
body against its Content-Digest, the replay cache, the activity's actor and id against the
signing partner, the objects' FEP-8b32 proofs, and only then one write transaction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from feedserver.domain.services import Services
from feedserver.federation import httpsig
from feedserver.federation.client import host_of
from feedserver.federation.digest import DigestError, verify_content_digest
from feedserver.federation.errors import BadActivity, InvalidProof, NotAPartner, SignatureRejected
from feedserver.federation.keys import KeyFormatError, public_key_from_multibase
from feedserver.federation.profiles import apply_profile_delete, apply_profile_update
from feedserver.federation.proofs import ProofError, verify_object
from feedserver.store import federation as fed_store
from feedserver.store import federation_queue as queue_store

MAX_AGE = 300
MAX_FUTURE = 30


def _first_key_id(headers: Mapping[str, str]) -> str:
    try:
        parsed = httpsig.parse_signature_headers(headers)
    except httpsig.SignatureError as exc:
        raise SignatureRejected(f"{exc.reason}: {exc}") from None
    sig_input, _ = next(iter(parsed.values()))
    key_id = sig_input.params.get("keyid")
    if not isinstance(key_id, str):
        raise SignatureRejected("malformed: keyid is required")
    return key_id


async def verify_signature(
    services: Services, method: str, url: str, headers: Mapping[str, str]
) -> tuple[httpsig.VerifiedSignature, str, str]:
    """Verify a partner's request signature; returns it, the partner's host and its key."""
    key_id = _first_key_id(headers)
    now = services.clock()
    async with services.db.read() as conn:
        pinned = await fed_store.partner_key(conn, key_id, now)
    key = None
    if pinned is not None:
        try:
            key = public_key_from_multibase(pinned[1])
        except KeyFormatError:
            key = None
    try:
        verified = httpsig.verify_request(
            method, url, headers, lambda kid: key if kid == key_id else None,
            required_components=httpsig.POST_COMPONENTS if method == "POST"
            else httpsig.GET_COMPONENTS,
            now=now.timestamp(), max_age=MAX_AGE, max_future=MAX_FUTURE,
        )  # fmt: skip
    except httpsig.UnknownKey as exc:
        raise NotAPartner(f"{exc}: not a pinned key of a partner") from None
    except httpsig.SignatureError as exc:
        raise SignatureRejected(f"{exc.reason}: {exc}") from None
    assert pinned is not None
    return verified, pinned[0], pinned[1]


def signature_hash(verified: httpsig.VerifiedSignature) -> str:
    return hashlib.sha256(verified.signature_bytes).hexdigest()


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    value = next((v for k, v in headers.items() if k.lower() == "content-digest"), None)
    if value is None:
        raise SignatureRejected("missing: Content-Digest is required with a body")
    try:
        verify_content_digest(value, body)
    except DigestError as exc:
        raise SignatureRejected(f"content-digest {exc.reason}: {exc}") from None


def _parse(body: bytes, host: str) -> dict[str, Any]:
    try:
        activity = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadActivity(f"the body is not JSON: {exc}") from None
    if not isinstance(activity, dict):
        raise BadActivity("an activity is a JSON object")
    for name in ("id", "type", "actor"):
        if not isinstance(activity.get(name), str):
            raise BadActivity(f"the activity needs a string {name!r}")
    if host_of(activity["actor"]) != host or host_of(activity["id"]) != host:
        raise NotAPartner("the signing key does not belong to the activity's actor's server")
    return activity


async def verify_proof(
    services: Services,
    obj: dict[str, Any],
    host: str,
    request_key: tuple[str, str] | None = None,
) -> None:
    """The object's proof must verify with a pinned key of `host`, the object's server."""
    proof = obj.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    now = services.clock()
    pinned = None
    if request_key is not None and method == request_key[0]:
        pinned = (host, request_key[1])  # the pinned key just used for the request
    elif isinstance(method, str) and host_of(method) == host:
        async with services.db.read() as conn:
            pinned = await fed_store.partner_key(conn, method, now)
    for name in ("id", "attributedTo"):
        if name in obj and host_of(str(obj[name])) != host:
            raise NotAPartner(f"the object's {name} is not on the sending server")

    def resolve(key_id: str):
        if pinned is None or pinned[0] != host or key_id != method:
            return None
        return public_key_from_multibase(pinned[1])

    try:
        verify_object(obj, resolve)
    except (ProofError, KeyFormatError) as exc:
        raise InvalidProof(f"{getattr(exc, 'reason', 'malformed')}: {exc}") from None


async def receive(
    services: Services,
    signed: tuple[httpsig.VerifiedSignature, str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """Check and apply one delivered activity whose signature `verify_signature` accepted.

    True when applied, False when this activity id was applied before.
    """
    verified, host, multibase = signed
    check_digest(headers, body)
    # Replays are caught by the insert in the write transaction below (one round trip less
    # for every honest delivery; a replayer only makes us parse before refusing).
    seen_key = signature_hash(verified)
    activity = _parse(body, host)
    kind = activity["type"]
    obj = activity.get("object")
    if kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Application":
        handler = "keys"
    elif kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Profile":
        await verify_proof(services, obj, host, (verified.key_id, multibase))
        handler = "profile"
    elif kind == "Delete" and obj is not None:
        handler = "delete"
    else:
        raise BadActivity(f"{kind} of this object is not accepted here")
    now = services.clock()
    async with services.db.write() as conn:
        expires = now + timedelta(seconds=MAX_AGE + MAX_FUTURE + 60)
        if not await queue_store.remember_signature(conn, seen_key, expires):
            raise SignatureRejected("replayed: this signature was already used")
        if not await queue_store.record_activity(conn, activity["id"], host, kind, now):
            return False  # a resend of something applied: accept, change nothing
        if handler == "keys":
            await _apply_keys(conn, host, obj, now)
        elif handler == "profile":
            await apply_profile_update(conn, host, obj, now)
        else:
            object_id = obj.get("id") if isinstance(obj, dict) else obj
            if not isinstance(object_id, str) or host_of(object_id) != host:
                raise BadActivity("Delete needs the id of an object on the sending server")
            await apply_profile_delete(conn, host, object_id)
    return True


async def _apply_keys(conn, host: str, actor: dict[str, Any], now) -> None:
    """Key rotation: the partner, signing with a key we pinned, announces its current keys."""
    partner = await fed_store.partner(conn, host)
    if partner is None or actor.get("id") != partner.actor_id:
        raise NotAPartner("only the partner's own server actor may announce its keys")
    current = set()
    for key in actor.get("assertionMethod") or []:
        if not isinstance(key, dict) or not isinstance(key.get("id"), str):
            continue
        if host_of(key["id"]) != host or not isinstance(key.get("publicKeyMultibase"), str):
            continue
        try:
            public_key_from_multibase(key["publicKeyMultibase"])
        except KeyFormatError:
            continue
        await fed_store.pin_key(conn, host, key["id"], key["publicKeyMultibase"], now)
        if "expires" not in key:
            current.add(key["id"])
    if not current:
        raise BadActivity("the announcement names no current key")
    # Keys no longer current stay valid for the grace period the partner announced (bounded).
    await fed_store.expire_partner_keys(conn, host, current, now + timedelta(days=7))
