"""The inbox: verify first, store nothing on rejection, apply each activity id once.

Order of checks (cheapest and most fundamental first): the request signature's headers
(RFC 9421: present, well-formed, within 5 minutes / 30 s ahead, by a pinned key of a
partner, taken from an in-memory cache), then the body against its Content-Digest (hashing
only), then in one trip to a verifier process the Ed25519 signature and — only if it holds —
the object's FEP-8b32 proof when the same key made it; then the activity's actor and id
against the signing partner, any other proof, and only then one unit of work in a group
commit: the key confirmed still pinned, the replay cache (a signature seen before is
refused), the activity id and the effect, all or nothing. Nothing of the body is parsed
before its signature verifies.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from feedserver import strictjson
from feedserver.domain.services import Services
from feedserver.federation import actor_moves, group_copies, group_inbox, httpsig, pinned_keys
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.digest import DigestError, verify_content_digest
from feedserver.federation.errors import BadActivity, InvalidProof, NotAPartner, SignatureRejected
from feedserver.federation.freshness import MAX_AGE, MAX_FUTURE
from feedserver.federation.keys import KeyFormatError, public_key_from_multibase
from feedserver.federation.pinned_keys import PinnedKey
from feedserver.federation.profiles import MAX_PROFILE_BYTES, profile_fields
from feedserver.federation.proofs import ProofError, check_object
from feedserver.federation.stamps import read_stamp
from feedserver.federation.verify_worker import BAD_SIGNATURE, SIGNED_AND_PROVEN
from feedserver.store import federation as fed_store
from feedserver.store import federation_inbox as inbox_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Screened:
    """A request whose signature passed every check but the Ed25519 one."""

    signature: httpsig.RequestSignature
    base: bytes  # the signature base it must verify over
    key: PinnedKey


@dataclass(frozen=True)
class Signed:
    signature: httpsig.RequestSignature
    key: PinnedKey
    object_proven: bool  # the worker verified the object's proof too, with this same key


async def screen_signature(
    fed: Federation, method: str, url: str, headers: Mapping[str, str]
) -> Screened:
    """Every check of a partner's request signature that needs neither the body nor Ed25519:
    present, well-formed, fresh, covering what it must, by a pinned key of a partner (from
    the in-memory cache; the inbox confirms it in its write transaction)."""
    try:
        signature, base = httpsig.check_request(
            method, url, headers,
            required_components=httpsig.POST_COMPONENTS if method == "POST"
            else httpsig.GET_COMPONENTS,
            now=fed.services.clock().timestamp(), max_age=MAX_AGE, max_future=MAX_FUTURE,
        )  # fmt: skip
    except httpsig.SignatureError as exc:
        raise SignatureRejected(f"{exc.reason}: {exc}") from None
    key = await fed.pinned.lookup(fed.services.db, signature.key_id, fed.services.clock())
    if key is None:
        raise NotAPartner(f"unknown key {signature.key_id!r}: not a pinned key of a partner")
    return Screened(signature, base, key)


async def verify_signature(
    fed: Federation, screened: Screened, headers: Mapping[str, str], body: bytes
) -> Signed:
    """The Ed25519 step, in a worker process (`verifier.py`): the request signature and, in
    the same trip and only once that holds, the object's proof if the same key made it."""
    signature, key = screened.signature, screened.key
    # The digest first (hashing only), so the body the worker may parse is the signed one.
    check_digest(headers, body)
    verdict = await fed.verifier.verify_delivery(
        key.public_key, key.key_id, signature.signature_bytes, screened.base, body
    )
    if verdict == BAD_SIGNATURE:
        raise SignatureRejected("bad-signature: signature does not verify")
    return Signed(signature, key, object_proven=verdict == SIGNED_AND_PROVEN)


def signature_hash(verified: httpsig.RequestSignature) -> bytes:
    return hashlib.sha256(verified.signature_bytes).digest()


def spend_signature(
    conn: sqlite3.Connection, signed: Signed, seen_key: bytes, host: str, now: datetime
) -> None:
    """Record the delivery's signature in the replay cache (on the writer's thread, in the
    unit that applies it), or refuse a replay and a key no longer pinned."""
    verified, key = signed.signature, signed.key
    if not inbox_store.remember_signature(
        conn, verified.created, seen_key, key_id=key.key_id, host=host,
        public_multibase=key.multibase, now=now,
    ):  # fmt: skip
        if inbox_store.signature_seen(conn, verified.created, seen_key):
            raise SignatureRejected("replayed: this signature was already used")
        raise NotAPartner("the signing key is no longer a pinned key of a partner")


