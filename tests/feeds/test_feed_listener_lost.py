"""Two workers on one PostgreSQL database: each remembers feed answers until the database's
data version moves, and a write by the other worker moves it only through the NOTIFY that
reaches this worker's LISTEN connection. When that connection is gone (PostgreSQL's
idle_session_timeout, a restart, pg_terminate_backend), no NOTIFY arrives any more: the
worker must stop trusting what it remembers, or a member removed from a private group by the
other worker keeps reading the group's feed here."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from tests import pgtest
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post

pytestmark = pytest.mark.skipif(
    not pgtest.ON_POSTGRESQL, reason="LISTEN/NOTIFY is PostgreSQL's (SQLite: data_version)"
)


async def _terminate_listeners(url: str) -> int:
    """Ends the LISTEN connections of this database's workers, as PostgreSQL does to an idle
    session after idle_session_timeout; returns how many it ended."""
    conn = await asyncpg.connect(url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND query LIKE 'LISTEN %'"
            )
        )
    finally:
        await conn.close()


async def _closed_seen(listener: asyncpg.Connection) -> None:
    """Waits (with a deadline) until this worker's end of the socket saw it closed, as it
    does when its event loop next reads the socket. The listener is the one taken before it
    was ended: by now the worker may already listen again on a new one."""
    deadline = asyncio.get_running_loop().time() + 10
    while not listener.is_closed():
        assert asyncio.get_running_loop().time() < deadline, "the listener never saw its end"
        await asyncio.sleep(0.02)


async def test_a_worker_that_lost_its_listener_remembers_no_private_feed(
    admin: Api, client: TestClient, aiohttp_client, config: Config
) -> None:
    other = await aiohttp_client(create_app(config))  # the second worker
    owner = await admin.add_member("olga")
    bob = await admin.add_member("bob")
    assert (await owner.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    assert (await owner.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    await new_post(owner, "pay", "Salary bands for 2027")
    url = next(g["url"] for g in (await feed_urls(bob))["groups"] if "/pay.atom" in g["url"])

    status, _, body = await fetch(client, url)
    assert status == 200 and b"Salary bands" in body
    assert (await fetch(client, url))[0] == 200  # remembered now
    answers = client.app[appkeys.FEED_CACHE].answers
    hits = answers.hits

    listener = client.app[appkeys.SERVICES].db._listener
    assert listener is not None
    assert await _terminate_listeners(config.database_url) >= 1
    await _closed_seen(listener)

    # The other worker removes bob from the group.
    status, _ = await Api(other, owner.token).delete("/api/v1/groups/pay/members/bob")
    assert status == 204

    # At once (this worker's own background writes would move its version within seconds;
    # a remembered private feed must not outlive the removal even that long).
    status, _, body = await fetch(client, url)
    assert status == 404, f"bob still reads the private feed here ({answers.hits - hits} hits)"
    assert b"Salary bands" not in body

    # It listens again by itself; from then on answers are remembered again, and the other
    # worker's writes reach it as before.
    olga_url = next(g["url"] for g in (await feed_urls(owner))["groups"] if "/pay.atom" in g["url"])
    deadline = asyncio.get_running_loop().time() + 30
    while True:
        hits = answers.hits
        assert (await fetch(client, olga_url))[0] == 200
        assert (await fetch(client, olga_url))[0] == 200
        if answers.hits > hits:
            break
        assert asyncio.get_running_loop().time() < deadline, "it never listened again"
        await asyncio.sleep(0.1)
    await new_post(Api(other, owner.token), "pay", "Bonus rules")
    deadline = asyncio.get_running_loop().time() + 10
    while b"Bonus rules" not in (await fetch(client, olga_url))[2]:
        assert asyncio.get_running_loop().time() < deadline, "the other worker's post never shows"
        await asyncio.sleep(0.05)
