"""Two processes sharing a PostgreSQL database never claim the same host's deliveries: each
ready host's head is locked by the claiming transaction (FOR UPDATE SKIP LOCKED), so a
claim running at the same moment skips that host, and once the first commits the head is
leased (and its host held: delivery_leases). Two engines on one database stand for two
processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feedserver.config import Config
from feedserver.store import federation_queue as queue_store
from feedserver.store.engine import open_engine
from tests import pgtest

pytestmark = pytest.mark.skipif(
    not pgtest.ON_POSTGRESQL,
    reason="SQLite has one writer at a time: a second process waits for the first's lock",
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def test_concurrent_claims_never_take_the_same_host(config: Config) -> None:
    first = open_engine(config.database_url, config.db_path, readers=1, synchronous="NORMAL")
    second = open_engine(config.database_url, config.db_path, readers=1, synchronous="NORMAL")
    await first.open()
    await second.open()
    try:
        async with first.write() as conn:
            for host in ("a.example", "b.example"):
                await conn.execute(
                    "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (host, f"https://{host}", f"https://{host}/actor", f"https://{host}/inbox",
                     "2026-05-01T00:00:00.000000Z"),
                )  # fmt: skip
                for n in range(2):
                    await queue_store.enqueue(
                        conn, id=f"{host}-{n}", host=host, activity_id=f"act-{n}",
                        body="{}", now=NOW - timedelta(minutes=2 - n),
                    )  # fmt: skip
        lease = NOW + timedelta(minutes=5)
        async with first.write() as one:
            mine = await queue_store.claim_due(one, NOW, lease, limit=2, hosts=1, holder="one")
            async with second.write() as other:  # while the first claim is not committed
                theirs = await queue_store.claim_due(
                    other, NOW, lease, limit=10, hosts=10, holder="other"
                )
        assert len({d.host for d in mine}) == 1
        assert mine and theirs
        assert {d.host for d in mine}.isdisjoint({d.host for d in theirs})
        async with second.write() as again:  # after both committed: everything is leased
            assert (
                await queue_store.claim_due(again, NOW, lease, limit=10, hosts=10, holder="again")
                == []
            )
    finally:
        await first.close()
        await second.close()
