"""Searches run in a process of their own, so the serving process's CPU, GIL and event loop
stay with the pages it serves: it sends a job (store/search_jobs.py) with the access scope the
policy decided, and waits for the rows without doing the search's work.

`SearchProcess` holds `search_readers` processes (multiprocessing, started by the forkserver:
nothing is forked from a process with threads or a running loop), each with a pipe the event
loop writes the job to and watches for the answer: no thread of the serving process stands
between (with a process pool's feeder and manager threads, searches answered at a lower rate
than in process). The app starts
them beside itself (`start()`, in the background); an engine opened elsewhere (the CLI, a
benchmark) starts them with its first search, a start not counted against its time bound.
The engine's `search_gate` lets at most one search per process in, as before; each serving
process (`serve --workers N`) has its own search processes, as it has its own readers.

A process that dies mid-search (killed, out of memory) fails that search at once with
`SearchFailed` (503) and the next search starts a new one; one that does not answer within
the search's bound plus `GRACE_SECONDS` is killed, the same way. A search whose client went
away sets its stop flag, which the search process polls (store/search_worker.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
from collections.abc import Callable
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


# What a search gets when its process did not answer within its bound and the grace.
_HUNG = object()


class SearchFailed(Exception):
    """The search process died or hung during this search; a new one serves the next."""


class _Child:
    """One search process and the serving process's end of its pipe, watched by the event
    loop from start to end (registering them per search cost two epoll changes each way):
    an answer, or the process's end, settles the search waiting on it."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process = process
        self.conn = conn
        self.answer: asyncio.Future[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def watch(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.conn.fileno(), self._readable)
        self._loop.add_reader(self.process.sentinel, self._settle, None)

    def unwatch(self) -> None:
        loop, self._loop = self._loop, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self.conn.fileno())
            loop.remove_reader(self.process.sentinel)

    def _readable(self) -> None:
        try:
            reply = self.conn.recv()
        except (EOFError, OSError):  # it ended: nothing more will come
            self.unwatch()
            reply = None
        self._settle(reply)

    def _settle(self, reply: Any) -> None:
        if reply is None:
            self.unwatch()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(reply)


class SearchProcess:
    def __init__(self, kind: str, target: str, slots: int, nice: int = 0) -> None:
        self.slots = max(1, slots)
        context = multiprocessing.get_context("forkserver")
        # The forkserver imports the search side once; each process forked from it has it.
        context.set_forkserver_preload(list(search_worker.MODULES))
        self._context = context
        # One stop flag per slot: the id of the job its client gave up on.
        self._stops = context.Array("q", self.slots, lock=False)
        self._args = (kind, target, max(0, nice), self._stops)
        self._free = list(range(self.slots))
        self._ids = itertools.count(1)
        self._children: list[_Child] = []
        self._idle: list[_Child] = []
        self._retired: list[_Child] = []
        self._started = False
        self._starting = asyncio.Lock()

    def pids(self) -> list[int]:
        """The search processes running now (for tests and the operator)."""
        return [c.process.pid for c in self._children if c.process.pid]

    def _spawn(self) -> _Child:
        ours, theirs = self._context.Pipe()
        process = self._context.Process(
            target=search_worker.serve, args=(theirs, *self._args), name="feedserver-search",
            daemon=True,
        )  # fmt: skip
        process.start()
        theirs.close()
        return _Child(process, ours)

    async def start(self) -> None:
        """Start the processes and open their connections, if not done yet."""
        async with self._starting:
            if self._started:
                return
            try:
                for _ in range(self.slots):
                    # Off the loop: the first one starts the forkserver, each forks a process.
                    child = await asyncio.to_thread(self._spawn)
                    child.watch()
                    self._children.append(child)
                ready: tuple[Any, ...] = (
                    search_worker.ready,
                    {},
                    None,
                    0,
                    search_worker.NEVER_STOPPED,
                )
                for child in self._children:
                    await self._ask(child, ready, START_SECONDS, None, 0)
            except SearchFailed as exc:
                self._retire()
                raise SearchFailed(f"the search process did not start: {exc}") from None
            self._idle = list(self._children)
            self._started = True

    async def run(
        self, job: search_worker.Job, kwargs: dict[str, Any], seconds: float | None,
        abandoned: Callable[[], bool] | None,
    ) -> Any:  # fmt: skip
        """`job(conn, **kwargs)` in a search process. Raises QueryStopped as a read would,
        SearchFailed when the process died or hung."""
        if not self._started or not self._idle:
            raise SearchFailed("the search process is not running")
        child, slot, job_id = self._idle.pop(), self._free.pop(), next(self._ids)
        try:
            message = (job, kwargs, seconds, slot, job_id)
            outcome, value = await self._ask(child, message, seconds or 0.0, abandoned, slot)
        except BaseException as exc:
            if not isinstance(exc, SearchFailed):  # cancelled: its answer would be stale
                self._stops[slot] = job_id
                self._retire()
            raise
        else:
            if child in self._children:
                self._idle.append(child)
        finally:
            self._free.append(slot)
        if outcome == "stopped":
            raise QueryStopped(abandoned=bool(value))
        return value

    async def _ask(
        self, child: _Child, message: tuple[Any, ...], seconds: float,
        abandoned: Callable[[], bool] | None, slot: int,
    ) -> Any:  # fmt: skip
        """Send `message` straight from the loop (no thread in between) and wait for the
        answer, which the loop reads as soon as it comes (`_Child`)."""
        loop = asyncio.get_running_loop()
        answer: asyncio.Future[Any] = loop.create_future()
        child.answer = answer
        deadline = loop.time() + seconds + GRACE_SECONDS
        timer: list[asyncio.TimerHandle] = []

        def tick() -> None:  # every POLL_SECONDS: the client still there, the bound kept
            if answer.done():
                return
            if abandoned is not None and abandoned():
                self._stops[slot] = message[4]
            if loop.time() > deadline:
                answer.set_result(_HUNG)
            else:
                timer[:] = [loop.call_later(POLL_SECONDS, tick)]

        try:
            child.conn.send(message)
        except OSError:
            answer.set_result(None)
        timer.append(loop.call_later(POLL_SECONDS, tick))
        try:
            await answer
        finally:
            child.answer = None
            for handle in timer:
                handle.cancel()
        if answer.result() is _HUNG:
            self._retire()
            raise SearchFailed("the search process did not answer in time")
        reply = answer.result()
        if reply is None:
            self._retire()
            raise SearchFailed("the search process stopped during the search")
        kind, value = reply
        if kind == "error":
            raise value
        return value

    def _retire(self) -> None:
        """Kill every search process (a dead or hung one, or one whose answer nobody will
        read); the next search starts new ones. They are reaped at close()."""
        for child in self._children:
            child.unwatch()
            if child.process.is_alive():
                child.process.kill()
        self._retired += self._children
        self._children, self._idle = [], []
        self._started = False

    async def close(self) -> None:
        """End every search process: nothing is left running."""
        children, self._children, self._idle = self._children, [], []
        retired, self._retired = self._retired, []
        self._started = False
        for child in children:
            child.unwatch()
            with contextlib.suppress(OSError):
                child.conn.send(None)
        for child in [*children, *retired]:
            await asyncio.to_thread(child.process.join, GRACE_SECONDS)
            if child.process.is_alive():
                child.process.kill()
                await asyncio.to_thread(child.process.join)
            child.conn.close()
            child.process.close()


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
