"""One process against `serve --workers 2`, each as a ratio to bare aiohttp run with the
same number of processes (SO_REUSEPORT), so a ratio says what feedserver keeps of what the
processes could do, and the ratios compare the setups.

    python -m bench.workers [--engine sqlite|postgresql] [--posts 1000] [--seconds 3]
                            [--rounds 4]

The servers run side by side, idle between measures: the real `feedserver serve` and bare
aiohttp hello with 1 and 2 processes. With `--engine sqlite` (the default): --workers 1 and
--workers 2 on SQLite, each on its own copy of one seeded data directory (the data directory
lock allows one server each). With `--engine postgresql`: 1 process on SQLite against
--workers 1 and --workers 2 on PostgreSQL, in a throwaway cluster (bench/pg.py, durable:
fsync and synchronous commits on, as SQLite's synchronous=FULL); the seeded SQLite data is
copied into it with `feedserver migrate-data`, so every setup serves the same rows.
Measures, per round, for each setup: hello GET requests/s, warm feed 200s/s and 304s/s of
the group feed (wrk, 16 connections), hello POSTs/s and posts/s through
POST /api/v1/groups/{name}/posts (8 clients from this process). The machine is shared, so
the setups are interleaved (ABBA order across rounds), and the spread of the rounds
(min-max of each ratio) is reported with the median: that is the noise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import aiohttp
from aiohttp import web

from bench import limits
from bench import pg as pg_bench
from bench.feeds import seed
from bench.report import machine, write_section
from feedserver.config import Config
from feedserver.domain.services import Services
from feedserver.store.db import Database
from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[1]
BODY = "When the **check is cut after the deadline**, file the late-pay form.\n\n" * 4
Setup = tuple[str, int]  # (engine, workers)
SETUPS: dict[str, tuple[Setup, ...]] = {
    "sqlite": (("sqlite", 1), ("sqlite", 2)),
    "postgresql": (("sqlite", 1), ("postgresql", 1), ("postgresql", 2)),
}
SHORT = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _key(setup: Setup) -> str:
    return f"{setup[0]}{setup[1]}"


def _who(setup: Setup) -> str:
    engine, n = setup
    return f"{'1 process' if n == 1 else f'{n} workers'}, {SHORT[engine]}"


@contextmanager
def feedserver(data: Path, workers: int, database_url: str = "") -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_WRITE_BURST": "0",
           "FEEDSERVER_BASE_URL": "http://127.0.0.1:8999"}  # fmt: skip
    if database_url:
        env["FEEDSERVER_DATABASE_URL"] = database_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        limits.wait_until_up(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@contextmanager
def hello(processes: int) -> Iterator[str]:
    """Bare aiohttp, `processes` processes sharing one port with SO_REUSEPORT."""
    port = free_port()
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.workers", "hello", str(port)],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(processes)
    ]
    try:
        limits.wait_until_up(f"http://127.0.0.1:{port}/")
        time.sleep(1)  # every process bound (a connection test reaches only one)
        yield f"http://127.0.0.1:{port}"
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=30)


def _serve_hello(port: int) -> None:
    async def get(request: web.Request) -> web.Response:
        return web.Response(text="hello")

    async def post(request: web.Request) -> web.Response:
        doc = await request.json()
        return web.json_response({"id": "x", "title": doc.get("title")}, status=201)

    app = web.Application()
    app.router.add_get("/", get)
    app.router.add_post("/post", post)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", port))
    web.run_app(app, sock=sock, print=None, access_log=None)


async def posts_per_second(url: str, token: str, seconds: float, clients: int = 8) -> float:
    done = 0
    stop = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def client(n: int) -> None:
            nonlocal done
            while time.perf_counter() < stop:
                post = {"kind": "tip", "title": f"tip {n}-{done}", "body": BODY, "tags": ["x"]}
                async with session.post(url, json=post) as r:
                    assert r.status == 201, await r.text()
                done += 1

        start = time.perf_counter()
        await asyncio.gather(*(client(n) for n in range(clients)))
        return done / (time.perf_counter() - start)


def _prepare(data: Path, count: int) -> tuple[str, str]:
    """Seed `count` posts; returns the group feed's path and query, and an API token."""

    async def run() -> tuple[str, str]:
        from feedserver.domain import members
        from feedserver.store import members as member_store

        config = replace(Config(), data_dir=data, base_url="http://127.0.0.1:8999")
        db = Database(config.db_path, readers=1, synchronous="NORMAL")
        await db.open()
        services = Services(db=db, config=config)
        try:
            url = await seed(services, 0, count)
            async with services.db.read() as conn:
                member = await member_store.by_username(conn, "bench")
            assert member is not None
            token = await members.issue_token(services, member, kind="personal")
            return url.removeprefix("http://127.0.0.1:8999"), token
        finally:
            await services.db.close()

    return asyncio.run(run())


