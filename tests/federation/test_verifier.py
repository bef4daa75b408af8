"""Ed25519 verification in worker processes: right answers, and a worker that dies costs the
deliveries it had in hand a 503 (the sender retries), stores nothing, and is replaced."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest

from feedserver.federation.errors import VerifierUnavailable
from feedserver.federation.keys import generate_private_key
from feedserver.federation.verifier import Verifier

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
