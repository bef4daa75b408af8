"""SQLite VM steps a store call costs: a count that does not depend on the machine's load,
so a test can compare the cost of one page at two database sizes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sized
from pathlib import Path
from typing import TypeVar

import aiosqlite

T = TypeVar("T", bound=Sized)


async def vm_steps(
    path: Path, call: Callable[[aiosqlite.Connection], Awaitable[T]]
) -> tuple[int, int]:
    """(VM steps in units of 10, rows found) of `call` on a fresh connection to `path`."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    conn = await aiosqlite.connect(path)
    try:
        conn.row_factory = aiosqlite.Row
        await conn.set_progress_handler(count, 10)
        found = await call(conn)
    finally:
        await conn.close()
    return steps, len(found)


async def two_sizes(
    directory: Path, build: Callable[[Path, int], Awaitable[None]], rows: int
) -> tuple[Path, Path]:
    """The same database built with `rows` and with ten times as many: the two sizes a cost
    test compares."""
    small, large = directory / "small.sqlite3", directory / "large.sqlite3"
    await build(small, rows)
    await build(large, rows * 10)
    return small, large
