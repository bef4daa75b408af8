"""RFC 9530 `Content-Digest`: make and check sha-256 / sha-512 body digests."""

from __future__ import annotations

import base64
import hashlib
import hmac

from .structured import Item, StructuredFieldError, parse_dictionary

__all__ = ["SUPPORTED_ALGORITHMS", "DigestError", "make_content_digest", "verify_content_digest"]

SUPPORTED_ALGORITHMS = {"sha-256": hashlib.sha256, "sha-512": hashlib.sha512}


class DigestError(ValueError):
    """`reason` is one of: malformed, unsupported, mismatch."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def make_content_digest(body: bytes, algorithm: str = "sha-256") -> str:
    """Header value such as `sha-256=:BASE64:` for the exact body bytes sent."""
    if algorithm not in SUPPORTED_ALGORITHMS:
        raise ValueError(f"unsupported digest algorithm {algorithm!r}")
    digest = SUPPORTED_ALGORITHMS[algorithm](body).digest()
    return f"{algorithm}=:{base64.b64encode(digest).decode('ascii')}:"


def verify_content_digest(header_value: str, body: bytes) -> str:
    """Check a `Content-Digest` value against the received body; return the algorithm used.

    Unknown algorithms (e.g. `md5`, `unixsum`) are ignored as long as at least one supported
    one is present, as RFC 9530 asks. Every supported digest present must match: accepting
    "any one of them" would let a sender pair a correct sha-256 with a bogus sha-512.
    Raises DigestError.
    """
    try:
        members = parse_dictionary(header_value)
    except StructuredFieldError as exc:
        raise DigestError("malformed", f"Content-Digest is not a dictionary: {exc}") from exc
    checked = []
    for name, member in members.items():
        if name not in SUPPORTED_ALGORITHMS:
            continue
        if not isinstance(member, Item) or not isinstance(member.value, bytes):
            raise DigestError("malformed", f"{name} digest is not a byte sequence")
        expected = SUPPORTED_ALGORITHMS[name](body).digest()
        if not hmac.compare_digest(expected, member.value):
            raise DigestError("mismatch", f"{name} digest does not match the body")
        checked.append(name)
    if not checked:
        raise DigestError("unsupported", "no sha-256 or sha-512 digest present")
    # Prefer reporting the strongest one checked.
    return "sha-512" if "sha-512" in checked else "sha-256"
