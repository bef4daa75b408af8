"""Migrations: numbered SQL files in store/migrations, applied in order at start-up, each in
one transaction with its record in schema_migrations."""

from __future__ import annotations

import logging
import sqlite3
from importlib import resources

from feedserver.store.sqlite_writer import rollback_if_open

log = logging.getLogger("feedserver.store.db")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in store/migrations, in order."""
    found = []
    for entry in resources.files("feedserver.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def apply(raw: sqlite3.Connection, known: list[tuple[int, str, str]]) -> None:
    raw.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    applied = {row[0] for row in raw.execute("SELECT version FROM schema_migrations")}
    for version, name, sql in known:
        if version in applied:
            continue
        log.info("applying migration %04d_%s", version, name)
        # executescript commits what came before it, so the whole file and its record go
        # in one explicit transaction: a failed migration leaves nothing behind.
        script = (
            f"BEGIN IMMEDIATE;\n{sql}\n;"
            f"INSERT INTO schema_migrations (version, name) VALUES ({version}, '{name}');"
            "COMMIT;"
        )
        try:
            raw.executescript(script)
        except Exception:
            rollback_if_open(raw)
            raise
