"""`feedserver migrate-data --to postgresql://...`: the command line's side of store/copy.py
(what it prints, how it fails)."""

from __future__ import annotations

import asyncio
import sys

import asyncpg

from feedserver.config import Config, without_password
from feedserver.store import copy
from feedserver.store.migrate import UnknownMigrations


def run(config: Config, target_url: str) -> int:
    if not target_url.startswith(("postgresql://", "postgres://")):
        print("feedserver: --to takes a postgresql:// URL", file=sys.stderr)
        return 2
    if config.uses_postgresql:
        print("feedserver: this deployment is on PostgreSQL already", file=sys.stderr)
        return 2
    if not config.db_path.is_file():
        print(f"feedserver: no database at {config.db_path} (is --data right?)", file=sys.stderr)
        return 1
    shown = without_password(target_url)
    try:
        report = asyncio.run(copy.copy(config.db_path, target_url))
    except (copy.CopyFailed, UnknownMigrations) as error:
        print(f"feedserver: nothing copied: {error}", file=sys.stderr)
        return 1
    except (OSError, asyncpg.PostgresError) as error:
        print(f"feedserver: nothing copied: {shown}: {error}", file=sys.stderr)
        return 1
    for table, count, checksum in report:
        print(f"{table}\t{count}\t{checksum}")
    total = sum(count for _, count, _ in report)
    print(f"feedserver: copied {total} rows in {len(report)} tables to {shown}; counts and"
          " checksums verified. Set database_url to it and start the server.",
          file=sys.stderr)  # fmt: skip
    return 0
