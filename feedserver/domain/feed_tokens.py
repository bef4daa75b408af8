"""Feed tokens: the credential travels in the URL because every feed reader can send a URL,
while few can send a header.

A token is `key_id + mac`: `key_id` (16 characters) names the member's secret without naming
the member, and `mac` (22 characters) is HMAC-SHA256(secret, canonical feed path) truncated to
128 bits. So a token opens exactly the feed it was issued for, and rotating the secret revokes
every URL at once. Macs are compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from feedserver.models.feeds import FeedKey

KEY_ID_CHARS = 16  # 12 random bytes, base64url
MAC_CHARS = 22  # 16 bytes of HMAC-SHA256, base64url without padding
TOKEN_CHARS = KEY_ID_CHARS + MAC_CHARS
_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


@dataclass(frozen=True, slots=True)
class ParsedToken:
    key_id: str
    mac: str


def new_key() -> FeedKey:
    return FeedKey(secrets.token_urlsafe(12), secrets.token_bytes(32))


def _mac(secret: bytes, path: str) -> str:
    digest = hmac.new(secret, path.encode("utf-8"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def token_for(key: FeedKey, path: str) -> str:
    """The token for one canonical feed path (no query string, no host)."""
    return key.key_id + _mac(key.secret, path)


def parse(token: str | None) -> ParsedToken | None:
    """Split a token from a URL; None when it cannot be one (wrong length or characters)."""
    if token is None or len(token) != TOKEN_CHARS or not _ALPHABET.issuperset(token):
        return None
    return ParsedToken(token[:KEY_ID_CHARS], token[KEY_ID_CHARS:])


def verify(secret: bytes, path: str, mac: str) -> bool:
    return hmac.compare_digest(_mac(secret, path).encode(), mac.encode())
