"""Read paths at 10,000 and 1,000,000 posts: does a request cost what its page holds?

    python -m bench.scale [--sizes 10000,1000000] [--seconds 3]

Builds the databases once (bench/scale_data.py, cached under bench/.work/), opens each with
the project's own Database (4 readers) and times the domain calls behind the routes, in
process: p50 and p99 of wall time, and CPU per request (process time: reader threads
included). Each size also times a bare indexed SQL page on the same pool (the limit measured
in the same run). Prints the 1M/10k ratios against the targets and appends a dated section
to bench/results.md. The machine is shared: the load average is recorded with each size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime

from bench import scale_data as data
from bench.report import machine, write_section
from feedserver.config import Config
from feedserver.domain import access, experts, feeds, posts, search
from feedserver.domain.services import Services
from feedserver.errors import QueryTooSlow
from feedserver.models import Member, Viewer
from feedserver.models.feeds import FeedKey, FeedTarget
from feedserver.store.db import Database
from feedserver.store.engine import Engine

CpuClock = Callable[[], float]
NOW = datetime(2026, 12, 1, tzinfo=UTC)
TITLE = "Read paths at 10k and 1M posts (bench/scale.py)"
SEARCH_TARGET_MS = 50.0  # any one-word search at 1M posts, p99
RATIO_TARGET = 1.5  # 1M / 10k for experts, feeds, post list and thread


def _viewer(i: int) -> Viewer:
    return Viewer(Member(data.member_id(i), f"m{i}", f"Member {i}", i == 0, NOW))


ADMIN, OUTSIDER, MEMBER = _viewer(0), _viewer(1), _viewer(5)  # m1 is in no group


def _tag_target(viewer: Viewer, tag: str) -> FeedTarget:
    scope = access.read_scope(viewer)
    return FeedTarget(
        "tag", f"/feeds/tags/{tag}", f"tag:{tag}:{viewer.member_id}", viewer,
        FeedKey("bench", b"0" * 32), tag=tag, scope=scope,
    )  # fmt: skip


async def _call(call: Callable[[], Awaitable[object]]) -> bool:
    """Whether the call answered (a search past `search_timeout_ms` is stopped: counted)."""
    try:
        await call()
    except QueryTooSlow:
        return False
    return True


async def _time(
    call: Callable[[], Awaitable[object]], seconds: float, db_cpu: CpuClock | None = None
) -> dict[str, float]:
    """p50/p99 (ms) and CPU ms per call, over as many calls as fit in `seconds` (20-400).
    With `db_cpu` (a database server's CPU seconds so far), its share per call too."""
    await _call(call)  # warm: the first read of a cold file is the disk's, not the code's
    samples: list[float] = []
    stopped = 0
    db0 = db_cpu() if db_cpu else 0.0
    cpu0, end = time.process_time(), time.perf_counter() + seconds
    while len(samples) < 20 or (time.perf_counter() < end and len(samples) < 400):
        started = time.perf_counter()
        stopped += not await _call(call)
        samples.append((time.perf_counter() - started) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 / len(samples)
    db = ((db_cpu() - db0) * 1000 / len(samples)) if db_cpu else 0.0
    samples.sort()
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    return {
        "p50": statistics.median(samples), "p99": p99, "cpu": cpu, "db": db,
        "n": len(samples), "stopped": stopped,
    }  # fmt: skip


async def measure(
    size: int, seconds: float, engine: Engine | None = None, db_cpu: CpuClock | None = None
) -> dict[str, dict[str, float]]:
    """Every read path at `size` posts, on SQLite (the cached file) or on `engine` (holding
    the same rows, not yet opened); `db_cpu` adds a database server's CPU per call."""
    path = data.build(size)
    config = replace(Config(), data_dir=path.parent)
    db = engine if engine is not None else Database(path, readers=4)
    await db.open()
    try:
        services = Services(db=db, config=config, clock=lambda: NOW)
        async with db.read() as conn:
            found = await conn.execute_fetchall(
                "SELECT parent_id FROM posts WHERE parent_id IS NOT NULL AND group_id = ?"
                " GROUP BY parent_id ORDER BY count(*) DESC LIMIT 1",
                (data.group_id(0),),
            )
            thread_id = next(iter(found))[0]
        plain_sql = (
            "SELECT id FROM posts WHERE group_id = ? AND parent_id IS NULL"
            " ORDER BY id DESC LIMIT 21"
        )

        async def raw() -> None:
            async with db.read() as conn:
                await conn.execute_fetchall(plain_sql, (data.group_id(0),))

        calls: dict[str, Callable[[], Awaitable[object]]] = {
            "raw SQL page (limit)": raw,
            "post list": lambda: posts.group_posts(
                services, MEMBER, "g0", kind=None, tag=None, cursor=None, limit=20
            ),
            "thread": lambda: posts.thread(services, MEMBER, thread_id, cursor=None, limit=20),
            "experts, most common topic": lambda: experts.directory(
                services, MEMBER, topic=data.TAGS[0], text="", cursor=None, limit=20
            ),
            "tag feed, admin": lambda: feeds.content(
                services, _tag_target(ADMIN, data.TAGS[0]), None
            ),
            "tag feed, member": lambda: feeds.content(
                services, _tag_target(MEMBER, data.TAGS[0]), None
            ),
            "tag feed, reads none": lambda: feeds.content(
                services, _tag_target(OUTSIDER, data.PRIVATE_TAG), None
            ),
        }
        words = {"rare": data.RARE, "common": "w20", "every post": data.EVERY}
        for label, word in words.items():
            for who, viewer in (("admin", ADMIN), ("member", MEMBER)):
                calls[f"search {label}, {who}"] = lambda w=word, v=viewer: search.posts_and_pages(
                    services, v, w, cursor=None, limit=20
                )
        calls["search private word, reads none"] = lambda: search.posts_and_pages(
            services, OUTSIDER, data.PRIVATE_WORD, cursor=None, limit=20
        )
        calls["search prefix of no word, member"] = lambda: search.posts_and_pages(
            services, MEMBER, data.EVERY[:4], cursor=None, limit=20
        )  # `lore`: FTS5 merged the rows of every word it begins
        results = {name: await _time(call, seconds, db_cpu) for name, call in calls.items()}
        results["post list while 8 searches run"] = await _under_searches(
            services, calls["post list"], seconds, db_cpu
        )
        return results
    finally:
        await db.close()


async def _under_searches(
    services: Services, call: Callable[[], Awaitable[object]], seconds: float,
    db_cpu: CpuClock | None,
) -> dict[str, float]:  # fmt: skip
    stop = False

    async def worst() -> None:
        while not stop:
            await _call(
                lambda: search.posts_and_pages(services, ADMIN, data.EVERY, cursor=None, limit=20)
            )

    searches = [asyncio.create_task(worst()) for _ in range(8)]
    try:
        return await _time(call, seconds, db_cpu)
    finally:
        stop = True
        await asyncio.gather(*searches)


def _report(
    sizes: list[int], results: dict[int, dict[str, dict[str, float]]], loads: dict,
    ratio_target: float = RATIO_TARGET,
) -> str:  # fmt: skip
    """The table; with a database server's CPU measured ("db" > 0), CPU is shown as
    this process + the server's, and the ratio is of their sum."""
    small, large = sizes[0], sizes[-1]
    split = any(r["db"] > 0 for r in results[large].values())
    cpu_head = "CPU ms (process + PostgreSQL)" if split else "CPU ms"
    lines = [
        f"{machine()}; load average (1 min) at the start of each size:"
        + ", ".join(f" {s:,}: {loads[s]:.1f}" for s in sizes),
        "",
        f"| path | {small:,} p50 / p99 / {cpu_head} | {large:,} p50 / p99 / {cpu_head}"
        f" | {large // small}x ratio p50 (CPU) | target |",
        "|---|---|---|---|---|",
    ]
    for name in results[small]:
        a, b = results[small][name], results[large][name]
        total_a, total_b = a["cpu"] + a["db"], b["cpu"] + b["db"]
        ratio = f"{b['p50'] / a['p50']:.2f} ({total_b / total_a:.2f})"
        if name.startswith("search"):
            target = f"p99 <= {SEARCH_TARGET_MS:.0f} ms: {'met' if b['p99'] <= 50 else 'NOT met'}"
        elif name.startswith("raw"):
            target = "the limit"
        elif name.endswith("searches run"):
            base = results[large]["post list"]["p99"]
            target = f"p99 unchanged ({base:.1f} ms alone): {b['p99'] / base:.1f}x"
        else:
            met = b["p50"] / a["p50"] <= ratio_target
            target = f"<= {ratio_target}: {'met' if met else 'NOT met'}"
        cells = [
            f"{r['p50']:.2f} / {r['p99']:.2f} / "
            + (f"{r['cpu']:.2f} + {r['db']:.2f}" if split else f"{r['cpu']:.2f}")
            + (f" ({r['stopped']:.0f} of {r['n']:.0f} stopped)" if r["stopped"] else "")
            for r in (a, b)
        ]
        lines.append(f"| {name} | {cells[0]} | {cells[1]} | {ratio} | {target} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results, loads = {}, {}
    for size in sizes:
        loads[size] = os.getloadavg()[0]
        results[size] = asyncio.run(measure(size, args.seconds))
    text = _report(sizes, results, loads)
    print(text)
    write_section(f"{TITLE}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", text)


if __name__ == "__main__":
    main()
