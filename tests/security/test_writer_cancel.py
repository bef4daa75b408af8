"""A write cancelled while it waits for BEGIN (a request cancelled, the delivery worker
stopped at shutdown) must not leave the one writer connection inside a transaction: every
later write would fail, and closing the database could not checkpoint."""

from __future__ import annotations

import asyncio
import contextlib

from feedserver.store.db import Database


async def test_a_write_cancelled_at_begin_leaves_no_open_transaction(tmp_path) -> None:
    db = Database(tmp_path / "t.sqlite", readers=1, synchronous="NORMAL")
    await db.open()
    try:

        async def write() -> None:
            async with db.write() as conn:
                await conn.execute("SELECT 1")

        task = asyncio.create_task(write())
        await asyncio.sleep(0)  # the task is now awaiting BEGIN IMMEDIATE
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        async with db.write() as conn:  # the next write works
            await conn.execute("SELECT 1")
    finally:
        await db.close()  # and the WAL can be checkpointed
