"""The worker process behind `verifier.Verifier`: Ed25519 verifications, nothing else.

Run as a script by path (it imports only the standard library and cryptography), it reads
requests on stdin and answers on stdout until stdin closes:

    request  = id (4 bytes, little-endian) | length of what follows (4) | key (32)
               | signature (64) | message
    reply    = id (4) | 1 if the signature verifies, else 0 (1)

It holds no secret and decides nothing: the server chose the key and checked everything
else before asking.
"""

from __future__ import annotations

import os
import signal
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

HEADER = struct.Struct("<II")
REPLY = struct.Struct("<IB")
KEY, SIGNATURE = 32, 64
MAX_LENGTH = KEY + SIGNATURE + 1024 * 1024
KEYS_KEPT = 256  # partners' keys are few; parsed ones are kept, up to this many
# Answers go out in batches: each batch wakes the server's event loop once (a wake-up costs
# the loop more than a verification), and no more than 16 (~2 ms of work) wait in one.
FLUSH = 16


def main() -> None:
    # Ctrl-C belongs to the server, which ends this process by closing its stdin.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    requests, replies = sys.stdin.fileno(), sys.stdout.fileno()
    keys: dict[bytes, Ed25519PublicKey] = {}
    pending = bytearray()
    while chunk := os.read(requests, 1 << 16):  # under load, one read brings many requests
        pending += chunk
        answers = bytearray()
        offset = 0
        while len(pending) - offset >= HEADER.size:
            request_id, length = HEADER.unpack_from(pending, offset)
            if not KEY + SIGNATURE <= length <= MAX_LENGTH:
                sys.exit(f"verify_worker: a request of {length} bytes is not one of ours")
            start = offset + HEADER.size
            if len(pending) - start < length:
                break  # the rest of it comes with the next read
            offset = start + length
            body = bytes(pending[start:offset])
            verified = _verifies(
                keys, body[:KEY], body[KEY : KEY + SIGNATURE], body[KEY + SIGNATURE :]
            )
            answers += REPLY.pack(request_id, verified)
            if len(answers) >= FLUSH * REPLY.size:
                _write_all(replies, answers)
        del pending[:offset]
        _write_all(replies, answers)


def _verifies(keys: dict[bytes, Ed25519PublicKey], raw_key: bytes, signature: bytes,
              message: bytes) -> int:  # fmt: skip
    key = keys.get(raw_key)
    if key is None:
        if len(keys) >= KEYS_KEPT:
            keys.clear()
        key = keys[raw_key] = Ed25519PublicKey.from_public_bytes(raw_key)
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return 0
    return 1


def _write_all(fd: int, data: bytearray) -> None:
    while data:
        del data[: os.write(fd, data)]


if __name__ == "__main__":
    main()
