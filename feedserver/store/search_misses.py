"""Searches that found nothing, as counts per normalized term and week (table
insight_search_misses; why a sketch and not a list of members: migrations/0100_insights.sql)."""

from __future__ import annotations

from feedserver.store.db import Connection

SKETCH_BITS = 256


async def week_salt(conn: Connection, week: str, fresh: bytes) -> bytes:
    """The open week's salt, stored on first use (`fresh`), so a restart maps a member to the
    same bit; dropped when the week closes."""
    await conn.execute(
        "INSERT INTO insight_salts (week, salt) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (week, fresh),
    )
    async with conn.execute("SELECT salt FROM insight_salts WHERE week = ?", (week,)) as cur:
        row = await cur.fetchone()
    assert row is not None
    return bytes(row[0])


async def add(conn: Connection, week: str, term: str, kind: str, searches: int, bits: int) -> None:
    """Add searches and OR member bits into a term's row for an open week."""
    async with conn.execute(
        "SELECT searches, sketch FROM insight_search_misses WHERE week = ? AND term = ?"
        " AND kind = ?",
        (week, term, kind),
    ) as cur:
        row = await cur.fetchone()
    if row is not None and row[1] is None:
        # A closed week (a batch that waited past midnight on Sunday): count the searches,
        # never re-open a sketch.
        await conn.execute(
            "UPDATE insight_search_misses SET searches = searches + ? WHERE week = ? AND term = ?"
            " AND kind = ?",
            (searches, week, term, kind),
        )
        return
    if row is not None:
        bits |= int.from_bytes(row[1], "big")
        searches += int(row[0])
    await conn.execute(
        "INSERT INTO insight_search_misses (week, term, kind, searches, members, sketch)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (week, term, kind) DO UPDATE SET"
        " searches = excluded.searches, members = excluded.members, sketch = excluded.sketch",
        (week, term, kind, searches, bits.bit_count(), bits.to_bytes(SKETCH_BITS // 8, "big")),
    )


async def close_before(conn: Connection, week: str) -> None:
    """Weeks before `week` are over: keep their counts, drop their sketches and salts."""
    await conn.execute(
        "UPDATE insight_search_misses SET sketch = NULL WHERE week < ? AND sketch IS NOT NULL",
        (week,),
    )
    await conn.execute("DELETE FROM insight_salts WHERE week < ?", (week,))


async def shown(
    conn: Connection, first_week: str, last_week: str, min_members: int, limit: int
) -> list[tuple[str, str, int]]:
    """(term, kind, searches) over the weeks, only where some week alone had at least
    `min_members` distinct members: a lower bound of the period's, so never overstated."""
    async with conn.execute(
        "SELECT term, kind, sum(searches) AS n FROM insight_search_misses"
        " WHERE week BETWEEN ? AND ? GROUP BY term, kind HAVING max(members) >= ?"
        " ORDER BY n DESC, term LIMIT ?",
        (first_week, last_week, min_members, limit),
    ) as cur:
        return [(r[0], r[1], int(r[2])) for r in await cur.fetchall()]
