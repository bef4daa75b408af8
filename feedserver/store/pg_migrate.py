"""Migrations on PostgreSQL: store/migrations_pg, the same numbers as store/migrations.

Each file and its record in schema_migrations go in one transaction (PostgreSQL's DDL is
transactional). Processes starting together (workers) take an advisory lock, so one
applies and the others find the work done.
"""

from __future__ import annotations

import logging

import asyncpg

from feedserver.store.migrate import refuse_unknown

log = logging.getLogger("feedserver.store.db")

DIRECTORY = "migrations_pg"
# pg_advisory_lock's key for "migrating feedserver's schema" (any constant of our own).
_LOCK = 0x66656564


async def apply(conn: asyncpg.Connection, known: list[tuple[int, str, str]]) -> None:
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL"
            " DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))"
        )
        applied = {row[0] for row in await conn.fetch("SELECT version FROM schema_migrations")}
        refuse_unknown(applied, known)
        for version, name, sql in known:
            if version in applied:
                continue
            log.info("applying migration %04d_%s", version, name)
            async with conn.transaction():
                await conn.execute(sql)  # no arguments: the simple protocol, many statements
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", version, name
                )
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)
