"""A week salt that keeps a test's searchers apart in the sketch of distinct members."""

from __future__ import annotations

import hashlib
import hmac

from feedserver.domain.insight_buckets import day_of, week_of
from feedserver.domain.services import Services
from feedserver.store.search_misses import SKETCH_BITS, week_salt


async def salt_without_collisions(services: Services, usernames: list[str]) -> None:
    """Store this week's salt, chosen so these members fall on distinct bits of the sketch:
    with a random salt, 5 members share a bit about 4% of the time (the count errs low, by
    design, and a test expecting exactly 5 would fail that often)."""
    week = week_of(day_of(services.clock()))
    async with services.db.read() as conn:
        marks = ", ".join("?" for _ in usernames)
        async with conn.execute(
            f"SELECT id FROM members WHERE username IN ({marks})", usernames
        ) as cur:
            ids = [r[0] for r in await cur.fetchall()]
    assert len(ids) == len(usernames)
    for n in range(1000):
        salt = n.to_bytes(32, "big")
        bits = {
            int.from_bytes(hmac.new(salt, i.encode(), hashlib.sha256).digest()[:4], "big")
            % SKETCH_BITS
            for i in ids
        }
        if len(bits) == len(ids):
            break
    async with services.db.write() as conn:
        assert await week_salt(conn, week, salt) == salt
