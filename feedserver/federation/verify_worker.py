"""The worker process behind `verifier.Verifier`: Ed25519 verifications, nothing else.

Run as `python -m feedserver.federation.verify_worker`, it reads requests on stdin and
answers on stdout until stdin closes:

    request = id (4 bytes, little-endian) | length of what follows (4) | kind (1)
              | key (32) | signature (64) | payload
    reply   = id (4) | verdict (1)

kind ONE: the payload is the message; the verdict is 1 if the signature verifies, else 0.
kind DELIVERY: the payload is key id length (2) | key id | signature base length (4) | base |
body, and the verdict is `delivery_verdict`'s. It holds no secret and decides nothing: the
server chose the key and checked everything else before asking.
"""

from __future__ import annotations

import os
import signal
import struct
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from feedserver import strictjson
from feedserver.federation.proofs import ProofError, check_object

HEADER = struct.Struct("<IIB")
REPLY = struct.Struct("<IB")
KEY_ID_LENGTH, BASE_LENGTH = struct.Struct("<H"), struct.Struct("<I")
ONE, DELIVERY = 0, 1
KEY, SIGNATURE = 32, 64
MAX_PAYLOAD = 2 * 1024 * 1024  # a 1 MiB body and its signature base, with room to spare
MAX_LENGTH = KEY + SIGNATURE + MAX_PAYLOAD
KEYS_KEPT = 256  # partners' keys are few; parsed ones are kept, up to this many
# Answers go out in batches: each batch wakes the server's event loop once (a wake-up costs
# the loop more than a verification), and no more than 16 (~2 ms of work) wait in one.
FLUSH = 16

# Verdicts of a delivery.
BAD_SIGNATURE = 0  # the request signature does not verify
SIGNED = 1  # it verifies; the object's proof was not checked here
SIGNED_AND_PROVEN = 2  # it verifies, and so does its object's proof, made with the same key


def delivery_verdict(key: Ed25519PublicKey, key_id: str, signature: bytes, base: bytes,
                     body: bytes) -> int:  # fmt: skip
    """Verify a delivery's request signature and, only if it holds, the object's proof.

    Nothing of the body is read before the request signature verifies. The proof is checked
    here only in the usual case, an `object` whose proof names the very key that signed the
    request; anything else (no proof, another key, a malformed or failing proof) comes back
    as SIGNED and the server checks the object itself, with the errors it reports.
    """
    if not verifies(key, signature, base):
        return BAD_SIGNATURE
    try:
        activity = strictjson.loads(body)
        obj = activity.get("object") if isinstance(activity, dict) else None
        if not isinstance(obj, dict) or "proof" not in obj:
            return SIGNED
        proof = check_object(obj)
    except (strictjson.JsonRejected, ProofError):
        return SIGNED
    if proof.verification_method != key_id:
        return SIGNED
    return SIGNED_AND_PROVEN if verifies(key, proof.signature, proof.hash_data) else SIGNED


def verifies(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """The one Ed25519 verification, here and in the server when it runs no worker."""
    try:
        key.verify(signature, message)
    except InvalidSignature:
        return False
    return True


def _answer(keys: dict[bytes, Ed25519PublicKey], kind: int, body: bytes) -> int:
    raw_key, signature, payload = body[:KEY], body[KEY : KEY + SIGNATURE], body[KEY + SIGNATURE :]
    key = keys.get(raw_key)
    if key is None:
        if len(keys) >= KEYS_KEPT:
            keys.clear()
        key = keys[raw_key] = Ed25519PublicKey.from_public_bytes(raw_key)
    if kind == ONE:
        return int(verifies(key, signature, payload))
    (id_length,) = KEY_ID_LENGTH.unpack_from(payload)
    key_id = payload[2 : 2 + id_length].decode("utf-8")
    (base_length,) = BASE_LENGTH.unpack_from(payload, 2 + id_length)
    base_at = 2 + id_length + 4
    base, rest = payload[base_at : base_at + base_length], payload[base_at + base_length :]
    return delivery_verdict(key, key_id, signature, base, rest)


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
            request_id, length, kind = HEADER.unpack_from(pending, offset)
            if kind not in (ONE, DELIVERY) or not KEY + SIGNATURE <= length <= MAX_LENGTH:
                sys.exit(f"verify_worker: a request of {length} bytes is not one of ours")
            start = offset + HEADER.size
            if len(pending) - start < length:
                break  # the rest of it comes with the next read
            offset = start + length
            answers += REPLY.pack(request_id, _answer(keys, kind, bytes(pending[start:offset])))
            if len(answers) >= FLUSH * REPLY.size:
                _write_all(replies, answers)
        del pending[:offset]
        _write_all(replies, answers)


def _write_all(fd: int, data: bytearray) -> None:
    while data:
        del data[: os.write(fd, data)]


def _serve_until_the_server_goes() -> None:
    try:
        main()
    except BrokenPipeError:
        # The server is gone (killed, or crashed) with answers still to send: nobody is left
        # to read them, nor a traceback. Exit quietly, and keep Python's own flush of stdout
        # at exit from complaining about the same broken pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


if __name__ == "__main__":
    _serve_until_the_server_goes()
