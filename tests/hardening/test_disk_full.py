"""A full disk: writes answer 503 storage-full with Retry-After and one log line each, reads
keep working, and writes work again once there is room. The disk is a real one: a small tmpfs
mounted for the test (as root; skipped where mounting is not allowed)."""

from __future__ import annotations

import errno
import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from feedserver.config import Config
from feedserver.store.db import Database
from tests.conftest import PASSWORD, Api

Client = TestClient[web.Request, web.Application]

SIZE = "6m"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={SIZE},mode=0700", "tmpfs", str(mount)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True, timeout=60)


def _fill(disk: Path) -> Path:
    """Take every free byte of `disk` with one file; remove it to make room again."""
    filler = disk / "filler"
    # Unbuffered: a buffered file keeps the bytes a short write left over and fails again
    # when closed, whenever the free space is not a multiple of the chunk.
    with filler.open("wb", buffering=0) as out:
        try:
            while True:
                out.write(b"\0" * 65536)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


@pytest.fixture
def config(small_disk: Path) -> Config:
    return replace(
        Config(), data_dir=small_disk / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL"
    )


async def test_a_full_disk_refuses_writes_with_503_and_keeps_serving_reads(
    small_disk: Path, client: Client, admin: Api, caplog: pytest.LogCaptureFixture
) -> None:
    assert (await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops"}))[0] == 201
    status, first = await admin.post(
        "/api/v1/groups/ops/posts", {"kind": "tip", "title": "Before", "body": "Stored."}
    )
    assert status == 201
    filler = _fill(small_disk)
    caplog.clear()
    caplog.set_level(logging.INFO)
    refused = None
    for n in range(400):  # the WAL may reuse room it already has: write until it needs more
        async with client.post(
            "/api/v1/groups/ops/posts",
            json={"kind": "tip", "title": f"Full {n}", "body": os.urandom(10_000).hex()},
            headers={"Authorization": f"Bearer {admin.token}"},
        ) as resp:
            if resp.status != 201:
                refused = resp.status, dict(resp.headers), await resp.json(content_type=None)
                break
    assert refused is not None, "the disk never filled up"
    status, headers, problem = refused
    assert status == 503, problem
    assert headers["Content-Type"].startswith("application/problem+json")
    assert int(headers["Retry-After"]) > 0
    assert problem["type"] == "/problems/storage-full"
    errors = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1 and errors[0].exc_info is None, caplog.text  # one line, no traceback
    # Reads go on: the stored post, the list, a signed-in page.
    assert (await admin.get(f"/api/v1/posts/{first['id']}"))[0] == 200
    status, listed = await admin.get("/api/v1/groups/ops/posts")
    assert status == 200 and first["id"] in [p["id"] for p in listed["items"]]
    assert (await admin.get("/api/v1/me"))[0] == 200
    # Room again: writes work again, without a restart.
    filler.unlink()
    status, later = await admin.post(
        "/api/v1/groups/ops/posts", {"kind": "tip", "title": "After", "body": "Room again."}
    )
    assert status == 201, later
    assert (await Api(admin.client).login("admin", PASSWORD)).token


async def test_a_full_disk_stops_and_starts_again_cleanly(small_disk: Path, config: Config) -> None:
    """Closing cannot fold the WAL back into a full disk: it says so in one line and loses
    nothing; the server starts again while the disk is still full and serves reads."""
    db = Database(config.db_path, readers=1, synchronous="NORMAL")
    await db.open()
    async with db.write() as conn:
        await conn.execute("CREATE TABLE notes (body TEXT)")
        await conn.execute("INSERT INTO notes VALUES ('kept')")
    filler = _fill(small_disk)
    full = None
    for _ in range(400):  # until SQLite itself needs room it does not have
        try:
            async with db.write() as conn:
                await conn.execute("INSERT INTO notes VALUES (?)", (os.urandom(20_000).hex(),))
        except sqlite3.OperationalError as exc:  # SQLITE_FULL: the point of the test
            full = exc
            break
    assert full is not None and "full" in str(full), full
    await db.close()  # does not raise, though the checkpoint cannot be written
    again = Database(config.db_path, readers=1, synchronous="NORMAL")
    await again.open()  # still full
    try:
        async with again.read() as conn, conn.execute("SELECT body FROM notes LIMIT 1") as cur:
            assert (await cur.fetchone())[0] == "kept"
    finally:
        await again.close()
    filler.unlink()
