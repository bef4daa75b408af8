"""/livez says the process serves; /readyz says the database reads and the writer can write."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.http import meta
from feedserver.store.db import Database


async def test_livez_and_readyz_answer_ok(client: TestClient[web.Request, web.Application]) -> None:
    for path in ("/livez", "/healthz"):
        async with client.get(path) as resp:
            assert resp.status == 200 and (await resp.json())["status"] == "ok"
    async with client.get("/readyz") as resp:
        assert resp.status == 200
        assert await resp.json() == {"status": "ok", "checks": {"database": "ok", "writer": "ok"}}
        assert resp.headers["Cache-Control"] == "no-store"


async def test_the_writer_check_commits_nothing(tmp_path: Path) -> None:
    """So a probe every few seconds drops no cache keyed on the write generation."""
    db = Database(tmp_path / "db.sqlite3", readers=1)
    await db.open()
    try:
        before = db.generation
        await db.check_writer(1.0)
        await db.check_reader()
        assert db.generation == before
        async with db.write() as conn:  # and the writer still writes afterwards
            await conn.execute("CREATE TABLE t (x)")
        assert db.generation == before + 1
    finally:
        await db.close()


@pytest.mark.sqlite_only("stands for a stuck CLI by holding SQLite's file write lock")
async def test_readyz_is_503_while_the_writer_cannot_write(
    client: TestClient[web.Request, web.Application], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(meta, "READY_TIMEOUT", 0.3)
    db = client.app[appkeys.SERVICES].db
    # Another process holding SQLite's write lock, as a stuck `feedserver` CLI would.
    other = sqlite3.connect(db.path, isolation_level=None, check_same_thread=False)
    try:
        # Off the event loop: the server's own writes (started in the background) must be
        # able to commit while this waits for the lock.
        await asyncio.to_thread(other.execute, "BEGIN IMMEDIATE")
        async with client.get("/readyz") as resp:
            assert resp.status == 503
            body = await resp.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"] == "ok" and body["checks"]["writer"] != "ok"
        async with client.get("/livez") as resp:
            assert resp.status == 200  # alive all the same: no restart for a busy database
        other.execute("ROLLBACK")
        async with client.get("/readyz") as resp:
            assert resp.status == 200
    finally:
        other.close()
    async with client.get("/readyz") as resp:
        assert resp.status == 200
