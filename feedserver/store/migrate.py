"""Migrations: numbered SQL files in store/migrations (SQLite) and store/migrations_pg
(PostgreSQL, the same numbers), applied in order at start-up, each in one transaction with
its record in schema_migrations.

A database that holds a migration this code does not know was written by a newer version:
it is refused (UnknownMigrations) rather than served by code that does not know its schema.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from importlib import resources

from feedserver.store.sqlite_writer import rollback_if_open

log = logging.getLogger("feedserver.store.db")

DIRECTORY = "migrations"


class UnknownMigrations(RuntimeError):
    """The database has migrations this version of feedserver does not know."""


def migrations(directory: str = DIRECTORY) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every file in store/`directory`, in order."""
    found = []
    for entry in resources.files("feedserver.store").joinpath(directory).iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append((int(number), rest.removesuffix(".sql"), entry.read_text("utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a number: {versions}")
    return found


def refuse_unknown(applied: Iterable[int], known: list[tuple[int, str, str]]) -> None:
    unknown = sorted(set(applied) - {version for version, _, _ in known})
    if unknown:
        numbers = ", ".join(f"{v:04d}" for v in unknown)
        raise UnknownMigrations(
            f"the database has migration(s) {numbers}, which this version of feedserver does"
            " not know: it was used by a newer version. Run that version (or newer), or"
            " restore a backup taken before the upgrade."
        )


def apply(raw: sqlite3.Connection, known: list[tuple[int, str, str]]) -> None:
    raw.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    applied = {row[0] for row in raw.execute("SELECT version FROM schema_migrations")}
    refuse_unknown(applied, known)
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
