"""Searches run in a process of their own, so the serving process's CPU, GIL and event loop
stay with the pages it serves: it sends a job (store/search_jobs.py) with the access scope the
policy decided, and waits for the rows without doing the search's work.

`SearchProcess` holds a pool of `search_readers` processes (concurrent.futures, started by the
forkserver: nothing is forked from a process with threads or a running loop). They start with
the first search, not with the engine (most processes that open a database never search), and
that start is not counted against the search's time bound. The engine's `search_gate` lets at
most one search per process in, as before; each serving process (`serve --workers N`) has its
own pool, as it has its own readers.

A process that dies mid-search (killed, out of memory) fails that search at once with
`SearchFailed` (503) and the next search starts a new one; one that does not answer within
the search's bound plus `GRACE_SECONDS` is killed, the same way. A search whose client went
away sets its stop flag, which the search process polls (store/search_worker.py).
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from feedserver.store import search_worker
from feedserver.store.admission import POLL_SECONDS, Gate
from feedserver.store.read_guard import QueryStopped

# Beyond a search's own bound, how long a search process may take to answer before it is
# taken for hung and killed (it stops its own query at the bound: this is for a process
# that cannot answer at all).
GRACE_SECONDS = 5.0
# How long starting the search processes may take (a loaded machine, a cold disk).
START_SECONDS = 60.0


class SearchFailed(Exception):
    """The search process died or hung during this search; a new one serves the next."""


class SearchProcess:
    def __init__(self, kind: str, target: str, slots: int, nice: int = 0) -> None:
        self.slots = max(1, slots)
        context = multiprocessing.get_context("forkserver")
        # The forkserver imports the search side once; each process forked from it has it.
        context.set_forkserver_preload(["feedserver.store.search_worker"])
        self._context = context
        # One stop flag per slot: the id of the job its client gave up on.
        self._stops = context.Array("q", self.slots, lock=False)
        self._initargs = (kind, target, max(0, nice), self._stops)
        self._free = list(range(self.slots))
        self._ids = itertools.count(1)
        self._pool: ProcessPoolExecutor | None = None
        self._retired: list[ProcessPoolExecutor] = []
        self._started = False
        self._starting = asyncio.Lock()

    def pids(self) -> list[int]:
        """The search processes running now (for tests and the operator)."""
        pool = self._pool
        return [] if pool is None else [p.pid for p in pool._processes.values() if p.pid]

    async def start(self) -> None:
        """Start the processes and open their connections, if not done yet."""
        async with self._starting:
            if self._started:
                return
            if self._pool is None:
                self._pool = ProcessPoolExecutor(
                    self.slots, mp_context=self._context, initializer=search_worker.start,
                    initargs=self._initargs,
                )  # fmt: skip
            pool = self._pool

            def submit() -> asyncio.Future[search_worker.Outcome]:
                # Off the loop: the first one starts the forkserver, each forks a process.
                job = pool.submit(
                    search_worker.run, search_worker.ready, {}, None, 0, search_worker.NEVER_STOPPED
                )
                return asyncio.wrap_future(job, loop=loop)

            loop = asyncio.get_running_loop()
            try:
                futures = [await asyncio.to_thread(submit) for _ in range(self.slots)]
                await asyncio.wait_for(asyncio.gather(*futures), START_SECONDS)
            except (BrokenProcessPool, TimeoutError) as exc:
                self._retire(pool, kill=True)
                raise SearchFailed(f"the search process did not start: {exc!r}") from None
            self._started = True

    async def run(
        self, job: search_worker.Job, kwargs: dict[str, Any], seconds: float | None,
        abandoned: Callable[[], bool] | None,
    ) -> Any:  # fmt: skip
        """`job(conn, **kwargs)` in a search process. Raises QueryStopped as a read would,
        SearchFailed when the process died or hung."""
        pool = self._pool
        if pool is None or not self._started:
            raise RuntimeError("the search process is not started")
        slot, job_id = self._free.pop(), next(self._ids)
        try:
            try:
                done = asyncio.wrap_future(
                    pool.submit(search_worker.run, job, kwargs, seconds, slot, job_id)
                )
            except BrokenProcessPool:
                self._retire(pool, kill=True)
                raise SearchFailed("the search process had stopped") from None
            try:
                await self._wait(done, pool, seconds, abandoned, slot, job_id)
            except BaseException:
                self._stops[slot] = job_id  # cancelled: the process stops it too
                done.cancel()  # its outcome is nobody's now
                raise
            try:
                outcome, value = done.result()
            except BrokenProcessPool:
                self._retire(pool, kill=True)
                raise SearchFailed("the search process stopped during the search") from None
        finally:
            self._free.append(slot)
        if outcome == "stopped":
            raise QueryStopped(abandoned=bool(value))
        return value

    async def _wait(
        self, done: asyncio.Future[Any], pool: ProcessPoolExecutor, seconds: float | None,
        abandoned: Callable[[], bool] | None, slot: int, job_id: int,
    ) -> None:  # fmt: skip
        deadline = time.monotonic() + (seconds or 0.0) + GRACE_SECONDS
        while not done.done():
            await asyncio.wait({done}, timeout=POLL_SECONDS)
            if done.done():
                return
            if abandoned is not None and abandoned():
                self._stops[slot] = job_id
            if time.monotonic() > deadline:
                self._retire(pool, kill=True)
                raise SearchFailed("the search process did not answer in time")

    def _retire(self, pool: ProcessPoolExecutor, *, kill: bool) -> None:
        """Take `pool` out of service (killing its processes first if asked); the next
        search starts a new one. Its threads are joined at close()."""
        if kill:
            for process in list(pool._processes.values()):
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self._retired.append(pool)
        if self._pool is pool:
            self._pool = None
            self._started = False

    async def close(self) -> None:
        """End every search process and join the pools' threads: nothing is left running."""
        pool, self._pool = self._pool, None
        self._started = False
        pools = [*self._retired, *([pool] if pool is not None else [])]
        self._retired = []
        for each in pools:
            await asyncio.to_thread(each.shutdown, True, cancel_futures=True)


class Searchable(Protocol):
    """What `search` needs of an engine (both have it)."""

    search_gate: Gate
    search_process: SearchProcess | None

    def read(
        self, *, seconds: float | None = ..., abandoned: Callable[[], bool] | None = ...,
        search: bool = ...,
    ) -> AbstractAsyncContextManager[Any]: ...  # fmt: skip


async def search(
    engine: Searchable, job: search_worker.Job, kwargs: dict[str, Any], *, seconds: float,
    abandoned: Callable[[], bool] | None,
) -> Any:  # fmt: skip
    """One search job through the engine's gate: in its search process, or (without one) on
    one of the readers set aside for searches. Raises ReadersBusy, QueryStopped, SearchFailed."""
    process = engine.search_process
    if process is None:
        async with engine.read(seconds=seconds, abandoned=abandoned, search=True) as conn:
            return await job(conn, **kwargs)
    await process.start()  # the first search only: not counted against its bound
    async with engine.search_gate.enter(seconds, abandoned) as left:
        return await process.run(job, kwargs, left, abandoned)
