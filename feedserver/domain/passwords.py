"""Password hashing with scrypt (cryptography). The parameters travel inside the hash, so
they can be raised later without breaking old hashes."""

from __future__ import annotations

import asyncio
import base64
import hmac
import secrets

from cryptography.exceptions import InvalidKey
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

DEFAULT_N = 2**15  # ~32 MiB and tens of milliseconds per hash on a laptop
_R, _P, _LEN = 8, 1, 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password_sync(password: str, n: int = DEFAULT_N) -> str:
    salt = secrets.token_bytes(16)
    key = Scrypt(salt=salt, length=_LEN, n=n, r=_R, p=_P).derive(password.encode())
    return f"scrypt${n}${_R}${_P}${_b64(salt)}${_b64(key)}"


def verify_password_sync(password: str, encoded: str | None, n: int = DEFAULT_N) -> bool:
    if not encoded:
        # Spend the same time as a real check, so a missing account is not told apart by timing.
        hash_password_sync(password, n)
        return False
    try:
        scheme, cost, r, p, salt, key = encoded.split("$")  # the hash's own cost, not `n`
        if scheme != "scrypt":
            return False
        kdf = Scrypt(salt=_unb64(salt), length=len(_unb64(key)), n=int(cost), r=int(r), p=int(p))
        kdf.verify(password.encode(), _unb64(key))
        return True
    except (InvalidKey, ValueError):
        return False


async def hash_password(password: str, n: int = DEFAULT_N) -> str:
    # scrypt is deliberately slow and memory-hard: keep it off the event loop.
    return await asyncio.to_thread(hash_password_sync, password, n)


async def verify_password(password: str, encoded: str | None, n: int = DEFAULT_N) -> bool:
    return await asyncio.to_thread(verify_password_sync, password, encoded, n)


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
