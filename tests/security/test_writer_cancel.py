"""A write cancelled while it waits for BEGIN (a request cancelled, the delivery worker
stopped at shutdown) must not leave the one writer connection inside a transaction: every
later write would fail, and closing the database could not checkpoint."""

from __future__ import annotations

import asyncio
import contextlib
import threading

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


async def test_a_write_cancelled_during_its_commit_still_moves_the_generation(tmp_path) -> None:
    """The COMMIT runs to its end on the writer's thread even when the request that made it
    is gone; the feed cache's generation must move with it, or a stale feed is served."""
    db = Database(tmp_path / "t.sqlite", readers=1, synchronous="NORMAL")
    await db.open()
    try:
        writer = db._writer
        assert writer is not None
        async with db.write() as conn:
            await conn.execute("CREATE TABLE t (x INTEGER)")
        gate = threading.Event()
        # Hold the writer's thread, so the COMMIT below waits in its queue: the task is then
        # cancelled exactly while its COMMIT is pending.
        held = asyncio.create_task(writer.on_thread(gate.wait, 30))

        async def write() -> None:
            async with db.write() as conn:
                await conn.execute("INSERT INTO t VALUES (1)")

        before = db.generation
        task = asyncio.create_task(write())
        for _ in range(100):  # until the COMMIT is queued behind the held thread
            await asyncio.sleep(0)
        task.cancel()
        gate.set()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await held
        deadline = asyncio.get_running_loop().time() + 30
        while db.generation == before and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)  # the COMMIT finishes without its cancelled caller
        assert db.generation == before + 1
        async with db.read() as conn, conn.execute("SELECT count(*) FROM t") as cur:
            assert (await cur.fetchone())[0] == 1
    finally:
        await db.close()
