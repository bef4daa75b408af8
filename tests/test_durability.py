"""Durability: the real server process is killed with SIGKILL while posts stream in; after a
restart every post that got a 201 is there, once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp

from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[1]


def _cli(data: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60, check=True,
        env={**os.environ, "FEEDSERVER_SCRYPT_N": "1024"},
    )  # fmt: skip
    return result.stdout


async def _start(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_WRITE_BURST": "0"},
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        for _ in range(200):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz") as resp:
                    if resp.status == 200:
                        return proc
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


async def test_no_acknowledged_post_is_lost_or_doubled(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli(data, "user", "add", "writer", stdin="a long enough password\n")
    token = _cli(data, "token", "create", "writer").strip()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    base = f"http://127.0.0.1:{port}/api/v1"

    proc = await _start(data, port)
    acknowledged: dict[str, str] = {}  # title -> id
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.post(f"{base}/groups", json={"name": "log", "title": "Log"}) as resp:
            assert resp.status == 201

        async def writer(worker: int) -> None:
            for n in range(10_000):
                title = f"entry {worker}-{n}"
                body = {"kind": "note", "title": title, "body": "durable?"}
                try:
                    async with session.post(f"{base}/groups/log/posts", json=body) as resp:
                        if resp.status == 201:
                            acknowledged[title] = (await resp.json())["id"]
                except aiohttp.ClientError:
                    return

        writers = [asyncio.create_task(writer(w)) for w in range(4)]
        while len(acknowledged) < 60:
            await asyncio.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        await asyncio.wait_for(asyncio.gather(*writers), timeout=30)

    proc = await _start(data, port)
    try:
        stored: dict[str, list[str]] = {}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = f"{base}/groups/log/posts?limit=100"
            while url:
                async with session.get(url) as resp:
                    page = await resp.json()
                for post in page["items"]:
                    stored.setdefault(post["title"], []).append(post["id"])
                url = (
                    f"{base}/groups/log/posts?limit=100&cursor={page['next']}"
                    if page["next"]
                    else ""
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    assert len(acknowledged) >= 60
    for title, post_id in acknowledged.items():
        assert stored.get(title) == [post_id], title  # there, and exactly once
    assert all(len(ids) == 1 for ids in stored.values())  # nothing doubled, even in flight
