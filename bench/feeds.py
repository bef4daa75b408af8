"""Atom feeds under polling load, as ratios to limits measured in the same run.

    python -m bench.feeds [--small 1000] [--large 100000] [--seconds 4]

Seeds one group (rows inserted through the store in big transactions: a fixture, not the
thing measured), runs the real `feedserver serve` in its own process on 127.0.0.1, and drives
load from another process (`wrk` when installed, else an aiohttp client process). Measures:

- bare aiohttp "hello" requests/s (bench/limits.py): the HTTP limit;
- warm feed 200s/s and 304 revalidations/s of the group feed, each plain and gzipped, as
  ratios to that limit (targets: >= 0.5 and >= 0.7);
- the newest page's size, plain and gzipped;
- cold render of one page (token, access, version, page query, feedgen) against rendering
  the same 50 entries with feedgen alone;
- the warm feed at the small and the large group (target: large within 1.3x of small).

Writes its section of bench/results.md and prints the same lines.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

from bench import limits
from bench.report import machine, write_section
from feedserver.config import Config
from feedserver.domain import feed_targets, feeds, groups, members
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.feeds import atom
from feedserver.models import Viewer
from feedserver.store import groups as group_store
from feedserver.store import members as member_store
from feedserver.store import posts as post_store
from feedserver.store.db import Database

REPO = Path(__file__).resolve().parents[1]
BODY = "When the **check is cut after the deadline**, file the late-pay form.\n\n" * 3
HTML = "<p>When the <strong>check is cut after the deadline</strong>, file the form.</p>\n" * 3
BATCH = 5000
T0 = datetime(2025, 1, 1, tzinfo=UTC)


async def _open(data: Path, port: int) -> Services:
    config = replace(Config(), data_dir=data, base_url=f"http://127.0.0.1:{port}")
    db = Database(config.db_path, readers=1, synchronous="NORMAL")
    await db.open()
    return Services(db=db, config=config)


async def seed(services: Services, start: int, stop: int) -> str:
    """Posts start..stop in group `bench`; returns the member's feed URL of the group."""
    if start == 0:
        await members.create(services, username="bench", display_name="Bench", password=None)
    async with services.db.read() as conn:
        member = await member_store.by_username(conn, "bench")
    assert member is not None
    viewer = Viewer(member)
    if start == 0:
        await groups.create(
            services, viewer, name="bench", title="Bench", description="", visibility="private"
        )
    async with services.db.read() as conn:
        group = await group_store.by_name(conn, "bench")
    assert group is not None
    for first in range(start, stop, BATCH):
        async with services.db.write() as conn:
            for n in range(first, min(first + BATCH, stop)):
                moment = T0 + timedelta(seconds=n)
                await post_store.insert(
                    conn, id=new_id(int(moment.timestamp() * 1000)), group_id=group.id,
                    parent_id=None, kind="tip", author_id=member.id, title=f"Tip {n}",
                    body=BODY, body_html=HTML, tags=("payroll",) if n % 10 == 0 else (),
                    now=moment,
                )  # fmt: skip
    return await feeds.group_feed_url(services, viewer, "bench")


async def cold_render(services: Services, url: str, repeat: int = 15) -> tuple[float, float]:
    """Median seconds of the whole uncached path for one page (token, access, version, page
    query, rendering), in-process, and of feedgen alone rendering the same 50 entries; the
    two alternate so machine noise hits both alike."""
    token = url.split("token=")[1]
    base = services.config.public_url
    cold, alone = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        target = await feed_targets.group(services, token, "bench")
        page = await feeds.content(services, target, None)
        atom.render(page, base)
        cold.append(time.perf_counter() - start)
        entries = as_plain_entries(page.posts, base)
        start = time.perf_counter()
        limits.feedgen_atom(entries)
        alone.append(time.perf_counter() - start)
    return statistics.median(cold), statistics.median(alone)


def as_plain_entries(posts: list, base: str) -> list[dict]:
    return [
        {"id": f"{base}/posts/{p.id}", "title": p.title, "author": p.author_display_name,
         "uri": f"{base}/members/{p.author_username}", "published": p.created_at,
         "updated": p.updated_at, "html": p.body_html, "link": f"{base}/posts/{p.id}",
         "tags": list(p.tags)}
        for p in posts
    ]  # fmt: skip


@contextmanager
def server(data: Path, port: int) -> Iterator[str]:
    env = {**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING",
           "FEEDSERVER_BASE_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        limits.wait_until_up(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def _get(url: str, headers: dict | None = None) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session:
        for _ in range(100):
            try:
                async with session.get(url, headers=headers or {}) as resp:
                    await resp.read()
                    return resp.status, resp.headers.get("ETag", "")
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"{url} did not answer")


PLAIN = {"Accept-Encoding": "identity"}
GZIP = {"Accept-Encoding": "gzip"}
KINDS = ("warm", "warm_gz", "304", "304_gz")


