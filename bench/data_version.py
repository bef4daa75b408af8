"""What it costs a request to learn whether any process wrote to the database since a feed
answer was remembered: the candidates for the feed answer cache's exact cross-process key.

    python -m bench.data_version [--calls 20000]

On one WAL database file that another connection keeps writing to (as another worker would):

- `PRAGMA data_version` on a plain sqlite3 connection of its own, on the event loop (what
  store/data_version.py does);
- the same pragma through an aiosqlite reader (a hop to the reader's thread and back);
- a version counter row (`SELECT n FROM version`) on the plain connection, the read side of
  "bump a row in every write transaction"; and that bump's cost per write, as the time of a
  small write transaction with and without the UPDATE;
- the limit: an empty awaited coroutine call (what a request costs at the least to ask).

Each figure is the median of 5 rounds of `--calls` calls, the rounds of the candidates
interleaved so machine noise hits them alike. Writes its section of bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite

from bench.report import machine, write_section


def _setup(path: Path) -> None:
    with sqlite3.connect(path, isolation_level=None) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE version (n INTEGER NOT NULL)")
        conn.execute("INSERT INTO version VALUES (0)")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    sqlite3.connect(path).close()


async def _per_call(calls: int, ask: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await ask()
    return (time.perf_counter() - start) / calls


def _write_seconds(conn: sqlite3.Connection, calls: int, bump: bool) -> float:
    start = time.perf_counter()
    for n in range(calls):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (body) VALUES (?)", (f"row {n}" * 10,))
        if bump:
            conn.execute("UPDATE version SET n = n + 1")
        conn.execute("COMMIT")
    return (time.perf_counter() - start) / calls


async def measure(path: Path, calls: int, rounds: int = 5) -> dict[str, float]:
    plain = sqlite3.connect(path, isolation_level=None)
    plain.execute("PRAGMA query_only = ON")
    reader = await aiosqlite.connect(path, isolation_level=None)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA synchronous = OFF")  # the bump's CPU, not the disk's fsync

    async def nothing() -> None:
        return None

    async def pragma_plain() -> int:
        return int(plain.execute("PRAGMA data_version").fetchall()[0][0])

    async def pragma_aiosqlite() -> int:
        rows = list(await reader.execute_fetchall("PRAGMA data_version"))
        return int(rows[0][0])

    async def version_row() -> int:
        return int(plain.execute("SELECT n FROM version").fetchall()[0][0])

    asks = {"limit": nothing, "pragma_plain": pragma_plain,
            "pragma_aiosqlite": pragma_aiosqlite, "version_row": version_row}  # fmt: skip
    found: dict[str, list[float]] = {k: [] for k in [*asks, "write", "write_bump"]}
    try:
        for _ in range(rounds):
            for name, ask in asks.items():
                writer.execute("INSERT INTO t (body) VALUES ('moves the version')")
                found[name].append(await _per_call(calls, ask))
            found["write"].append(_write_seconds(writer, calls // 10, bump=False))
            found["write_bump"].append(_write_seconds(writer, calls // 10, bump=True))
    finally:
        await reader.close()
        plain.close()
        writer.close()
    return {k: statistics.median(v) for k, v in found.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "version.sqlite3"
        _setup(path)
        m = asyncio.run(measure(path, args.calls))
    us = {k: v * 1e6 for k, v in m.items()}
    rows = [
        ("an awaited empty call (the limit)", us["limit"], 1.0),
        ("PRAGMA data_version, own sqlite3 connection, on the loop (chosen)",
         us["pragma_plain"], us["pragma_plain"] / us["limit"]),
        ("PRAGMA data_version through an aiosqlite reader",
         us["pragma_aiosqlite"], us["pragma_aiosqlite"] / us["limit"]),
        ("SELECT of a version row, own sqlite3 connection",
         us["version_row"], us["version_row"] / us["limit"]),
        ("a small write transaction (synchronous=OFF)", us["write"], 1.0),
        ("the same with the version row's UPDATE", us["write_bump"],
         us["write_bump"] / us["write"]),
    ]  # fmt: skip
    lines = [f"| {what} | {value:.2f} us | {ratio:.2f} |" for what, value, ratio in rows]
    print("\n".join(lines))
    write_section(
        "Cross-process cache version (bench/data_version.py)",
        f"{machine()}, {args.calls} calls a round, median of 5 interleaved rounds\n\n"
        "| measure | per call | ratio |\n|---|---|---|\n" + "\n".join(lines),
    )


if __name__ == "__main__":
    main()
