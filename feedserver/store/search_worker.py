"""The search process's side of store/search_process.py: a process of its own (started by
the forkserver, never forked from a serving process) that opens its own read-only
connections and runs search jobs (store/search_jobs.py) one at a time on its own event loop.

It receives a job, its arguments (the access scope included, decided by the serving
process), a time bound and a stop flag; it answers ("ok", rows) or ("stopped", abandoned).
On SQLite it has one `query_only` reader of the same file (WAL lets another process read);
on PostgreSQL a pool of one read-only connection.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing.util
import os
from collections.abc import Awaitable, Callable, MutableSequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import asyncpg

from feedserver.store.admission import POLL_SECONDS
from feedserver.store.pg_readers import bounded, read_pool
from feedserver.store.read_guard import QueryStopped
from feedserver.store.sqlite_readers import ReaderPool

Job = Callable[..., Awaitable[Any]]
Outcome = tuple[str, Any]  # ("ok", what the job returned) or ("stopped", abandoned)
# A job whose stop flag nobody ever sets (the warm-up's).
NEVER_STOPPED = -1
# What a search process imports before its first job: the jobs and the store's search code
# (imported with the first job's arguments, they cost that search ~0.2 s).
MODULES = ("feedserver.store.search_worker", "feedserver.store.search_jobs")


class _Worker:
    def __init__(self, kind: str, target: str, stops: MutableSequence[int]) -> None:
        self.kind = kind
        self.target = target
        self.stops = stops
        self.loop = asyncio.new_event_loop()
        self._sqlite: ReaderPool | None = None
        self._pg: asyncpg.Pool | None = None

    async def open(self) -> None:
        if self.kind == "postgresql":
            self._pg = await read_pool(self.target, 1)
        else:
            self._sqlite = ReaderPool(Path(self.target), 1)
            await self._sqlite.open()

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._pg is not None:
            await self._pg.close()

    def borrow(
        self, seconds: float | None, abandoned: Callable[[], bool]
    ) -> AbstractAsyncContextManager[Any]:
        if self._pg is not None:
            return bounded(self._pg, seconds)
        assert self._sqlite is not None
        return self._sqlite.borrow(seconds, abandoned)

    async def run(
        self, job: Job, kwargs: dict[str, Any], seconds: float | None, slot: int, job_id: int
    ) -> Outcome:
        """The job on this process's connection; stopped when the serving process sets its
        stop flag (its client went away) or `seconds` pass."""

        def abandoned() -> bool:
            return self.stops[slot] == job_id

        task = asyncio.create_task(self._on_connection(job, kwargs, seconds, abandoned))
        while not task.done():
            await asyncio.wait({task}, timeout=POLL_SECONDS)
            if not task.done() and abandoned():
                task.cancel()  # PostgreSQL: asyncpg sends the server a cancel request
        try:
            return "ok", task.result()
        except asyncio.CancelledError:
            return "stopped", True
        except QueryStopped as stopped:
            return "stopped", stopped.abandoned

    async def _on_connection(
        self, job: Job, kwargs: dict[str, Any], seconds: float | None,
        abandoned: Callable[[], bool],
    ) -> Any:  # fmt: skip
        async with self.borrow(seconds, abandoned) as conn:
            return await job(conn, **kwargs)


_worker: _Worker | None = None


async def ready(conn: Any) -> int:
    """A job that only proves the connection answers (the process warming up)."""
    rows = list(await conn.execute_fetchall("SELECT 1"))
    return int(rows[0][0])


def start(kind: str, target: str, nice: int, stops: MutableSequence[int]) -> None:
    """The process's initializer: a lower CPU priority if asked (the serving processes come
    first), then its connections, closed when the process ends."""
    global _worker
    if nice > 0:
        os.nice(nice)
    for module in MODULES:
        importlib.import_module(module)
    worker = _Worker(kind, target, stops)
    worker.loop.run_until_complete(worker.open())
    _worker = worker
    multiprocessing.util.Finalize(None, _stop, exitpriority=10)


def _stop() -> None:
    global _worker
    worker, _worker = _worker, None
    if worker is not None:
        worker.loop.run_until_complete(worker.close())
        worker.loop.close()


def serve(conn: Any, kind: str, target: str, nice: int, stops: MutableSequence[int]) -> None:
    """The process's life: open, then answer each job sent on `conn` (job, kwargs, seconds,
    slot, job id) with ("answer", outcome) or ("error", exception), until None or EOF."""
    start(kind, target, nice, stops)
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:  # the serving process went away
                return
            if message is None:
                return
            try:
                conn.send(("answer", run(*message)))
            except Exception as exc:  # the serving process raises it
                conn.send(("error", exc))
    finally:
        _stop()


def run(job: Job, kwargs: dict[str, Any], seconds: float | None, slot: int, job_id: int) -> Outcome:
    if _worker is None:
        raise RuntimeError("the search process is not open")
    return _worker.loop.run_until_complete(_worker.run(job, kwargs, seconds, slot, job_id))