def polling(data: Path, port: int, url: str, seconds: float, rounds: int) -> dict[str, float]:
    """Rounds of hello / warm 200 / 304, each plain and gzipped, back to back, against a fresh
    server process: the machine is shared, so each ratio compares figures taken seconds
    apart, and the median round is reported."""
    found: dict[str, list[float]] = {"hello": [], **{k: [] for k in KINDS}}
    with server(data, port), limits.hello_server() as hello_url:
        status, etag = asyncio.run(_get(url))  # renders once: the cache is warm from here
        assert status == 200, status
        assert asyncio.run(_get(url, {"If-None-Match": etag}))[0] == 304
        limits.requests_per_second(url, seconds=1)  # warm up both processes
        limits.requests_per_second(hello_url, seconds=1)
        conditional = {"If-None-Match": etag}
        asks = {
            "warm": (PLAIN, 200), "warm_gz": (GZIP, 200),
            "304": (PLAIN | conditional, 304), "304_gz": (GZIP | conditional, 304),
        }  # fmt: skip
        for _ in range(rounds):
            found["hello"].append(limits.requests_per_second(hello_url, seconds=seconds))
            for kind, (headers, expect) in asks.items():
                found[kind].append(
                    limits.requests_per_second(url, seconds=seconds, headers=headers, expect=expect)
                )
    ratios = {
        f"{kind}_ratio": statistics.median(
            w / h for w, h in zip(found[kind], found["hello"], strict=True)
        )
        for kind in KINDS
    }
    return {k: statistics.median(v) for k, v in found.items()} | ratios


async def page_sizes(url: str) -> tuple[int, int]:
    """Bytes of the newest page, plain and gzipped, as sent."""
    sizes = []
    async with aiohttp.ClientSession(auto_decompress=False) as session:
        for headers in (PLAIN, GZIP):
            async with session.get(url, headers=headers) as resp:
                sizes.append(len(await resp.read()))
    return sizes[0], sizes[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    began = time.perf_counter()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        port = limits.free_port()
        seeded = 0
        for size in (args.small, args.large):

            async def prepare(start: int = seeded, stop: int = size) -> tuple:
                services = await _open(data, port)
                try:
                    url = await seed(services, start, stop)
                    return url, *await cold_render(services, url)
                finally:
                    await services.db.close()

            t = time.perf_counter()
            url, cold, alone = asyncio.run(prepare())
            print(f"seeded {size:,} posts in {time.perf_counter() - t:.1f}s", file=sys.stderr)
            seeded = size
            figures[size] = {"cold": cold, "alone": alone}
            figures[size] |= polling(data, port, url, args.seconds, args.rounds)
            with server(data, port):
                plain, packed = asyncio.run(page_sizes(url))
            figures[size] |= {"plain_bytes": plain, "gzip_bytes": packed}
    s, g = figures[args.small], figures[args.large]
    rows = [("bare aiohttp hello requests/s (the HTTP limit)", f"{s['hello']:,.0f}", "1.00")]
    targets = {"warm": 0.50, "304": 0.70}
    for size, f in ((args.small, s), (args.large, g)):
        for kind in KINDS:
            what = "warm feed 200s/s" if kind.startswith("warm") else "304 revalidations/s"
            how = "gzip" if kind.endswith("_gz") else "plain"
            target = targets[kind.removesuffix("_gz")]
            rows.append((
                f"{what}, {how}, {size:,} posts (hello {f['hello']:,.0f})", f"{f[kind]:,.0f}",
                f"{f[f'{kind}_ratio']:.2f} of hello (target >= {target:.2f})",
            ))  # fmt: skip
    rows += [
        (f"warm feed time at {args.large:,} / at {args.small:,} posts", "",
         f"{s['warm_ratio'] / g['warm_ratio']:.2f} (target <= 1.30)"),
        (f"newest page, plain / gzip, {args.small:,} posts",
         f"{s['plain_bytes']:,} / {s['gzip_bytes']:,} bytes",
         f"{s['gzip_bytes'] / s['plain_bytes']:.3f}"),
        ("feedgen alone, the same 50 entries (the feed limit)", f"{s['alone'] * 1000:.2f} ms",
         "1.00"),
        (f"cold render of the newest page, {args.small:,} posts", f"{s['cold'] * 1000:.2f} ms",
         f"{s['cold'] / s['alone']:.2f} x feedgen"),
        (f"cold render of the newest page, {args.large:,} posts", f"{g['cold'] * 1000:.2f} ms",
         f"{g['cold'] / g['alone']:.2f} x feedgen"),
    ]  # fmt: skip
    table = "| measure | value | ratio |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows
    )
    print(table)
    load = "wrk" if shutil.which("wrk") else "an aiohttp client process"
    write_section(
        f"Atom feeds under polling, plain and gzip (bench/feeds.py, {datetime.now(UTC):%Y-%m-%d})",
        f"{machine()}; load from {load} on loopback, 16 connections; {args.rounds} rounds of"
        f" hello/200/200 gzip/304/304 gzip at {args.seconds:g}s each, median round; whole run"
        f" {time.perf_counter() - began:.0f}s\n\n{table}",
    )


if __name__ == "__main__":
    main()
