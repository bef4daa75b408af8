"""Ed25519 verification in worker processes: right answers, and a worker that dies costs the
deliveries it had in hand a 503 (the sender retries), stores nothing, and is replaced."""

from __future__ import annotations

import asyncio
import json
import os
import signal

import pytest

from feedserver.federation.errors import VerifierUnavailable
from feedserver.federation.keys import generate_private_key
from feedserver.federation.proofs import sign_object
from feedserver.federation.verifier import Verifier
from feedserver.federation.verify_worker import BAD_SIGNATURE, SIGNED, SIGNED_AND_PROVEN

from .test_inbox import counts, post, profile_update, signed_post


@pytest.mark.parametrize("workers", [0, 1, 2])
async def test_answers_match_the_library(workers):
    key, other = generate_private_key(), generate_private_key()
    messages = [os.urandom(n) for n in (0, 1, 200, 70_000)]  # 70 kB spans several pipe reads
    verifier = Verifier(workers)
    try:
        checks = []
        for message in messages:
            signature = key.sign(message)
            # Flip a bit of the first byte (the last one is already 0 one time in 16).
            flipped = bytes([signature[0] ^ 1]) + signature[1:]
            checks += [
                (verifier.verify(key.public_key(), signature, message), True),
                (verifier.verify(other.public_key(), signature, message), False),
                (verifier.verify(key.public_key(), signature, message + b"x"), False),
                (verifier.verify(key.public_key(), flipped, message), False),
                (verifier.verify(key.public_key(), signature[:63], message), False),
            ]
        answers = await asyncio.gather(*(check for check, _ in checks))
        assert answers == [expected for _, expected in checks]
    finally:
        await verifier.close()


async def test_a_dead_worker_fails_its_requests_and_is_replaced():
    key = generate_private_key()
    message = b"m" * 100
    signature = key.sign(message)
    verifier = Verifier(1)
    try:
        assert await verifier.verify(key.public_key(), signature, message)
        (worker,) = verifier._workers
        os.kill(worker._transport.get_pid(), signal.SIGKILL)
        in_hand = [verifier.verify(key.public_key(), signature, message) for _ in range(50)]
        results = await asyncio.gather(*in_hand, return_exceptions=True)
        assert all(r is True or isinstance(r, VerifierUnavailable) for r in results)
        assert any(isinstance(r, VerifierUnavailable) for r in results)
        # The next call starts a new worker.
        assert await verifier.verify(key.public_key(), signature, message)
        assert verifier._workers[0] is not worker
    finally:
        await verifier.close()
    assert verifier._workers == []


async def test_close_ends_the_workers():
    verifier = Verifier(2)
    key = generate_private_key()
    assert await verifier.verify(key.public_key(), key.sign(b"x"), b"x")
    pids = [w._transport.get_pid() for w in verifier._workers]
    await verifier.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


async def test_inbox_answers_503_when_its_verifier_dies_and_stores_nothing(trio):
    a, b, _ = trio
    headers, body = signed_post(a, b, profile_update(a, activity="first"))
    assert (await post(b, headers, body))[0] == 202
    before = await counts(b)
    (worker,) = b.fed.verifier._workers
    pid = worker._transport.get_pid()
    os.kill(pid, signal.SIGSTOP)  # it takes the next request and never answers it...
    headers, body = signed_post(a, b, profile_update(a, "carol", activity="second"))
    delivery = asyncio.create_task(post(b, headers, body))
    for _ in range(500):
        if worker._waiting:
            break
        await asyncio.sleep(0.01)
    assert worker._waiting
    os.kill(pid, signal.SIGKILL)  # ...and dies with it in hand
    status, content_type, text = await asyncio.wait_for(delivery, 30)
    assert status == 503 and content_type == "application/problem+json", text
    assert "verifier-unavailable" in text
    assert await counts(b) == before
    # The sender's retry (a fresh signature) is verified by a new worker and applied.
    headers, body = signed_post(a, b, profile_update(a, "carol", activity="second"))
    assert (await post(b, headers, body))[0] == 202
    assert b.fed.verifier._workers[0] is not worker
    assert await counts(b) == [before[0] + 1, before[1] + 1, before[2] + 1]


@pytest.mark.parametrize("workers", [0, 1])
async def test_delivery_verdicts(workers):
    """One trip: the request signature, then — only if it holds — the object's proof, and
    only when the key that signed the request made it; anything else is left to the inbox."""
    key, other = generate_private_key(), generate_private_key()
    key_id, other_id = "https://a.example/actor#k1", "https://a.example/actor#k2"
    base = b'"@method": POST\n"@signature-params": ("@method");keyid="k1"'
    signature = key.sign(base)
    obj = {"id": "https://a.example/users/x/profile", "type": "Profile", "name": "X"}

    def delivery(signed_obj) -> bytes:
        return json.dumps({"type": "Update", "object": signed_obj}).encode()

    by_key = delivery(sign_object(obj, key, key_id))
    by_other = delivery(sign_object(obj, other, other_id))
    tampered = json.loads(by_key)
    tampered["object"]["name"] = "Y"
    cases = [
        (signature, by_key, SIGNED_AND_PROVEN),
        (signature, by_other, SIGNED),  # another key: the inbox looks it up and checks
        (signature, json.dumps(tampered).encode(), SIGNED),  # the inbox reports the failure
        (signature, delivery("https://a.example/users/x/profile"), SIGNED),  # no proof
        (signature, b"\xff not json", SIGNED),
        (other.sign(base), by_key, BAD_SIGNATURE),  # a good proof never rescues a bad request
        (signature[:-1] + bytes([signature[-1] ^ 1]), by_key, BAD_SIGNATURE),
    ]
    verifier = Verifier(workers)
    try:
        verdicts = await asyncio.gather(*(
            verifier.verify_delivery(key.public_key(), key_id, sig, base, body)
            for sig, body, _ in cases
        ))  # fmt: skip
    finally:
        await verifier.close()
    assert verdicts == [expected for _, _, expected in cases]
