"""Partner invite codes, and what a partner's server actor must look like.

A code is what one admin hands another: our base URL, our key's fingerprint and a one-time
secret (stored hashed), good for 24 hours. The accepting server checks the key it fetches
against the fingerprint, so nothing is trusted on first use.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from feedserver.domain.services import Services
from feedserver.federation.client import host_of
from feedserver.federation.errors import BadActivity, InviteRejected
from feedserver.federation.keys import KeyFormatError, public_key_from_multibase
from feedserver.models import Partner
from feedserver.store import federation as fed_store

CODE_PREFIX = "fsp1."
INVITE_LIFETIME = timedelta(hours=24)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def invite(services: Services, *, profiles: bool, groups: bool = False) -> tuple[str, Any]:
    """A one-time code: our base URL, our key's fingerprint and a secret; 24 hours."""
    assert services.keys is not None and services.keys.loaded
    secret = secrets.token_urlsafe(24)
    now = services.clock()
    async with services.db.write() as conn:
        await fed_store.insert_invite(
            conn, hash_secret(secret), profiles, now, now + INVITE_LIFETIME, groups
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
    if not is_http_url(payload["u"]):
        raise InviteRejected("the code's URL is not an http(s) URL with a host")
    return payload


def is_http_url(url: str) -> bool:
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


def partner_from_actor(actor: dict[str, Any], profiles: bool, now: datetime) -> Partner:
    actor_id, inbox = actor.get("id"), actor.get("inbox")
    if not isinstance(actor_id, str) or not isinstance(inbox, str):
        raise BadActivity("the partner's actor needs an id and an inbox")
    host = host_of(actor_id)
    if not is_http_url(actor_id):
        raise BadActivity("the partner's actor id is not an http(s) URL with a host")
    if host_of(inbox) != host or actor.get("type") != "Application":
        raise BadActivity("the partner's actor must be an Application with its inbox on its host")
    base = str(actor.get("url") or actor_id.rsplit("/", 1)[0])
    if host_of(base) != host:
        raise BadActivity("the partner's url is on another host")
    named = actor.get("name")
    name = named if isinstance(named, str) else host
    return Partner(host, base, actor_id, inbox, name[:200], profiles, now)
