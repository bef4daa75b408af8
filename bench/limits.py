"""Limits measured in the same run, for every benchmark to divide by (docs/architecture.md,
Performance).

Absolute figures drift on shared machines; a ratio to a limit measured minutes apart on the
same machine does not. Each function here is generic: it knows nothing about feedserver.

- `requests_per_second(url)`: HTTP load from a separate process on loopback (`wrk` when
  installed, else a small aiohttp client in a child process), so the server under test and
  the load generator never share an event loop.
- `hello_requests_per_second()`: that load against a bare aiohttp "hello" app in its own
  process: the HTTP limit.
- `sqlite_commits_per_second(path)`: one-row transactions on one aiosqlite connection with
  WAL and the given `synchronous`: the storage limit.
- `feedgen_render_seconds(entries)`: rendering an Atom feed with feedgen alone from plain
  dicts: the feed limit.
- `median_seconds(fn)`: the median wall time of a synchronous call.
- `cpu_seconds(pid)`: a process's user + system CPU time so far, from /proc.

    python -m bench.limits            # prints the limits of this machine
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import aiosqlite
from aiohttp import web

from tests.loopback import free_port  # below the ephemeral range: see there


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux /proc): what a request costs a
    server, which a machine shared with other work changes far less than requests/s."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_until_up(url: str, timeout: float = 30.0) -> None:
    """Polls `url` until it answers at all (any status)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(_host_port(url), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not come up") from None
            time.sleep(0.05)


def _host_port(url: str) -> tuple[str, int]:
    found = re.match(r"https?://([^/:]+):(\d+)", url)
    assert found, url
    return found.group(1), int(found.group(2))


# -- HTTP load -------------------------------------------------------------------------------


def requests_per_second(
    url: str,
    *,
    seconds: float = 4.0,
    connections: int = 16,
    headers: dict[str, str] | None = None,
    expect: int | None = None,
) -> float:
    """Completed requests per second against `url`, from a separate process on loopback.

    With `expect`, every response must have that status (checked with the Python driver; with
    wrk, only that no response was outside 2xx/3xx).
    """
    headers = headers or {}
    if shutil.which("wrk"):
        duration = max(1, round(seconds))  # wrk takes whole seconds
        args = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
        for name, value in headers.items():
            args += ["-H", f"{name}: {value}"]
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
        if "Non-2xx or 3xx responses" in out:
            raise RuntimeError(f"unexpected statuses from {url}:\n{out}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    args = [sys.executable, "-m", "bench.limits", "load", url, "--seconds", str(seconds),
            "--connections", str(connections), "--expect", str(expect or 0)]  # fmt: skip
    for name, value in headers.items():
        args += ["--header", f"{name}: {value}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True, cwd=_repo()).stdout
    return float(out.strip())


def _repo() -> Path:
    return Path(__file__).resolve().parents[1]


async def _load(url: str, seconds: float, connections: int, headers: dict, expect: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    # Bodies are read as sent (a gzipped one stays compressed): the server is measured, not
    # the client's inflating.
    async with aiohttp.ClientSession(
        connector=connector, headers=headers, auto_decompress=False
    ) as session:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < stop:
                async with session.get(url) as resp:
                    await resp.read()
                    if expect and resp.status != expect:
                        raise RuntimeError(f"{url}: {resp.status}, expected {expect}")
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        return done / (time.perf_counter() - start)


@contextmanager
def hello_server() -> Iterator[str]:
    """A bare aiohttp app answering "hello" in its own process; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.limits", "hello", str(port)], cwd=_repo(),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def hello_requests_per_second(*, seconds: float = 4.0, connections: int = 16) -> float:
    """The HTTP limit: bare aiohttp "hello" requests/s, driven like any other URL."""
    with hello_server() as url:
        requests_per_second(url, seconds=0.5, connections=connections)  # warm up
        return requests_per_second(url, seconds=seconds, connections=connections, expect=200)


def _serve_hello(port: int) -> None:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    app = web.Application()
    app.router.add_get("/", hello)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# -- storage ---------------------------------------------------------------------------------


async def sqlite_commits_per_second(
    path: Path, count: int = 2000, synchronous: str = "FULL"
) -> float:
    """The storage limit: one-row transactions per second on one aiosqlite connection (WAL)."""
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute(f"PRAGMA synchronous = {synchronous}")
        await conn.execute("CREATE TABLE IF NOT EXISTS limit_rows (n INTEGER, body TEXT)")
        start = time.perf_counter()
        for n in range(count):
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute("INSERT INTO limit_rows VALUES (?, ?)", (n, "x" * 200))
            await conn.execute("COMMIT")
        return count / (time.perf_counter() - start)


# -- rendering -------------------------------------------------------------------------------


def median_seconds(fn: Callable[[], Any], repeat: int = 20) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def feedgen_atom(entries: list[dict[str, Any]]) -> bytes:
    """An Atom feed from plain dicts (id, title, author, uri, published, updated, html, link,
    tags) with feedgen and nothing else: what any feed costs at least."""
    from feedgen.feed import FeedGenerator

    fg = FeedGenerator()
    fg.id("http://127.0.0.1/feed")
    fg.title("Limit")
    fg.subtitle("feedgen alone")
    fg.link(href="http://127.0.0.1/feed", rel="self")
    fg.updated(max((e["updated"] for e in entries), default=datetime.now(UTC)))
    for e in entries:
        entry = fg.add_entry(order="append")
        entry.id(e["id"])
        entry.title(e["title"])
        entry.author({"name": e["author"], "uri": e["uri"]})
        entry.published(e["published"])
        entry.updated(e["updated"])
        entry.content(e["html"], type="html")
        entry.link(href=e["link"])
        entry.category([{"term": t} for t in e["tags"]])
    return fg.atom_str(pretty=False)


def feedgen_render_seconds(entries: list[dict[str, Any]], repeat: int = 20) -> float:
    """The feed limit: median seconds to render `entries` with feedgen alone."""
    return median_seconds(lambda: feedgen_atom(entries), repeat)


def sample_entries(count: int = 50) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    html = "<p>When the <strong>check is cut after the deadline</strong>, file the form.</p>" * 4
    return [
        {"id": f"http://127.0.0.1/posts/{n}", "title": f"Post {n}", "author": "Alice",
         "uri": "http://127.0.0.1/members/alice", "published": now, "updated": now,
         "html": html, "link": f"http://127.0.0.1/posts/{n}", "tags": ["payroll", "tip"]}
        for n in range(count)
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    hello = sub.add_parser("hello", help="serve the bare aiohttp hello app (used by the limits)")
    hello.add_argument("port", type=int)
    load = sub.add_parser("load", help="drive GET load at a URL, print requests/s")
    load.add_argument("url")
    load.add_argument("--seconds", type=float, default=4.0)
    load.add_argument("--connections", type=int, default=16)
    load.add_argument("--expect", type=int, default=0)
    load.add_argument("--header", action="append", default=[])
    args = parser.parse_args()
    if args.command == "hello":
        _serve_hello(args.port)
    elif args.command == "load":
        headers = dict(h.split(": ", 1) for h in args.header)
        rate = asyncio.run(_load(args.url, args.seconds, args.connections, headers, args.expect))
        print(f"{rate:.1f}")
    else:
        import tempfile

        print(f"bare aiohttp hello requests/s: {hello_requests_per_second():,.0f}")
        with tempfile.TemporaryDirectory() as tmp:
            commits = asyncio.run(sqlite_commits_per_second(Path(tmp) / "limit.sqlite3"))
        print(f"raw SQLite commits/s (WAL, synchronous=FULL): {commits:,.0f}")
        render = feedgen_render_seconds(sample_entries())
        print(f"feedgen alone, 50 entries: {render * 1000:.2f} ms")


if __name__ == "__main__":
    main()
