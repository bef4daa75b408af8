"""Time-ordered random ids (ULID layout, lowercase Crockford base32): 48 bits of milliseconds,
80 random bits. They sort by creation time, so a page is an index range, and reveal neither a
count nor a neighbour's id."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
ID_PATTERN = r"^[0-9a-hjkmnp-tv-z]{26}$"


def new_id(now_ms: int | None = None) -> str:
    millis = int(time.time() * 1000) if now_ms is None else now_ms
    value = (millis << 80) | secrets.randbits(80)
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def is_id(text: str) -> bool:
    return len(text) == 26 and all(c in _ALPHABET for c in text)
