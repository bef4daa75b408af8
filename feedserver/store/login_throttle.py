"""The login throttle's rows (domain/throttle.py decides what they mean): failed logins per
key digest, and the account-and-address pairs known from a successful login."""

from __future__ import annotations

from collections.abc import Iterable

from feedserver.store.db import Connection


async def failures_since(
    conn: Connection, keys: Iterable[str], since: float
) -> dict[str, list[float]]:
    """Times of the failures after `since` of each key, oldest first."""
    wanted = list(keys)
    found: dict[str, list[float]] = {k: [] for k in wanted}
    marks = ",".join("?" * len(wanted))
    rows = await conn.execute_fetchall(
        f"SELECT key_hash, at FROM login_failures WHERE key_hash IN ({marks}) AND at > ?"
        " ORDER BY at",
        (*wanted, since),
    )
    for row in rows:
        found[row[0]].append(float(row[1]))
    return found


async def known_since(conn: Connection, pair: str) -> float | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT since FROM login_known_pairs WHERE pair_hash = ?", (pair,)
        )
    )
    return float(rows[0][0]) if rows else None


async def add_failures(
    conn: Connection, keys: Iterable[str], at: float, forget_before: float
) -> None:
    """Record a failure under each key; failures older than `forget_before` go."""
    await conn.execute("DELETE FROM login_failures WHERE at <= ?", (forget_before,))
    await conn.executemany(
        "INSERT INTO login_failures (key_hash, at) VALUES (?, ?)", [(k, at) for k in keys]
    )


async def succeed(
    conn: Connection, clear: Iterable[str], pair: str, at: float, forget_before: float
) -> None:
    """Clear the failures of `clear`, and remember `pair` as known since `at`; pairs not seen
    since `forget_before` go."""
    wanted = list(clear)
    marks = ",".join("?" * len(wanted))
    await conn.execute(f"DELETE FROM login_failures WHERE key_hash IN ({marks})", wanted)
    await conn.execute("DELETE FROM login_known_pairs WHERE since <= ?", (forget_before,))
    await conn.execute(
        "INSERT INTO login_known_pairs (pair_hash, since) VALUES (?, ?)"
        " ON CONFLICT (pair_hash) DO UPDATE SET since = excluded.since",
        (pair, at),
    )
