"""Ed25519 key helpers: generation, PEM files, FEP-521a Multikey, fingerprints, base58btc."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

__all__ = [
    "KeyFormatError",
    "b58decode",
    "b58encode",
    "fingerprint",
    "generate_private_key",
    "load_private_key",
    "private_key_from_multibase",
    "public_key_bytes",
    "public_key_from_multibase",
    "public_key_to_multibase",
    "save_private_key",
]

# Multicodec varints: ed25519-pub (0xed) and ed25519-priv (0x1300).
_ED25519_PUB_PREFIX = b"\xed\x01"
_ED25519_PRIV_PREFIX = b"\x80\x26"
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


class KeyFormatError(ValueError):
    """A key encoding (multibase, PEM contents) is not what we accept."""


def b58encode(data: bytes) -> str:
    """Bitcoin-alphabet base58 (multibase 'z' payload)."""
    zeros = len(data) - len(data.lstrip(b"\0"))
    n = int.from_bytes(data, "big")
    out = []
    while n:
        n, rem = divmod(n, 58)
        out.append(_B58_ALPHABET[rem])
    # Each leading zero byte is a leading '1', which the big integer would lose.
    return "1" * zeros + "".join(reversed(out))


def b58decode(text: str) -> bytes:
    n = 0
    for c in text:
        try:
            n = n * 58 + _B58_INDEX[c]
        except KeyError:
            raise KeyFormatError(f"invalid base58 character {c!r}") from None
    zeros = len(text) - len(text.lstrip("1"))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * zeros + body


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_bytes(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def save_private_key(path: str | os.PathLike[str], key: Ed25519PrivateKey) -> None:
    """Write the key as unencrypted PKCS#8 PEM, readable by the owner only.

    The file is created with mode 0600 from the start (never chmod-ed afterwards, which would
    leave a window), and an existing file is never overwritten: replacing the server's key
    would silently break every partner's pinned key.
    """
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
        fh.flush()
        os.fsync(fh.fileno())


def load_private_key(path: str | os.PathLike[str]) -> Ed25519PrivateKey:
    """Read a PEM private key, refusing files that group or others can access."""
    p = Path(path)
    mode = p.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PermissionError(f"{p} is accessible by group/others (mode {oct(mode & 0o777)})")
    key = serialization.load_pem_private_key(p.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFormatError(f"{p} does not hold an Ed25519 private key")
    return key


def public_key_to_multibase(key: Ed25519PublicKey) -> str:
    """FEP-521a `publicKeyMultibase`: 'z' + base58btc(0xed 0x01 || raw 32-byte key)."""
    return "z" + b58encode(_ED25519_PUB_PREFIX + public_key_bytes(key))


def _decode_multikey(value: str, prefix: bytes) -> bytes:
    if not value.startswith("z"):
        raise KeyFormatError("only base58btc ('z') multibase is supported")
    data = b58decode(value[1:])
    if not data.startswith(prefix) or len(data) != len(prefix) + 32:
        raise KeyFormatError("not an Ed25519 Multikey")
    return data[len(prefix) :]


def public_key_from_multibase(value: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_decode_multikey(value, _ED25519_PUB_PREFIX))


def private_key_from_multibase(value: str) -> Ed25519PrivateKey:
    """Multikey `secretKeyMultibase` (0x80 0x26 prefix); used by published test vectors."""
    return Ed25519PrivateKey.from_private_bytes(_decode_multikey(value, _ED25519_PRIV_PREFIX))


def fingerprint(key: Ed25519PublicKey) -> str:
    """Short, copy-pasteable key identity for partner invitations: SHA256:<b64url, no pad>."""
    digest = hashlib.sha256(public_key_bytes(key)).digest()
    return "SHA256:" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
