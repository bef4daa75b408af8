"""Server CPU per feed request against a bare aiohttp hello, and old code against new.

    python -m bench.feeds_cpu [--posts 1000] [--old PATH] [--rounds 3] [--seconds 2]

Requests/s on a shared 2-core machine swing with whatever else runs; the CPU time the
server process itself spends per answered request (`/proc/PID/stat` utime + stime over a
`wrk` run, divided by the requests wrk completed) moves far less. For each kind (warm 200
and 304, plain and gzipped, of the group feed) the figure is `hello CPU / feed CPU`: the
share of hello's requests/s the feed would reach if both were bound by the server's CPU,
comparable to bench/feeds.py's targets (warm >= 0.50, 304 >= 0.70).

With `--old PATH` (a checkout of other code, e.g. a detached worktree of main), every round
runs both servers, alternating which goes first, each started fresh on the same seeded
database, with hello measured around them. Also counts remembered answers (the
`feedserver_feed_cache_hits{cache="answer"}` counter) against requests: a poll between
writes should always be one. Needs `wrk`. Prints a table; writes nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import limits
from bench.feeds import GZIP, PLAIN, REPO, _get, _open, seed
from bench.limits import cpu_seconds
from tests.loopback import free_port

KINDS = ("warm", "warm_gz", "304", "304_gz")


def wrk(url: str, seconds: int, headers: dict[str, str]) -> int:
    args = ["wrk", "-t1", "-c16", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"unexpected statuses from {url}:\n{out}")
    found = re.search(r"(\d+) requests in", out)
    assert found, out
    return int(found.group(1))


def us_per_request(pid: int, url: str, seconds: int, headers: dict[str, str]) -> float:
    """The median of two wrk runs: server CPU microseconds per completed request."""
    runs = []
    for _ in range(2):
        before = cpu_seconds(pid)
        done = wrk(url, seconds, headers)
        runs.append((cpu_seconds(pid) - before) / done * 1e6)
    return statistics.median(runs)


@contextmanager
def process(args: list[str], cwd: Path, url: str, env: dict[str, str]) -> Iterator[int]:
    proc = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        limits.wait_until_up(url)
        yield proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def counted(base: str) -> tuple[float, float]:
    """The server's own count of group feed requests, and of remembered answers given."""
    text = urllib.request.urlopen(f"{base}/metrics").read().decode()
    hits = re.search(r'feedserver_feed_cache_hits_total\{cache="answer"\} ([\d.e+]+)', text)
    asked = re.findall(
        r'feedserver_http_requests_total\{method="GET",route="/feeds/groups/\{name\}.atom",'
        r'status="\d+"\} ([\d.e+]+)', text)  # fmt: skip
    return sum(map(float, asked)), float(hits.group(1)) if hits else 0.0


def measure(code: Path, data: Path, url_path: str, seconds: int) -> dict[str, float]:
    """One side of a round: hello, then each feed kind, on a fresh server of `code`."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_BASE_URL": base}
    serve = [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port",
             str(port)]  # fmt: skip
    hello_port = free_port()
    hello = [sys.executable, "-m", "bench.limits", "hello", str(hello_port)]
    found: dict[str, float] = {}
    with process(hello, REPO, f"http://127.0.0.1:{hello_port}/", dict(os.environ)) as pid:
        wrk(f"http://127.0.0.1:{hello_port}/", 1, {})  # warm up
        found["hello"] = us_per_request(pid, f"http://127.0.0.1:{hello_port}/", seconds, {})
    with process(serve, code, f"{base}/", env) as pid:
        url = base + url_path
        status, etag = asyncio.run(_get(url))
        assert status == 200, status
        wrk(url, 1, PLAIN)  # warm up
        conditional = {"If-None-Match": etag}
        asks = {"warm": PLAIN, "warm_gz": GZIP, "304": PLAIN | conditional,
                "304_gz": GZIP | conditional}  # fmt: skip
        for kind, headers in asks.items():
            found[kind] = us_per_request(pid, url, seconds, headers)
        # The miss count: one more short run per kind, counted exactly.
        asked, hits = counted(base)
        for headers in asks.values():
            wrk(url, 1, headers)
        asked_after, hits_after = counted(base)
        found["asked"] = asked_after - asked
        found["missed"] = found["asked"] - (hits_after - hits)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000)
    parser.add_argument("--old", type=Path, help="another checkout to compare against")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench.feeds_cpu needs wrk")
    sides = {"new": REPO} | ({"old": args.old.resolve()} if args.old else {})
    results: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        port = free_port()

        async def prepare() -> str:
            services = await _open(data, port)
            try:
                return await seed(services, 0, args.posts)
            finally:
                await services.db.close()

        url = asyncio.run(prepare())
        url_path = url.split(str(port), 1)[1]
        for n in range(args.rounds):
            order = list(sides) if n % 2 else list(sides)[::-1]
            for side in order:
                found = measure(sides[side], data, url_path, args.seconds)
                results[side].append(found)
                load = os.getloadavg()[0]
                figures = ", ".join(f"{k} {v:.0f}" for k, v in found.items())
                print(f"round {n + 1} {side} (load {load:.1f}): {figures}", file=sys.stderr)
    print(f"| request ({args.posts:,} posts) | " + " | ".join(
        f"{side} us/request | {side} hello/feed" for side in sides) + " |")  # fmt: skip
    print("|---|" + "---|---|" * len(sides))
    for kind in ("hello", *KINDS):
        cells = []
        for side in sides:
            rounds = results[side]
            us = [r[kind] for r in rounds]
            ratios = [r["hello"] / r[kind] for r in rounds]
            cells.append(" / ".join(f"{u:.0f}" for u in us))
            cells.append(" / ".join(f"{x:.2f}" for x in ratios))
        print(f"| {kind} | " + " | ".join(cells) + " |")
    for side in sides:
        missed = sum(r["missed"] for r in results[side])
        asked = sum(r["asked"] for r in results[side])
        print(f"{side}: {missed:.0f} of {asked:.0f} requests missed the remembered answer")


if __name__ == "__main__":
    main()
