"""RFC 9421 HTTP Message Signatures for requests, `ed25519` only.

Replay caching and checking `content-digest` against the body are the inbox's job; this
module proves who signed which request components, and when.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .structured import (
    BareItem,
    InnerList,
    Item,
    StructuredFieldError,
    parse_dictionary,
    serialize_inner_list,
)

__all__ = [
    "ALGORITHM",
    "GET_COMPONENTS",
    "POST_COMPONENTS",
    "BadSignature",
    "MissingComponent",
    "SignatureError",
    "SignatureExpired",
    "SignatureFromFuture",
    "SignatureMalformed",
    "SignatureMissing",
    "RequestSignature",
    "UnknownKey",
    "parse_signature_headers",
    "sign_request",
    "check_request",
    "signature_base",
    "verify_request",
]

ALGORITHM = "ed25519"
# What a server-to-server request must cover (docs/architecture.md, Federation); GET has no
# body to digest.
POST_COMPONENTS = ("@method", "@target-uri", "content-digest")
GET_COMPONENTS = ("@method", "@target-uri")
_PARAM_ORDER = ("created", "expires", "keyid", "alg", "nonce", "tag")
_INT_PARAMS = {"created", "expires"}
_DERIVED = {"@method", "@target-uri", "@authority", "@scheme", "@request-target", "@path", "@query"}


class SignatureError(Exception):
    reason = "invalid"


class SignatureMissing(SignatureError):
    reason = "missing"


class SignatureMalformed(SignatureError):
    reason = "malformed"


class UnknownKey(SignatureError):
    reason = "unknown-key"


class BadSignature(SignatureError):
    reason = "bad-signature"


class SignatureExpired(SignatureError):
    reason = "expired"


class SignatureFromFuture(SignatureError):
    reason = "future"


class MissingComponent(SignatureError):
    reason = "missing-component"


@dataclass(frozen=True)
class RequestSignature:
    key_id: str
    created: int
    components: tuple[str, ...]
    signature_bytes: bytes  # unique per signed request: the inbox's replay-cache key
    label: str
    expires: int | None = None
    nonce: str | None = None


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # Repeated fields (multidicts yield each line) combine with ", " per RFC 9421 section 2.1.
    out: dict[str, str] = {}
    for name, value in headers.items():
        name, value = name.lower(), value.strip(" \t")
        out[name] = f"{out[name]}, {value}" if name in out else value
    return out


def _component_value(name: str, method: str, url: str, headers: dict[str, str]) -> str:
    """Value of one covered component; KeyError when the message does not have it."""
    if not name.startswith("@"):
        return headers[name]
    if name == "@method":
        return method
    parts = urlsplit(url)
    path = parts.path or "/"
    # urlsplit folds "?" with an empty query into no query; RFC 9421 keeps them distinct.
    query = "?" + parts.query if parts.query or url.split("#")[0].endswith("?") else ""
    if name == "@scheme":
        return parts.scheme.lower()
    if name == "@authority":
        host = (parts.hostname or "").lower()
        if ":" in host:
            host = f"[{host}]"
        default = {"http": 80, "https": 443}.get(parts.scheme.lower())
        return host if parts.port in (None, default) else f"{host}:{parts.port}"
    if name == "@target-uri":
        netloc = parts.netloc.rpartition("@")[2]  # never sign credentials
        return f"{parts.scheme}://{netloc}{path}{query}"
    if name == "@path":
        return path
    if name == "@query":
        return query or "?"
    if name == "@request-target":
        return path + query
    raise KeyError(name)


def signature_base(
    method: str,
    url: str,
    headers: Mapping[str, str],
    components: Sequence[str],
    params: Mapping[str, BareItem],
    serialized_params: str | None = None,
) -> tuple[str, str]:
    """Return (signature base, serialized @signature-params) per RFC 9421 section 2.5.

    `params` are serialized in the order given, unless `serialized_params` already is that
    serialization (of `components` with `params`). Raises KeyError for a component the
    message lacks and ValueError for one we do not support or cannot put in a base.
    """
    lowered = _lower_headers(headers)
    lines = []
    for name in components:
        if name != name.lower() or (name.startswith("@") and name not in _DERIVED):
            raise ValueError(f"unsupported component {name!r}")
        value = _component_value(name, method, url, lowered)
        if not value.isascii() or "\n" in value or "\r" in value:
            raise ValueError(f"component {name!r} cannot be signed (non-ASCII or newline)")
        lines.append(f'"{name}": {value}')
    if len(set(components)) != len(components):
        raise ValueError("duplicate component")
    sig_params = serialized_params or serialize_inner_list(
        InnerList([Item(c) for c in components], dict(params))
    )
    lines.append(f'"@signature-params": {sig_params}')
    return "\n".join(lines), sig_params


def sign_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    private_key: Ed25519PrivateKey,
    key_id: str,
    components: Sequence[str] = POST_COMPONENTS,
    created: int | datetime | None = None,
    label: str = "sig1",
    *,
    expires: int | datetime | None = None,
    nonce: str | None = None,
    tag: str | None = None,
    include_alg: bool = True,
) -> dict[str, str]:
    """Return the `Signature-Input` and `Signature` headers to add to the request."""
    if created is None:
        created = int(time.time())
    values: dict[str, int | str | None] = {
        "created": int(created.timestamp()) if isinstance(created, datetime) else created,
        "expires": int(expires.timestamp()) if isinstance(expires, datetime) else expires,
        "keyid": key_id,
        "alg": ALGORITHM if include_alg else None,
        "nonce": nonce,
        "tag": tag,
    }
    params = {k: v for k, v in values.items() if v is not None}
    base, sig_params = signature_base(method, url, headers, components, params)
    signature = private_key.sign(base.encode("ascii"))
    return {
        "Signature-Input": f"{label}={sig_params}",
        "Signature": f"{label}=:{base64.b64encode(signature).decode('ascii')}:",
    }


def parse_signature_headers(headers: Mapping[str, str]) -> dict[str, tuple[InnerList, bytes]]:
    """Map each label to (its Signature-Input inner list, its signature bytes).

    Raises SignatureMissing when either header is absent and SignatureMalformed when they do
    not parse, do not pair up label for label, or carry values of the wrong types.
    """
    lowered = _lower_headers(headers)
    if "signature-input" not in lowered or "signature" not in lowered:
        raise SignatureMissing("Signature-Input and Signature headers are required")
    try:
        inputs = parse_dictionary(lowered["signature-input"])
        signatures = parse_dictionary(lowered["signature"])
    except StructuredFieldError as exc:
        raise SignatureMalformed(f"signature headers do not parse: {exc}") from exc
    if not inputs or inputs.keys() != signatures.keys():
        raise SignatureMalformed("Signature-Input and Signature labels differ")
    out = {}
    for label, sig_input in inputs.items():
        sig = signatures[label]
        if not isinstance(sig_input, InnerList) or not all(
            isinstance(i.value, str) and not i.params for i in sig_input.items
        ):
            raise SignatureMalformed(f"{label}: covered components must be plain strings")
        if not isinstance(sig, Item) or not isinstance(sig.value, bytes):
            raise SignatureMalformed(f"{label}: signature must be a byte sequence")
        for name, value in sig_input.params.items():
            want = int if name in _INT_PARAMS else str
            if name in _PARAM_ORDER and (type(value) is not want):
                raise SignatureMalformed(f"{label}: parameter {name} has the wrong type")
        out[label] = (sig_input, sig.value)
    return out


def check_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    required_components: Sequence[str] = POST_COMPONENTS,
    now: float | None = None,
    max_age: int = 300,
    max_future: int = 30,
    label: str | None = None,
) -> tuple[RequestSignature, bytes]:
    """Every check of `verify_request` but the Ed25519 one; raise SignatureError.

    Returns the signature's details and the signature base they hold for once
    `signature_bytes` verifies over it with the key `key_id`: the caller looks the key up
    and verifies (the inbox does it off the event loop). Cheapest checks first, so a stale
    or incomplete request costs no more than parsing its headers.
    """
    parsed = parse_signature_headers(headers)
    if label is None:
        label = next(iter(parsed))
    if label not in parsed:
        raise SignatureMissing(f"no signature labelled {label!r}")
    sig_input, sig_bytes = parsed[label]
    params = sig_input.params
    components = tuple(str(i.value) for i in sig_input.items)
    if params.get("alg", ALGORITHM) != ALGORITHM:
        raise SignatureMalformed(f"unsupported algorithm {params['alg']!r}")
    if "keyid" not in params or "created" not in params:
        raise SignatureMalformed("keyid and created are required")
    created = int(params["created"])
    expires = params.get("expires")
    now = time.time() if now is None else now
    if created > now + max_future:
        raise SignatureFromFuture(f"created {created} is ahead of now {int(now)}")
    if now - created > max_age or (expires is not None and now > int(expires)):
        raise SignatureExpired(f"created {created} is too old or expired")
    missing = [c for c in required_components if c not in components]
    if missing:
        raise MissingComponent(f"signature does not cover {', '.join(missing)}")
    try:
        base, _ = signature_base(method, url, headers, components, params, sig_input.canonical_text)
    except KeyError as exc:
        raise MissingComponent(f"request lacks covered component {exc}") from exc
    except (ValueError, StructuredFieldError) as exc:
        raise SignatureMalformed(str(exc)) from exc
    nonce = params.get("nonce")
    signature = RequestSignature(
        key_id=str(params["keyid"]),
        created=created,
        components=components,
        signature_bytes=sig_bytes,
        label=label,
        expires=int(expires) if expires is not None else None,
        nonce=str(nonce) if nonce is not None else None,
    )
    return signature, base.encode("ascii")


def verify_request(
    method: str,
    url: str,
    headers: Mapping[str, str],
    resolve_key: Callable[[str], Ed25519PublicKey | None],
    required_components: Sequence[str] = POST_COMPONENTS,
    now: float | None = None,
    max_age: int = 300,
    max_future: int = 30,
    label: str | None = None,
) -> RequestSignature:
    """Verify one signature (`label`, or the first one) on a request; raise SignatureError."""
    signature, base = check_request(
        method, url, headers, required_components, now, max_age, max_future, label
    )
    key = resolve_key(signature.key_id)
    if key is None:
        raise UnknownKey(f"unknown key {signature.key_id!r}")
    try:
        key.verify(signature.signature_bytes, base)
    except InvalidSignature as exc:
        raise BadSignature("signature does not verify") from exc
    return signature
