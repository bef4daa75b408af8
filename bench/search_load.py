"""A post list while searches run, at 1,000,000 posts, on SQLite or PostgreSQL.

    python -m bench.search_load [--engine sqlite|postgresql] [--pg-url URL]
        [--search-readers 1,2] [--modes process:10,process:0,in-process] [--searches 8]
        [--rounds 3] [--seconds 3]

The post list (bench/scale.py's, a member's group page) is timed alone and while `--searches`
tasks each run bench/scale.py's worst-case search (a word in every post, as the admin) over
and over, in the same process, in alternating rounds, so both are measured under the same
load of the shared machine; the baseline is the post list alone in the same run. Repeated for
each value of the setting `search_readers` (searches let in at once, on readers of their own)
and each mode of `--modes`: searches in their own process (`search_process`, lowered by
`search_nice` N: process:N) or in the serving process (in-process), alternating the modes
round by round so each row sees the same share of the machine's load.
Also shown: what the searches got meanwhile (answers per second, p50/p99 including their wait
in line, how many were refused busy or stopped).

SQLite uses bench/.work's cached database (bench/scale_data.py). PostgreSQL uses `--pg-url`,
a database already holding the same rows (bench/scale_pg.py's way: `feedserver migrate-data`
then VACUUM ANALYZE), or else a throwaway cluster filled the same way (~8 minutes at 1M).
Appends a dated section to bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from bench import scale_data as data
from bench.report import machine, write_section
from bench.scale import ADMIN, MEMBER, NOW
from feedserver.config import Config
from feedserver.domain import posts, search
from feedserver.domain.services import Services
from feedserver.errors import QueryTooSlow, SearchBusy
from feedserver.store.db import Database
from feedserver.store.engine import Engine
from feedserver.store.pg import PgDatabase

SIZE = 1_000_000
TITLE = "A post list while searches run, at 1M posts (bench/search_load.py)"


def _p(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


async def _sample(call: Callable[[], Awaitable[object]], seconds: float) -> list[float]:
    """Milliseconds per call, calls one after another for `seconds` (at least 20)."""
    samples: list[float] = []
    end = time.perf_counter() + seconds
    while len(samples) < 20 or time.perf_counter() < end:
        started = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


async def measure(
    engine: Engine, searches: int, rounds: int, seconds: float
) -> dict[str, float]:  # fmt: skip
    config = replace(Config(), data_dir=data.db_path(SIZE).parent)
    await engine.open()
    try:
        if engine.search_process is not None:  # its start is not the searches' time
            await engine.search_process.start()
        services = Services(db=engine, config=config, clock=lambda: NOW)

        async def post_list() -> object:
            return await posts.group_posts(
                services, MEMBER, "g0", kind=None, tag=None, cursor=None, limit=20
            )

        outcome = {"answered": 0, "busy": 0, "stopped": 0}
        search_ms: list[float] = []
        running = False

        async def worst() -> None:
            while running:
                started = time.perf_counter()
                try:
                    await search.posts_and_pages(services, ADMIN, data.EVERY, cursor=None, limit=20)
                    outcome["answered"] += 1
                except SearchBusy:
                    outcome["busy"] += 1
                    await asyncio.sleep(0.05)  # a client told to come back (Retry-After)
                except QueryTooSlow:
                    outcome["stopped"] += 1
                search_ms.append((time.perf_counter() - started) * 1000)

        await _sample(post_list, 0.5)  # warm: the first reads of a cold file are the disk's
        alone: list[float] = []
        loaded: list[float] = []
        busy_seconds = 0.0
        for _ in range(rounds):
            alone += await _sample(post_list, seconds)
            running = True
            tasks = [asyncio.create_task(worst()) for _ in range(searches)]
            started = time.perf_counter()
            loaded += await _sample(post_list, seconds)
            busy_seconds += time.perf_counter() - started
            running = False
            await asyncio.gather(*tasks)
        return {
            "alone p50": statistics.median(alone), "alone p99": _p(alone, 0.99),
            "loaded p50": statistics.median(loaded), "loaded p99": _p(loaded, 0.99),
            "n": min(len(alone), len(loaded)),
            "searches/s": outcome["answered"] / busy_seconds,
            "search p50": statistics.median(search_ms), "search p99": _p(search_ms, 0.99),
            "busy": outcome["busy"], "stopped": outcome["stopped"],
        }  # fmt: skip
    finally:
        await engine.close()


@contextmanager
def _postgresql(url: str | None) -> Iterator[tuple[str, str]]:
    """A database holding the 1M rows: `url`, or one filled in a throwaway cluster."""
    from bench import pg

    if url:
        yield url, "an existing database filled by `feedserver migrate-data` and VACUUM ANALYZE"
        return
    with pg.cluster(durable=True) as running:
        target = pg.create_database(running, "search_load")
        copied = pg.migrate_data(data.build(SIZE).parent, target)
        if not copied.verified:
            raise SystemExit(f"migrate-data failed: {copied.message}")
        pg.sql(target, "VACUUM ANALYZE")
        yield target, f"a throwaway cluster, filled by migrate-data in {copied.seconds:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--pg-url", default="")
    parser.add_argument("--search-readers", default="1")
    parser.add_argument("--modes", default="process:10,process:0,in-process")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every row, alternated")
    parser.add_argument("--searches", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    path = data.build(SIZE)
    lines, loads = [], []
    with (
        _postgresql(args.pg_url or None) if args.engine == "postgresql" else _nothing() as (
            url,
            source,
        )
    ):
        rows = [
            (readers, mode)
            for readers in (int(k) for k in args.search_readers.split(","))
            for mode in args.modes.split(",")
        ]
        results: dict[tuple[int, str], list[dict[str, float]]] = {row: [] for row in rows}
        for _ in range(args.repeat):
            for readers, mode in rows:
                loads.append(os.getloadavg()[0])
                nice = nice_of(mode)
                searches = {
                    "search_readers": readers, "search_process": mode != "in-process",
                    "search_nice": nice,
                }  # fmt: skip
                engine: Engine = (
                    PgDatabase(url, readers=4, **searches)
                    if args.engine == "postgresql"
                    else Database(path, readers=4, **searches)
                )
                results[(readers, mode)].append(
                    asyncio.run(measure(engine, args.searches, args.rounds, args.seconds))
                )
        for (readers, mode), runs in results.items():
            r = _merged(runs)
            label = (
                "in process" if mode == "in-process" else f"search process, nice {nice_of(mode)}"
            )
            lines.append(
                f"| {readers}, {label} | {r['alone p50']:.2f} / {r['alone p99']:.2f}"
                f" | {r['loaded p50']:.2f} / {r['loaded p99']:.2f}"
                f" | {r['loaded p50'] / r['alone p50']:.1f}x"
                f" / {r['loaded p99'] / r['alone p99']:.1f}x"
                f" | {r['searches/s']:.0f} | {r['search p50']:.1f} / {r['search p99']:.1f}"
                f" | {r['busy']:.0f} / {r['stopped']:.0f} | {r['n']:.0f} |"
            )
    text = "\n".join(
        [
            f"{machine()}; engine {args.engine} ({source}); {args.searches} searches running;"
            f" {args.rounds} rounds of {args.seconds:.0f} s each way, each row run"
            f" {args.repeat} time(s), alternating rows (medians of the runs); load average"
            f" (1 min) at the start of each row: {', '.join(f'{x:.1f}' for x in loads)},"
            f" at the end: {os.getloadavg()[0]:.1f}",
            "",
            "| search_readers, searches run | post list alone p50 / p99 ms"
            " | while searches run p50 / p99 ms | ratio p50 / p99 (target p99 ~1x)"
            " | searches answered/s | search p50 / p99 ms (wait included)"
            " | searches busy / stopped | post lists timed (min) |",
            "|---|---|---|---|---|---|---|---|",
            *lines,
        ]
    )
    print(text)
    write_section(f"{TITLE}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", text)


def nice_of(mode: str) -> int:
    return int(mode.split(":")[1]) if mode.startswith("process:") else 0


def _merged(runs: list[dict[str, float]]) -> dict[str, float]:
    """One row from repeated runs: the median of each figure (sums for the counts)."""
    summed = ("n", "busy", "stopped")
    return {
        key: sum(r[key] for r in runs) if key in summed else statistics.median(r[key] for r in runs)
        for key in runs[0]
    }


@contextmanager
def _nothing() -> Iterator[tuple[str, str]]:
    yield "", "bench/.work's cached database"


if __name__ == "__main__":
    main()