def check_digest(headers: Mapping[str, str], body: bytes) -> None:
    # Every line of the field, combined as the signature base combines them (RFC 9110 5.3):
    # each digest in any of them must match.
    value = ", ".join(v for k, v in headers.items() if k.lower() == "content-digest")
    if not value:
        raise SignatureRejected("missing: Content-Digest is required with a body")
    try:
        verify_content_digest(value, body)
    except DigestError as exc:
        raise SignatureRejected(f"content-digest {exc.reason}: {exc}") from None


def _parse(body: bytes, host: str) -> dict[str, Any]:
    try:
        activity = strictjson.loads(body)
    except strictjson.JsonRejected as exc:
        raise BadActivity(f"the body is not JSON: {str(exc)[:200]}") from None
    if not isinstance(activity, dict):
        raise BadActivity("an activity is a JSON object")
    for name in ("id", "type", "actor"):
        if not isinstance(activity.get(name), str):
            raise BadActivity(f"the activity needs a string {name!r}")
    if host_of(activity["actor"]) != host or host_of(activity["id"]) != host:
        raise NotAPartner("the signing key does not belong to the activity's actor's server")
    return activity


async def verify_proof(
    fed: Federation,
    obj: dict[str, Any],
    host: str,
    request_key: PinnedKey | None = None,
    proven: bool = False,
) -> None:
    """The object's proof must verify with a pinned key of `host`, the object's server.

    `proven`: the verifier already verified it with `request_key` (see `verify_signature`).
    """
    for name in ("id", "attributedTo"):
        if name in obj and host_of(str(obj[name])) != host:
            raise NotAPartner(f"the object's {name} is not on the sending server")
    if proven:
        return
    try:
        proof = check_object(obj)
    except ProofError as exc:
        raise InvalidProof(f"{exc.reason}: {exc}") from None
    method = proof.verification_method
    public_key = None
    if request_key is not None and method == request_key.key_id:
        public_key = request_key.public_key  # the pinned key just used for the request
    elif host_of(method) == host:
        async with fed.services.db.read() as conn:
            pinned = await fed_store.partner_key(conn, method, fed.services.clock())
        if pinned is not None and pinned[0] == host:
            try:
                public_key = public_key_from_multibase(pinned[1])
            except KeyFormatError:
                public_key = None
    if public_key is None:
        raise InvalidProof(f"unknown-key: unknown verification method {method!r}")
    if not await fed.verifier.verify(public_key, proof.signature, proof.hash_data):
        raise InvalidProof("bad-signature: proof does not verify")


async def receive(fed: Federation, signed: Signed, body: bytes) -> bool:
    """Check and apply one delivered activity whose signature `verify_signature` accepted.

    True when applied; False when this activity id was applied before, or its object's state
    is not newer than the one we hold (its `updated`, or its Delete's `published`, against
    the cached object or its tombstone). Every check that needs no database runs first; then
    one unit of work in a group commit confirms the key, records the signature (a replay is
    refused there, with no read before it), records the activity id and applies it, all or
    nothing. A refused delivery's signature is recorded all the same: replayed later, once
    what refused it changed (a scope granted, a key pinned), it is refused as a replay.
    """
    try:
        return await _receive(fed, signed, body)
    except (BadActivity, NotAPartner, InvalidProof):
        await _remember_refused(fed, signed)
        raise


async def _remember_refused(fed: Federation, signed: Signed) -> None:
    verified = signed.signature
    seen_key = signature_hash(verified)
    try:
        await fed.services.db.write_grouped(
            lambda conn: inbox_store.remember_refused(conn, verified.created, seen_key)
        )
    except Exception:  # the refusal stands; only its replay protection is lost
        log.exception("recording a refused signature failed")