def measure(
    args: argparse.Namespace, tmp: Path, cluster: pg_bench.Cluster | None
) -> dict[str, list[float]]:
    seeded = tmp / "seeded"
    feed_path, token = _prepare(seeded, args.posts)
    seeded_url = ""
    if cluster is not None:  # the same rows, copied by the project's own tool
        seeded_url = pg_bench.create_database(cluster, "seeded")
        copied = pg_bench.migrate_data(seeded, seeded_url)
        assert copied.verified, copied.message
    setups = SETUPS[args.engine]
    found: dict[str, list[float]] = {}
    with ExitStack() as stack:
        servers, hellos = {}, {}
        for setup in setups:
            engine, n = setup
            shutil.copytree(seeded, tmp / _key(setup))
            url = ""
            if engine == "postgresql" and cluster is not None:
                url = pg_bench.create_database(cluster, _key(setup), template="seeded")
            servers[setup] = stack.enter_context(feedserver(tmp / _key(setup), n, url))
            if n not in hellos:
                hellos[n] = stack.enter_context(hello(n))
        etag = ""
        for setup in setups:  # warm every worker's caches
            for _ in range(4 * setup[1]):
                status, etag = asyncio.run(_get(servers[setup] + feed_path))
                assert status == 200, status
            limits.requests_per_second(servers[setup] + feed_path, seconds=1)
        for r in range(args.rounds):
            order = setups if r % 2 == 0 else tuple(reversed(setups))
            for setup in order:
                k, n = _key(setup), setup[1]
                feed, s = servers[setup] + feed_path, args.seconds
                rec = found.setdefault
                # Each setup's limit is measured beside it, so the ratio shares its moment.
                rec(f"hello_{k}", []).append(limits.requests_per_second(hellos[n] + "/", seconds=s))
                rec(f"warm_{k}", []).append(limits.requests_per_second(feed, seconds=s, expect=200))
                rec(f"304_{k}", []).append(limits.requests_per_second(
                    feed, seconds=s, headers={"If-None-Match": etag}, expect=304))  # fmt: skip
                rec(f"hpost_{k}", []).append(
                    asyncio.run(posts_per_second(hellos[n] + "/post", token, s))
                )
                rec(f"post_{k}", []).append(asyncio.run(posts_per_second(
                    servers[setup] + "/api/v1/groups/bench/posts", token, s)))  # fmt: skip
                # Posting moved the feed: take its new ETag for the next setup's 304s.
                etag = asyncio.run(_get(feed))[1]
    return found


async def _get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        await resp.read()
        return resp.status, resp.headers.get("ETag", "")


def _row(what: str, values: list[float], limits_: list[float]) -> str:
    ratios = [v / h for v, h in zip(values, limits_, strict=True)]
    return (
        f"| {what} | {statistics.median(values):,.0f} | {statistics.median(ratios):.2f}"
        f" ({min(ratios):.2f}-{max(ratios):.2f}) |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("hello").add_argument("port", type=int)
    parser.add_argument("--engine", choices=sorted(SETUPS), default="sqlite")
    parser.add_argument("--posts", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    if args.command == "hello":
        _serve_hello(args.port)
        return
    began = time.perf_counter()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        cluster = None
        if args.engine == "postgresql":
            cluster = stack.enter_context(pg_bench.cluster(durable=True))
        f = measure(args, Path(tmp), cluster)
    table = _table(f, SETUPS[args.engine])
    print(table)
    setups = "1 process vs serve --workers 2" if args.engine == "sqlite" else (
        "1 process on SQLite vs serve --workers 1 and 2 on PostgreSQL")  # fmt: skip
    write_section(
        f"Workers on {SHORT[args.engine]}: {setups} (bench/workers.py"
        + (", --engine postgresql)" if args.engine == "postgresql" else ")"),
        f"{machine()}; {args.posts:,} posts seeded; {args.rounds} interleaved rounds (ABBA) of"
        f" {args.seconds:g}s per measure; wrk for GETs (16 connections), 8 Python clients for"
        f" POSTs; load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; whole"
        f" run {time.perf_counter() - began:.0f}s\n\n{table}",
    )


def _table(f: dict[str, list[float]], setups: tuple[Setup, ...]) -> str:
    rows = []
    for setup in setups:
        k, n, who = _key(setup), setup[1], _who(setup)
        rows += [
            _row(f"bare aiohttp GET, {n} process(es)", f[f"hello_{k}"], f[f"hello_{k}"]),
            _row(f"warm feed 200s/s, {who}", f[f"warm_{k}"], f[f"hello_{k}"]),
            _row(f"304 revalidations/s, {who}", f[f"304_{k}"], f[f"hello_{k}"]),
            _row(f"bare aiohttp POST (JSON), {n} process(es)", f[f"hpost_{k}"], f[f"hpost_{k}"]),
            _row(f"posts/s through the API, {who}", f[f"post_{k}"], f[f"hpost_{k}"]),
        ]
    pairs = [(setups[0], s) for s in setups[1:]]
    if len(setups) > 2:  # PostgreSQL: 2 workers against 1 on the same engine too
        pairs.append((setups[1], setups[2]))
    for a, b in pairs:
        for key, what in (("warm", "warm feed 200s"), ("304", "304s"), ("post", "API posts")):
            gains = [y / x for x, y in zip(f[f"{key}_{_key(a)}"], f[f"{key}_{_key(b)}"],
                                           strict=True)]  # fmt: skip
            rows.append(
                f"| {what}: {_who(b)} / {_who(a)} | | {statistics.median(gains):.2f}"
                f" ({min(gains):.2f}-{max(gains):.2f}) |"
            )
    table = "| measure | median/s | ratio to bare aiohttp, same processes (min-max) |\n"
    return table + "|---|---|---|\n" + "\n".join(rows)


if __name__ == "__main__":
    main()
