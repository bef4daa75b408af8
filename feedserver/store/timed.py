"""The database, with each write transaction timed for the metrics.

A thin subclass, not a change to the engine: `write()` and `write_grouped()` are timed from
the call to the end of the COMMIT (waiting for the writer included, since that is what a
request feels), and the time is handed to `observe(kind, seconds)`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from feedserver.store.admission import SEARCH_READERS, SEARCH_WAITING
from feedserver.store.db import Database
from feedserver.store.sqlite_writer import WriterConnection

T = TypeVar("T")
Observe = Callable[[str, float], None]


class TimedDatabase(Database):
    def __init__(
        self, path: Path, readers: int = 4, synchronous: str = "FULL", *,
        observe: Observe, search_readers: int = SEARCH_READERS,
        search_waiting: int = SEARCH_WAITING, search_process: bool = False, search_nice: int = 0,
    ) -> None:  # fmt: skip
        super().__init__(
            path, readers, synchronous, search_readers=search_readers,
            search_waiting=search_waiting, search_process=search_process, search_nice=search_nice,
        )  # fmt: skip
        self._observe = observe

    @asynccontextmanager
    async def write(self) -> AsyncIterator[WriterConnection]:
        started = time.perf_counter()
        try:
            async with super().write() as conn:
                yield conn
        finally:
            self._observe("transaction", time.perf_counter() - started)

    async def write_grouped(self, work: Callable[[sqlite3.Connection], T]) -> T:
        started = time.perf_counter()
        try:
            return await super().write_grouped(work)
        finally:
            self._observe("grouped", time.perf_counter() - started)