async def _receive(fed: Federation, signed: Signed, body: bytes) -> bool:
    services = fed.services
    verified, key = signed.signature, signed.key
    host = key.host
    activity = _parse(body, host)
    if group_copies.handles(activity) and group_inbox.hosts(fed, activity):
        return await group_inbox.receive(fed, signed, activity)  # a write into ours
    if group_copies.handles(activity):  # a group shared with us (group_copies.py)
        return await group_copies.receive(fed, signed, activity, body)
    kind = activity["type"]
    if kind == "Move":  # a partner's member renamed on their server (actor_moves.py)
        return await actor_moves.receive(fed, signed, activity)
    obj = activity.get("object")
    now = services.clock()
    object_id = ""  # what a Delete removes (the "delete" and "unpartner" handlers)
    deleted_at = now  # and when it was deleted
    if kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Application":
        if key.expires_at is not None:
            # A rotated-out key verifies for its grace period, but may not name successors:
            # whoever holds an old key would otherwise take over the partner's identity.
            raise NotAPartner("only a partner's current key may announce its keys")
        handler = "keys"
    elif kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Profile":
        if len(body) > MAX_PROFILE_BYTES:
            raise BadActivity(f"a shared profile is at most {MAX_PROFILE_BYTES} bytes")
        fields = profile_fields(host, obj)
        fields["updated"] = read_stamp(obj.get("updated"), "a Profile's updated", now)
        await verify_proof(fed, obj, host, key, proven=signed.object_proven)
        handler = "profile"
    elif kind == "Delete" and obj is not None:
        deleted = obj.get("id") if isinstance(obj, dict) else obj
        if not isinstance(deleted, str) or host_of(deleted) != host:
            raise BadActivity("Delete needs the id of an object on the sending server")
        object_id = deleted
        handler = "delete"
        # Without a stamp, the Delete is as of now: only an Update stamped later undoes it.
        published = activity.get("published")
        deleted_at = now if published is None else read_stamp(published, "published", now)
        if object_id == activity["actor"] and await _is_server_actor(services, host, object_id):
            handler = "unpartner"  # the partner removed us: we forget it too
    else:
        raise BadActivity(f"{kind} of this object is not accepted here")
    seen_key = signature_hash(verified)
    if handler == "keys":
        keys, current = await _announced_keys(services, host, obj)
        grace = timedelta(days=services.config.key_rotation_grace_days)

    def apply(conn: sqlite3.Connection) -> bool:  # on the writer's thread: no awaits
        spend_signature(conn, signed, seen_key, host, now)
        if not inbox_store.record_activity(conn, activity["id"], host, kind, now):
            return False  # a resend of something applied: accept, change nothing
        if handler == "keys":
            if not inbox_store.key_is_current(conn, key.key_id):
                raise NotAPartner("only a partner's current key may announce its keys")
            for key_id, value in keys.items():
                inbox_store.pin_key(conn, host, key_id, value, now)
            # Keys no longer current stay valid for a bounded grace period.
            inbox_store.expire_partner_keys(conn, host, current, now + grace)
        elif handler == "profile":
            if not inbox_store.shares_profiles(conn, host):
                raise NotAPartner("profiles are not shared in this partnership")
            # An older state than the one held (a replay, an overtaken Update) changes nothing.
            return inbox_store.put_partner_profile(conn, **fields, now=now)
        elif handler == "unpartner":
            inbox_store.delete_partner(conn, host)
        else:
            return inbox_store.delete_partner_object(conn, host, object_id, deleted_at)
        return True

    try:
        applied = await services.db.write_grouped(apply)
    except NotAPartner:
        fed.pinned.forget(key.key_id)
        raise
    if applied and handler in ("keys", "unpartner"):
        pinned_keys.changed(services.db)
    return applied


async def _is_server_actor(services: Services, host: str, actor_id: str) -> bool:
    async with services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    return partner is not None and partner.actor_id == actor_id


async def _announced_keys(
    services: Services, host: str, actor: dict[str, Any]
) -> tuple[dict[str, str], set[str]]:
    """Key rotation: the partner, signing with a key we pinned, announces its keys.

    ({key id: multibase}, the current key ids). Only the partner's own server actor may, and
    it must name a current key (one without `expires`)."""
    async with services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    if partner is None or actor.get("id") != partner.actor_id:
        raise NotAPartner("only the partner's own server actor may announce its keys")
    keys: dict[str, str] = {}
    current = set()
    methods = actor.get("assertionMethod")
    for key in methods if isinstance(methods, list) else []:
        if not isinstance(key, dict) or not isinstance(key.get("id"), str):
            continue
        if host_of(key["id"]) != host or not isinstance(key.get("publicKeyMultibase"), str):
            continue
        try:
            public_key_from_multibase(key["publicKeyMultibase"])
        except KeyFormatError:
            continue
        keys[key["id"]] = key["publicKeyMultibase"]
        if "expires" not in key:
            current.add(key["id"])
    if not current:
        raise BadActivity("the announcement names no current key")
    return keys, current
