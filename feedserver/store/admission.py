"""Admission for a kind of read that may be slow (search): at most `slots` run at once, at most
`waiting` more wait in line, first come first served, each until its deadline.

Both engines set readers aside for searches and let searches in through a `Gate`, so however
many searches arrive, the ordinary readers stay free for every other page, and only a few
searches' work (threads, result rows, snippets) shares the process with the pages at a time.
A search beyond the line, or one whose deadline passes while it waits, is refused at once
(`ReadersBusy`) rather than left to wait for nothing.
"""

from __future__ import annotations

import asyncio
import collections
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from feedserver.store.read_guard import QueryStopped

# Defaults of the engines (settings search_readers and search_waiting): readers set aside for
# searches, and searches that may wait for one.
SEARCH_READERS = 1
SEARCH_WAITING = 16
# How often a waiting read asks whether its client is still there (it has no other signal).
POLL_SECONDS = 0.05


class ReadersBusy(Exception):
    """No reader for this kind of read: the line was full, or the deadline passed in it."""

    def __init__(self, *, full: bool) -> None:
        super().__init__("line full" if full else "deadline passed while waiting")
        self.full = full


class Gate:
    """A counted set of slots with a bounded line of waiters, handed over in order."""

    def __init__(self, slots: int, waiting: int) -> None:
        self.slots = max(1, slots)
        self.waiting_max = max(0, waiting)
        self._free = self.slots
        self._line: collections.deque[asyncio.Future[None]] = collections.deque()

    @property
    def waiting(self) -> int:
        return len(self._line)

    @property
    def running(self) -> int:
        return self.slots - self._free

    @asynccontextmanager
    async def enter(
        self, seconds: float | None, abandoned: Callable[[], bool] | None = None
    ) -> AsyncIterator[float | None]:
        """Hold one slot for the block; yields the seconds left of `seconds` once in (None
        for no bound). Raises ReadersBusy when the line is full or `seconds` pass in it, and
        QueryStopped(abandoned=True) when `abandoned()` answers true while waiting."""
        deadline = None if seconds is None else time.monotonic() + seconds
        await self._take(deadline, abandoned)
        try:
            yield None if deadline is None else max(0.0, deadline - time.monotonic())
        finally:
            self._release()

    async def _take(self, deadline: float | None, abandoned: Callable[[], bool] | None) -> None:
        if self._free > 0 and not self._line:
            self._free -= 1
            return
        if len(self._line) >= self.waiting_max:
            raise ReadersBusy(full=True)
        turn = asyncio.get_running_loop().create_future()
        self._line.append(turn)
        try:
            while not turn.done():
                left = POLL_SECONDS if deadline is None else deadline - time.monotonic()
                if left <= 0:
                    raise ReadersBusy(full=False)
                await asyncio.wait({turn}, timeout=min(POLL_SECONDS, left))
                if not turn.done() and abandoned is not None and abandoned():
                    raise QueryStopped(abandoned=True)
        except BaseException:
            if turn.done():  # handed a slot just as this waiter gave up: pass it on
                self._release()
            else:
                turn.cancel()
                self._line.remove(turn)
            raise

    def _release(self) -> None:
        """The slot goes straight to the first waiter, if any (never counted free between)."""
        while self._line:
            turn = self._line.popleft()
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1
