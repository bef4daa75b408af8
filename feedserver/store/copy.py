"""`feedserver migrate-data --to postgresql://...`: copy an SQLite deployment into PostgreSQL,
then prove the copy: the same number of rows and the same checksum in every table.

The target gets the schema from its own migrations (the same numbers as the source's,
which must match exactly), must hold no data yet, and is written in one transaction: a
copy that fails or does not verify leaves the target as it was. The source is read through
a read-only connection; stop the server first, so nothing is written meanwhile.

Every table is copied, whatever it holds (members, groups, posts and their revisions,
proofs, evidence, pages, programs, feed secrets, partners, pinned keys, queued deliveries,
...), in foreign-key order, with COPY. SQLite's full-text tables are not copied: PostgreSQL's
search columns are generated from the rows (pages_fts is refilled from pages; the copies of
partners' groups keep their text in cached_posts.body_text). Values are
coerced to the target column's type as the engine would (see pg_sql.coerce), and the
checksum is taken over those values on both sides, so it proves that what PostgreSQL holds
is what SQLite held.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import asyncpg

from feedserver.store import migrate, pg_migrate, pg_sql

BATCH = 5000
# SQLite's full-text tables, and the copies' index row numbers (migration 0180), which only
# SQLite's index needs: PostgreSQL keeps its search columns itself.
_SKIP = ("sqlite_", "posts_fts", "pages_fts", "cached_posts_fts", "cached_posts_keys",
         "cached_groups_keys")  # fmt: skip


class CopyFailed(RuntimeError):
    pass


def _source_tables(src: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return sorted(n for n in names if not n.startswith(_SKIP) and n != "schema_migrations")


async def _column_types(dst: asyncpg.Connection, table: str) -> dict[str, str]:
    found = await dst.fetch(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
        " WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        " AND a.attgenerated = ''",
        table,
    )
    return {r[0]: r[1] for r in found}


async def _fk_order(dst: asyncpg.Connection, tables: list[str]) -> list[str]:
    """Tables with the ones they reference first."""
    edges = await dst.fetch(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
        " WHERE c.contype = 'f'"
    )
    needs: dict[str, set[str]] = {t: set() for t in tables}
    for child, parent in edges:
        if child in needs and parent in needs and child != parent:
            needs[child].add(parent)
    ordered: list[str] = []
    while needs:
        ready = sorted(t for t, deps in needs.items() if not deps - set(ordered))
        if not ready:
            raise CopyFailed(f"foreign keys form a cycle among {sorted(needs)}")
        for table in ready:
            ordered.append(table)
            del needs[table]
    return ordered


def _rows(
    src: sqlite3.Connection, table: str, columns: list[str], types: list[str]
) -> Iterator[list[Any]]:
    # Ordered by rowid where there is one: a reply's parent (same table) comes first.
    quoted = ", ".join(f'"{c}"' for c in columns)
    try:
        cursor = src.execute(f'SELECT {quoted} FROM "{table}" ORDER BY rowid')
    except sqlite3.OperationalError:  # WITHOUT ROWID: in key order
        cursor = src.execute(f'SELECT {quoted} FROM "{table}"')
    while batch := cursor.fetchmany(BATCH):
        for row in batch:
            yield pg_sql.coerce(types, row)


def _row_hash(values: Iterable[Any]) -> int:
    def plain(v: Any) -> Any:
        if isinstance(v, bytes | bytearray | memoryview):
            return {"hex": bytes(v).hex()}
        if isinstance(v, float):
            return {"float": repr(v)}
        return v

    text = json.dumps([plain(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


class _Checksum:
    """Order-independent: the sum of every row's sha-256, modulo 2^256."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0

    def add(self, values: Iterable[Any]) -> None:
        self.count += 1
        self.total = (self.total + _row_hash(values)) % (1 << 256)

    def hex(self) -> str:
        return f"{self.total:064x}"[:16]


async def copy(source: Path, target_url: str) -> list[tuple[str, int, str]]:
    """Copy and verify; (table, rows, checksum) for every table copied."""
    src = sqlite3.connect(f"file:{quote(str(source))}?mode=ro", uri=True)
    dst = await asyncpg.connect(target_url)
    try:
        await pg_migrate.apply(dst, migrate.migrations(pg_migrate.DIRECTORY))
        have = {r[0] for r in src.execute("SELECT version FROM schema_migrations")}
        want = {r[0] for r in await dst.fetch("SELECT version FROM schema_migrations")}
        if have != want:
            raise CopyFailed(
                f"schema versions differ: SQLite has {sorted(have - want)} that PostgreSQL"
                f" has not, PostgreSQL {sorted(want - have)}: upgrade and start both first"
            )
        if await dst.fetchval("SELECT count(*) FROM members") > 0:
            raise CopyFailed("the target database already has members: give an empty one")
        tables = _source_tables(src)
        missing = [t for t in tables if await dst.fetchval("SELECT to_regclass($1)", t) is None]
        if missing:
            raise CopyFailed(f"tables the target does not have: {missing}")
        report: list[tuple[str, int, str]] = []
        async with dst.transaction():
            # Rows the target's migrations seeded (the feed clock, ...) give way to the source's.
            quoted_all = ", ".join(f'"{t}"' for t in tables)
            await dst.execute(f"TRUNCATE {quoted_all}, pages_fts")
            for table in await _fk_order(dst, tables):
                report.append(await _copy_table(src, dst, table))
            await dst.execute(
                "INSERT INTO pages_fts (rowid, title, body, tags)"
                " SELECT seq, title, body, tags FROM pages"
            )
            await _reset_identities(dst, tables)
        return report
    finally:
        src.close()
        await dst.close()


async def _copy_table(
    src: sqlite3.Connection, dst: asyncpg.Connection, table: str
) -> tuple[str, int, str]:
    target_types = await _column_types(dst, table)
    columns = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
    unknown = [c for c in columns if c not in target_types]
    if unknown:
        raise CopyFailed(f"{table}: columns the target does not have: {unknown}")
    types = [target_types[c] for c in columns]
    before = _Checksum()

    def counted() -> Iterator[list[Any]]:
        for values in _rows(src, table, columns, types):
            before.add(values)
            yield values

    await dst.copy_records_to_table(table, records=counted(), columns=columns)
    after = _Checksum()
    quoted = ", ".join(f'"{c}"' for c in columns)
    async for record in dst.cursor(f'SELECT {quoted} FROM "{table}"', prefetch=BATCH):
        after.add(list(record))
    if (before.count, before.total) != (after.count, after.total):
        raise CopyFailed(
            f"{table}: copied {before.count} rows (checksum {before.hex()}) but the target"
            f" holds {after.count} (checksum {after.hex()})"
        )
    return table, after.count, after.hex()


async def _reset_identities(dst: asyncpg.Connection, tables: list[str]) -> None:
    """Identity columns continue after the copied ids, as SQLite's rowids would."""
    found = await dst.fetch(
        "SELECT table_name, column_name FROM information_schema.columns"
        " WHERE is_identity = 'YES' AND table_schema = current_schema()"
    )
    for table, column in found:
        if table in tables:
            await dst.execute(
                f"SELECT setval(pg_get_serial_sequence($1, $2),"
                f' (SELECT coalesce(max("{column}"), 0) + 1 FROM "{table}"), false)',
                table,
                column,
            )
