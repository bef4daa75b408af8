"""What the PostgreSQL benchmarks share: a throwaway cluster, databases in it, the project's
own `migrate-data` to fill them, and the CPU the cluster's processes spend.

The cluster is tests/pg_cluster.py's (Debian's postgresql package, initdb into a temporary
directory, a Unix socket only), stopped and deleted when the block ends whatever happens.
Benchmarks start it `durable` (fsync and synchronous commits on), so PostgreSQL's writes
are compared with SQLite's synchronous=FULL on equal terms.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.pg_cluster import Cluster, bin_dir, cluster

__all__ = [
    "Cluster", "cluster", "create_database", "sql", "fetch_value", "server_version",
    "migrate_data", "cpu_seconds", "free_gb",
]  # fmt: skip

REPO = Path(__file__).resolve().parents[1]
_TICK = os.sysconf("SC_CLK_TCK")


def free_gb(path: str = "/tmp") -> float:
    return shutil.disk_usage(path).free / 1e9


def create_database(running: Cluster, name: str, template: str | None = None) -> str:
    """A new database in the cluster (a copy of `template` if given); returns its URL."""

    async def run() -> None:
        conn = await asyncpg.connect(running.url())
        try:
            copy = f" TEMPLATE {template}" if template else ""
            await conn.execute(f"CREATE DATABASE {name}{copy}")
        finally:
            await conn.close()

    asyncio.run(run())
    return running.url(name)


def sql(url: str, *statements: str) -> None:
    """Statements run one by one outside a transaction (VACUUM needs that)."""

    async def run() -> None:
        conn = await asyncpg.connect(url)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def fetch_value(url: str, query: str) -> str:
    async def run() -> str:
        conn = await asyncpg.connect(url)
        try:
            return str(await conn.fetchval(query))
        finally:
            await conn.close()

    return asyncio.run(run())


def server_version() -> str:
    found = subprocess.run(
        [str(bin_dir() / "postgres"), "--version"], capture_output=True, text=True, check=True
    )
    return found.stdout.strip()


@dataclass(frozen=True)
class Migrated:
    seconds: float
    verified: bool  # exit status 0: counts and checksums equal in every table
    rows: int
    tables: int
    message: str  # its last line on stderr


def migrate_data(data_dir: Path, url: str) -> Migrated:
    """`feedserver --data DIR migrate-data --to URL`, as an operator runs it, timed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data_dir), "migrate-data",
         "--to", url],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    report = [line.split("\t") for line in done.stdout.splitlines() if line.count("\t") == 2]
    last = (done.stderr.strip().splitlines() or [""])[-1]
    return Migrated(
        seconds, done.returncode == 0, sum(int(r[1]) for r in report), len(report), last
    )


def cpu_seconds(running: Cluster) -> float:
    """CPU (user + system) spent so far by the cluster: the postmaster, its live children
    (client backends, parallel workers, background processes) and the children it reaped.
    The difference across a measure is PostgreSQL's share of it."""
    postmaster = running.postmaster_pid()
    total = _ticks(postmaster, reaped=True)
    for entry in os.listdir("/proc"):
        if entry.isdigit() and _parent(int(entry)) == postmaster:
            total += _ticks(int(entry), reaped=False)
    return total / _TICK


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return text[text.rindex(")") + 2 :].split()  # fields from the 3rd (state) on


def _parent(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else 0


def _ticks(pid: int, *, reaped: bool) -> int:
    fields = _stat(pid)
    if fields is None:
        return 0
    # utime, stime, cutime, cstime are fields 14-17 of /proc/PID/stat (11-14 from state on).
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if reaped else 0)
