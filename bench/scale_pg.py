"""bench/scale.py's read paths on PostgreSQL, at 10,000 and 1,000,000 posts.

    python -m bench.scale_pg [--sizes 10000,1000000] [--seconds 3]

The rows are bench/scale.py's (bench/scale_data.py's SQLite databases, cached under
bench/.work/), carried into PostgreSQL by the project's own `feedserver migrate-data --to
postgresql://...`, as an operator outgrowing SQLite would: its time and whether its
verification (counts and a checksum per table) passed are reported. Then `VACUUM ANALYZE`
(what autovacuum would do a minute later; done here so the plans measured are settled), and
the same domain calls as bench/scale.py, in process, on the project's PostgreSQL engine
(4 pooled readers). CPU per request is this process's plus the cluster's (its processes'
user + system time from /proc): the query's work happens in a PostgreSQL backend.

The cluster is throwaway (bench/pg.py: initdb into /tmp, durable, Debian's defaults but
for the socket), stopped and deleted at the end whatever happens; it needs about 4 GB of
/tmp for the 1M database. Appends a dated section to bench/results.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, datetime

from bench import pg, scale
from bench import scale_data as data
from bench.report import write_section
from feedserver.store.pg import PgDatabase

TITLE = "Read paths at 10k and 1M posts on PostgreSQL (bench/scale_pg.py)"
RATIO_TARGET = 1.3  # 1M / 10k for the post list, thread and experts on PostgreSQL
NEEDS_GB = 6.0  # free /tmp for a 1M cluster (3.5 GB seen, WAL included) and some room


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,1000000")
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if max(sizes) >= 1_000_000 and pg.free_gb() < NEEDS_GB:
        raise SystemExit(f"bench.scale_pg: {pg.free_gb():.1f} GB free in /tmp, {NEEDS_GB} needed")
    began = time.perf_counter()
    results, loads, notes = {}, {}, []
    with pg.cluster(durable=True) as running:
        for size in sizes:
            source = data.build(size)  # cached; built once from the project's migrations
            url = pg.create_database(running, f"scale_{size}")
            copied = pg.migrate_data(source.parent, url)
            if not copied.verified:
                raise SystemExit(f"migrate-data failed at {size:,} posts: {copied.message}")
            started = time.perf_counter()
            pg.sql(url, "VACUUM ANALYZE")
            vacuumed = time.perf_counter() - started
            notes.append(
                f"- {size:,} posts: `feedserver --data {_shown(source.parent)} migrate-data"
                f" --to postgresql://.../scale_{size}` copied {copied.rows:,} rows in"
                f" {copied.tables} tables in {copied.seconds:.0f} s, verification passed"
                f" (counts and checksums); VACUUM ANALYZE {vacuumed:.0f} s; database"
                f" {_size(url)}"
            )
            loads[size] = os.getloadavg()[0]
            engine = PgDatabase(url, readers=4)
            results[size] = asyncio.run(
                scale.measure(size, args.seconds, engine, lambda: pg.cpu_seconds(running))
            )
    text = scale._report(sizes, results, loads, RATIO_TARGET)
    text += (
        f"\n\n{pg.server_version()}; load average after: {os.getloadavg()[0]:.1f}; whole run"
        f" {time.perf_counter() - began:.0f} s.\n\n" + "\n".join(notes)
    )
    print(text)
    write_section(f"{TITLE}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", text)


def _shown(path: object) -> str:
    return os.path.relpath(str(path), pg.REPO)


def _size(url: str) -> str:
    return pg.fetch_value(url, "SELECT pg_size_pretty(pg_database_size(current_database()))")


if __name__ == "__main__":
    main()
