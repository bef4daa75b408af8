"""PostgreSQL's read connections: the pools of read-only connections (the engine's readers,
its searches', the search process's: store/search_worker.py) and one block on one of them
under a time bound. Kept apart from store/pg.py so the search process needs nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from feedserver.store.pg_conn import PgConnection
from feedserver.store.read_guard import QueryStopped

# Statements run from asyncpg's statement cache (store/pg_conn.py), but are still planned
# for their values each time: a generic plan guesses a row count without them (2 rows for a
# member's evidence on a topic that has thousands) and kept a plan that read them all.
SETTINGS = {"plan_cache_mode": "force_custom_plan"}


def _decode_numeric(text: str) -> int | float:
    # sum() and avg() of integers are `numeric` in PostgreSQL; SQLite answers int or float.
    return float(text) if "." in text or "e" in text.lower() else int(text)


async def setup(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec(
        "numeric", encoder=str, decoder=_decode_numeric, schema="pg_catalog", format="text"
    )


async def read_pool(url: str, size: int) -> asyncpg.Pool:
    """A pool of read-only connections (the engine's readers, its searches', and the search
    process's, store/search_worker.py)."""
    return await asyncpg.create_pool(
        url, min_size=1, max_size=size, statement_cache_size=1024, init=setup,
        server_settings={**SETTINGS, "default_transaction_read_only": "on"},
    )  # fmt: skip


@asynccontextmanager
async def bounded(pool: asyncpg.Pool | None, seconds: float | None) -> AsyncIterator[PgConnection]:
    """A connection of `pool` for one block, its statements stopped (QueryStopped) once
    `seconds` have passed, by PostgreSQL's statement_timeout."""
    if pool is None:
        raise RuntimeError("the database is not open")
    async with pool.acquire() as raw:
        if seconds is None:
            yield PgConnection(raw)
            return
        await raw.execute(f"SET statement_timeout = {max(1, int(seconds * 1000))}")
        try:
            yield PgConnection(raw)
        except asyncpg.exceptions.QueryCanceledError:
            raise QueryStopped(abandoned=False) from None
        finally:
            await raw.execute("RESET statement_timeout")
