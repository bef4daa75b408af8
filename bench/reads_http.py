"""A post list and a thread through HTTP at 10,000 and 1,000,000 posts, against bare aiohttp.

    python -m bench.reads_http [--sizes 10000,1000000] [--seconds 4] [--rounds 3]

The real `feedserver serve`, in its own process, on a copy of bench/.work's database
(bench/scale_data.py; built once) with a member's bearer token (m5, bench/scale.py's member):
`GET /api/v1/groups/g0/posts` (a page of 20) and `GET /api/v1/posts/{id}` (the group's
longest thread, a page of 20 answers). Each is measured twice: as a client repeating its read
gets it (remembered until a write, http/api_answers.py), and computed on every request (a
second server with `feed_cache_bytes` = 0, so nothing is remembered). The load is wrk with 16
connections on loopback (else
bench/limits.py's aiohttp client process); the limit is a bare aiohttp "hello" app in its own
process, measured in the same rounds, alternating with the server. Each size reports the
median round, server CPU per request, and the ratio of 1M to 10k. Appends a dated section to
bench/results.md.

The copy is in the steady state of a server that has run before: the start-up backfill of
learning insights is marked done, or at 1M posts it would share the CPU with the requests
measured.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from bench import scale_data as data
from bench.api import REPO, cli
from bench.limits import cpu_seconds, hello_server, requests_per_second, wait_until_up
from bench.report import machine, write_section
from tests.loopback import free_port

TITLE = "A post list and a thread through HTTP (bench/reads_http.py)"
TARGET = 0.5  # of bare aiohttp hello requests/s
MEMBER = "m5"


def _copy(size: int, into: Path) -> str:
    """A copy of the `size` database in `into`, in a served server's steady state; returns
    the id of group g0's longest thread."""
    source = data.build(size)
    target = into / source.name
    shutil.copyfile(source, target)
    with sqlite3.connect(target) as conn:
        conn.execute(
            "UPDATE insight_backfill SET done_at = ? WHERE id = 1",
            (datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000000Z"),),
        )
        (thread_id,) = conn.execute(
            "SELECT parent_id FROM posts WHERE parent_id IS NOT NULL AND group_id = ?"
            " GROUP BY parent_id ORDER BY count(*) DESC LIMIT 1",
            (data.group_id(0),),
        ).fetchone()
    return str(thread_id)


@contextmanager
def _server(data_dir: Path, remember: bool) -> Iterator[tuple[str, int]]:
    port = free_port()
    env = {**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING"}
    if not remember:
        env["FEEDSERVER_FEED_CACHE_BYTES"] = "0"
    server = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data_dir), "serve", "--port",
         str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, timeout=120)  # the first start calibrates the evidence once
        yield url, server.pid
    finally:
        server.terminate()
        server.wait(timeout=30)


def _measure(size: int, hello: str, rounds: int, seconds: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        thread_id = _copy(size, data_dir)
        token = cli(data_dir, "token", "create", MEMBER).strip()
        headers = {"Authorization": f"Bearer {token}"}
        paths = {"post list": "/api/v1/groups/g0/posts", "thread": f"/api/v1/posts/{thread_id}"}
        runs: dict[str, list[tuple[float, float]]] = {"hello": []}
        for remember in (True, False):
            with _server(data_dir, remember) as (url, pid):
                for path in paths.values():  # warm: a cold copy's first reads are the disk's
                    requests_per_second(url + path, seconds=1, headers=headers, expect=200)
                for _ in range(rounds):
                    runs["hello"].append((requests_per_second(hello, seconds=seconds), 0.0))
                    for name, path in paths.items():
                        cpu = cpu_seconds(pid)
                        rate = requests_per_second(
                            url + path, seconds=seconds, headers=headers, expect=200
                        )
                        spent = (cpu_seconds(pid) - cpu) / (rate * seconds)
                        label = f"{name}, {'remembered' if remember else 'computed'}"
                        runs.setdefault(label, []).append((rate, spent))
    found: dict[str, float] = {}
    hellos = [h for h, _ in runs["hello"]]
    for name, samples in runs.items():
        rate, cpu = sorted(samples)[len(samples) // 2]  # the median round
        found[name] = rate
        found[f"{name} cpu us"] = cpu * 1e6
        if name != "hello":
            # Each round's rate against the hello of the round just before it.
            first = 0 if "remembered" in name else rounds
            found[f"{name} ratio"] = statistics.median(
                r / h for (r, _), h in zip(samples, hellos[first : first + rounds], strict=True)
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results, loads = {}, []
    with hello_server() as hello:
        for size in sizes:
            loads.append(os.getloadavg()[0])
            results[size] = _measure(size, hello, args.rounds, args.seconds)
    lines = [
        "| path | "
        + " | ".join(f"{s:,} posts: req/s (CPU us), of hello" for s in sizes)
        + " | largest / smallest req/s | target |",
        "|---|" + "---|" * len(sizes) + "---|---|",
    ]
    names = ["hello"] + [f"{p}, {how}" for how in ("remembered", "computed")
                         for p in ("post list", "thread")]  # fmt: skip
    for name in names:
        cells = [
            f"{r[name]:,.0f}" + ("" if name == "hello" else f" ({r[f'{name} cpu us']:.0f}),"
                                  f" {r[f'{name} ratio']:.2f}")
            for r in (results[s] for s in sizes)
        ]  # fmt: skip
        change = results[sizes[-1]][name] / results[sizes[0]][name]
        if name == "hello":
            verdict = "the limit"
        else:
            ratio = results[sizes[-1]][f"{name} ratio"]
            verdict = f">= {TARGET} of hello: {'met' if ratio >= TARGET else 'NOT met'}"
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {change:.2f} | {verdict} |")
    text = "\n".join(
        [
            f"{machine()}; wrk 16 connections (when installed), {args.rounds} rounds of"
            f" {args.seconds:.0f} s, median round; load average (1 min) at the start of each"
            f" size: {', '.join(f'{x:.1f}' for x in loads)}",
            "",
            *lines,
        ]
    )
    print(text)
    write_section(f"{TITLE}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", text)


if __name__ == "__main__":
    main()
