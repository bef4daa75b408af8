"""Ed25519 verifications for the inbox, in worker processes, off the event loop.

Two verifications per delivery (the request signature and the object's proof) are most of
the inbox's work. A thread does not help: cryptography releases the GIL while it verifies,
but getting it back from a busy event loop costs more than the verification (measured: the
inbox got slower). A worker process verifies in parallel; the loop writes a request to a
pipe and reads 5 bytes back (protocol in `verify_worker.py`). A delivery takes one trip: the
worker checks the request signature and then, only if it holds, the object's proof.

Workers start on first use, so a server that never receives a delivery runs none. A worker
that dies fails what it had in hand with `VerifierUnavailable` (the sender retries later)
and is replaced on the next call.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from feedserver.federation import verify_worker
from feedserver.federation.errors import VerifierUnavailable

log = logging.getLogger(__name__)

_HEADER, _REPLY = verify_worker.HEADER, verify_worker.REPLY


class Verifier:
    """`await verify(key, signature, message)`; `workers` = 0 verifies in this process."""

    def __init__(self, workers: int) -> None:
        self._size = max(0, workers)
        self._workers: list[_Worker] = []
        self._next = itertools.count()
        self._starting = asyncio.Lock()

    async def verify(self, key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
        if len(signature) != verify_worker.SIGNATURE or len(message) > verify_worker.MAX_PAYLOAD:
            return False
        if self._size == 0:
            return verify_worker.verifies(key, signature, message)
        worker = await self._worker()
        return await worker.ask(verify_worker.ONE, key.public_bytes_raw(), signature, message) == 1

    async def verify_delivery(
        self, key: Ed25519PublicKey, key_id: str, signature: bytes, base: bytes, body: bytes
    ) -> int:
        """`verify_worker.delivery_verdict` of a delivery: its request signature, then (only
        if that holds) its object's proof when the same key made it — one trip, not two."""
        raw_id = key_id.encode("utf-8")
        payload = b"".join((
            verify_worker.KEY_ID_LENGTH.pack(len(raw_id)), raw_id,
            verify_worker.BASE_LENGTH.pack(len(base)), base, body,
        ))  # fmt: skip
        if len(signature) != verify_worker.SIGNATURE or len(payload) > verify_worker.MAX_PAYLOAD:
            return verify_worker.BAD_SIGNATURE
        if self._size == 0:
            return verify_worker.delivery_verdict(key, key_id, signature, base, body)
        worker = await self._worker()
        return await worker.ask(verify_worker.DELIVERY, key.public_bytes_raw(), signature, payload)

    async def _worker(self) -> _Worker:
        index = next(self._next) % self._size
        if index < len(self._workers) and self._workers[index].alive:
            return self._workers[index]
        async with self._starting:
            self._workers = [w for w in self._workers if w.alive]
            while len(self._workers) < self._size:
                self._workers.append(await _Worker.start())
        return self._workers[index % len(self._workers)]

    async def close(self) -> None:
        workers, self._workers = self._workers, []
        await asyncio.gather(*(w.stop() for w in workers))


class _Worker(asyncio.SubprocessProtocol):
    def __init__(self) -> None:
        self.alive = True
        self._transport: asyncio.SubprocessTransport | None = None
        self._requests: asyncio.WriteTransport | None = None
        self._replies = bytearray()
        self._waiting: dict[int, asyncio.Future[int]] = {}
        self._ids = itertools.count()
        self._outgoing: list[bytes] = []
        self._loop = asyncio.get_running_loop()
        self._exited = self._loop.create_future()

    @classmethod
    async def start(cls) -> _Worker:
        loop = asyncio.get_running_loop()
        _, worker = await loop.subprocess_exec(
            cls, sys.executable, "-m", verify_worker.__name__, stderr=None, close_fds=True
        )
        return worker

    async def ask(self, kind: int, key: bytes, signature: bytes, payload: bytes) -> int:
        if not self.alive:
            raise VerifierUnavailable()
        request_id = next(self._ids) & 0xFFFFFFFF
        answer: asyncio.Future[int] = self._loop.create_future()
        self._waiting[request_id] = answer
        length = len(key) + len(signature) + len(payload)
        if not self._outgoing:  # the first of this turn of the loop: send them all at its end
            self._loop.call_soon(self._send)
        self._outgoing.append(_HEADER.pack(request_id, length, kind) + key + signature + payload)
        return await answer

    def _send(self) -> None:
        outgoing, self._outgoing = self._outgoing, []
        if self._requests is None or self._requests.is_closing():
            self._fail_waiting()  # nothing written now would be answered
        elif self.alive:
            self._requests.write(b"".join(outgoing))

    async def stop(self) -> None:
        if self._requests is not None:
            self._requests.close()  # end of input: the worker exits
        try:
            await asyncio.wait_for(asyncio.shield(self._exited), 5)
        except TimeoutError:
            if self._transport is not None:
                self._transport.kill()
        if self._transport is not None:
            self._transport.close()

    # asyncio.SubprocessProtocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Duck-typed: other event loops' subprocess transports (uvloop's) are not subclasses.
        self._transport = transport  # type: ignore[assignment]
        self._requests = transport.get_pipe_transport(0)  # type: ignore[attr-defined]

    def pipe_data_received(self, fd: int, data: bytes) -> None:
        self._replies += data
        whole = len(self._replies) - len(self._replies) % _REPLY.size
        for request_id, verdict in _REPLY.iter_unpack(self._replies[:whole]):
            answer = self._waiting.pop(request_id, None)
            if answer is not None and not answer.done():
                answer.set_result(verdict)
        del self._replies[:whole]

    def pipe_connection_lost(self, fd: int, exc: Exception | None) -> None:
        if fd == 1:  # no more answers will come
            self._fail_waiting()

    def process_exited(self) -> None:
        self._fail_waiting()
        if not self._exited.done():
            self._exited.set_result(None)
        if self._transport is not None:
            self._transport.close()  # its pipes too; the Verifier starts a new worker

    def _fail_waiting(self) -> None:
        if self.alive and self._waiting:
            log.error("an Ed25519 verifier process ended with %d requests", len(self._waiting))
        self.alive = False
        waiting, self._waiting = self._waiting, {}
        for answer in waiting.values():
            if not answer.done():
                answer.set_exception(VerifierUnavailable())
