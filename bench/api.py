"""Posts per second through the HTTP API against raw aiosqlite commits per second.

    python -m bench.api [--posts N] [--clients C]

The server is the real `feedserver serve` in its own process on 127.0.0.1, with the default
durability (WAL, synchronous=FULL). The load comes from wrk (C, its own process) when it is
installed (Debian's `wrk`), else from an aiohttp client in this process: on a 2-core machine
that client takes about the CPU the server does, so it measures itself as much as the server
(--client python forces it). The limit is measured
in the same run: one aiosqlite connection committing one row per transaction with the same
pragmas on the same disk. Every post costs a transaction with six writes (post, search index,
tags, revision, group counter) plus HTTP, JSON Schema validation, Markdown rendering and
sanitizing, so the ratio says how much of the storage limit the whole stack keeps.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import aiosqlite

from bench.limits import cpu_seconds
from bench.report import machine, write_section
from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[1]
BODY = "When the **check is cut after the deadline**, file the late-pay form.\n\n" * 4


async def raw_commits_per_second(path: Path, count: int) -> float:
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = FULL")
        await conn.execute("CREATE TABLE t (id TEXT PRIMARY KEY, title TEXT, body TEXT)")
        start = time.perf_counter()
        for n in range(count):
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("INSERT INTO t VALUES (?, ?, ?)", (f"{n:026d}", f"t{n}", BODY))
            await conn.execute("COMMIT")
        return count / (time.perf_counter() - start)


def cli(data: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, check=True,
    ).stdout  # fmt: skip


# Each request is a new tip (its number in the title), as the Python client sends them.
_WRK_SCRIPT = """
local n, token, body = 0, TOKEN, BODY
function request()
  n = n + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token}, string.format(body, n))
end
function response(status, headers, body)
  if status ~= 201 then io.stderr:write("status " .. status .. "\\n") end
end
"""


def _lua_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _wrk_posts(url: str, token: str, clients: int, seconds: float) -> tuple[int, float]:
    """Posts answered 201 by wrk's `clients` connections in about `seconds`, and the
    seconds wrk counted them over."""
    post = {"kind": "tip", "title": "tip %d", "body": BODY, "tags": ["payroll"]}
    script = _WRK_SCRIPT.replace("TOKEN", _lua_string(token))
    script = script.replace("BODY", _lua_string(json.dumps(post)))
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as file:
        file.write(script)
        file.flush()
        args = ["wrk", "-t1", f"-c{clients}", f"-d{seconds:.0f}s", "-s", file.name, url]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
    if "status" in out.stderr or "Non-2xx" in out.stdout:
        raise RuntimeError(f"posts refused:\n{out.stdout}\n{out.stderr[:2000]}")
    found = re.search(r"(\d+) requests in ([\d.]+)s", out.stdout)
    assert found, out.stdout
    return int(found.group(1)), float(found.group(2))


async def api_posts_per_second(
    data: Path, count: int, clients: int, use_wrk: bool
) -> tuple[float, float]:
    """Posts/s and the server's CPU milliseconds per post."""
    cli(data, "user", "add", "bench", stdin="benchmark password\n")
    token = cli(data, "token", "create", "bench").strip()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_WRITE_BURST": "0"},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with aiohttp.ClientSession(headers=headers) as session:
            for _ in range(300):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/healthz"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            async with session.post(
                f"{base}/groups", json={"name": "bench", "title": "Bench"}
            ) as r:
                assert r.status == 201, await r.text()
            if use_wrk:  # about as long as the Python client would take for `count` posts
                seconds = max(3.0, count / 1000)
                cpu = cpu_seconds(server.pid)
                done, elapsed = await asyncio.to_thread(
                    _wrk_posts, f"{base}/groups/bench/posts", token, clients, seconds
                )
                return done / elapsed, 1000 * (cpu_seconds(server.pid) - cpu) / done
            remaining = iter(range(count))

            async def client() -> None:
                for n in remaining:
                    post = {"kind": "tip", "title": f"tip {n}", "body": BODY, "tags": ["payroll"]}
                    async with session.post(f"{base}/groups/bench/posts", json=post) as r:
                        assert r.status == 201, await r.text()

            start, cpu = time.perf_counter(), cpu_seconds(server.pid)
            await asyncio.gather(*(client() for _ in range(clients)))
            elapsed, cpu = time.perf_counter() - start, cpu_seconds(server.pid) - cpu
            return count / elapsed, 1000 * cpu / count
    finally:
        server.terminate()
        server.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--client", choices=("wrk", "python"), default="wrk")
    args = parser.parse_args()
    use_wrk = args.client == "wrk" and shutil.which("wrk") is not None
    with tempfile.TemporaryDirectory() as tmp:
        raw = await raw_commits_per_second(Path(tmp) / "raw.sqlite3", args.posts)
        api, cpu_ms = await api_posts_per_second(
            Path(tmp) / "data", args.posts, args.clients, use_wrk
        )
    ratio = api / raw
    client = "wrk" if use_wrk else "an aiohttp client"
    lines = [
        f"| raw aiosqlite commits/s (WAL, synchronous=FULL, one row each) | {raw:,.0f} |",
        f"| posts/s through POST /api/v1/groups/{{name}}/posts, {args.clients} clients"
        f" ({client}) | {api:,.0f} |",
        f"| ratio API / raw | {ratio:.2f} |",
        f"| server CPU per post (user + system) | {cpu_ms:.2f} ms |",
    ]
    print("\n".join(lines))
    write_section(
        "Posting through the API (bench/api.py)",
        f"{machine()}, {args.posts} posts\n\n| measure | value |\n|---|---|\n" + "\n".join(lines),
    )


if __name__ == "__main__":
    asyncio.run(main())
