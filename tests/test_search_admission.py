"""Searches run on readers set aside for them, let in through a gate: while every search reader
is held, a post list is still served; one search more waits in line, and one beyond the line
(or one whose time bound passes in it) is refused at once with a clear 503 problem."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import replace

import pytest

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.store.admission import Gate, ReadersBusy
from feedserver.store.engine import Engine
from feedserver.store.read_guard import QueryStopped
from tests.conftest import PASSWORD, Api
from tests.waiting import DEADLINE, until


@asynccontextmanager
async def _holding_search_readers(db: Engine, count: int) -> AsyncIterator[None]:
    """`count` searches' reads, each holding a search reader until the block ends."""
    async with AsyncExitStack() as stack:
        for _ in range(count):
            conn = await stack.enter_async_context(db.read(search=True))
            await conn.execute_fetchall("SELECT 1")
        assert db.search_gate.running == count
        yield


async def _setup(aiohttp_client, config: Config, **settings: int) -> tuple[Api, Engine]:
    client = await aiohttp_client(create_app(replace(config, **settings)))
    services = client.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    admin = await Api(client).login("admin")
    assert (await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops"}))[0] == 201
    post = {"kind": "question", "title": "Payroll run", "body": "When is the payroll run?"}
    assert (await admin.post("/api/v1/groups/ops/posts", post))[0] == 201
    return admin, services.db


def _assert_busy(status: int, body: dict[str, str], headers: dict[str, str]) -> None:
    assert status == 503, body
    assert body["type"].endswith("search-busy")
    assert headers["Content-Type"].startswith("application/problem+json")
    assert headers["Retry-After"].isdigit()


async def _get(api: Api, path: str) -> tuple[int, dict[str, str], dict[str, str]]:
    async with api.client.get(path, headers={"Authorization": f"Bearer {api.token}"}) as resp:
        return resp.status, await resp.json(content_type=None), dict(resp.headers)


async def test_a_post_list_is_served_while_searches_hold_every_search_reader(
    aiohttp_client, config: Config
):
    """Before: searches took the readers every page uses: with two of them, a post list waited
    for the searches (here, until they ended)."""
    admin, db = await _setup(
        aiohttp_client, config, db_readers=2, search_readers=2, search_waiting=1
    )
    async with _holding_search_readers(db, 2):
        status, listed = await asyncio.wait_for(admin.get("/api/v1/groups/ops/posts"), DEADLINE)
        assert status == 200 and listed["items"][0]["title"] == "Payroll run"

        waiting = asyncio.create_task(_get(admin, "/api/v1/search?q=payroll"))
        await until(lambda: db.search_gate.waiting == 1)
        _assert_busy(*await asyncio.wait_for(_get(admin, "/api/v1/search?q=payroll"), DEADLINE))
        assert not waiting.done()  # still in line, behind the searches that hold the readers
    status, found, _ = await asyncio.wait_for(waiting, DEADLINE)  # their readers came free
    assert status == 200 and found["items"][0]["post"]["title"] == "Payroll run"
    assert db.search_gate.running == 0 and db.search_gate.waiting == 0


async def test_a_search_still_waiting_at_its_time_bound_is_refused(aiohttp_client, config):
    admin, db = await _setup(
        aiohttp_client, config, search_readers=1, search_waiting=4, search_timeout_ms=50
    )
    async with _holding_search_readers(db, 1):
        _assert_busy(*await asyncio.wait_for(_get(admin, "/api/v1/search?q=payroll"), DEADLINE))
        assert db.search_gate.waiting == 0  # it left the line
    assert db.search_gate.running == 0


async def test_the_gate_hands_slots_over_in_order_and_passes_on_a_given_up_turn():
    gate = Gate(slots=1, waiting=3)
    order: list[str] = []
    release = asyncio.Event()

    async def search(name: str, abandoned: Callable[[], bool] | None = None) -> None:
        async with gate.enter(None, abandoned):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(search("first"))
    await until(lambda: gate.running == 1)
    gone = False
    second = asyncio.create_task(search("second", abandoned=lambda: gone))
    third = asyncio.create_task(search("third"))
    fourth = asyncio.create_task(search("fourth"))
    await until(lambda: gate.waiting == 3)
    with pytest.raises(ReadersBusy) as refused:
        async with gate.enter(None):
            pass
    assert refused.value.full
    gone = True  # the second's client hangs up while it waits: it leaves the line
    with pytest.raises(QueryStopped) as stopped:
        await asyncio.wait_for(second, DEADLINE)
    assert stopped.value.abandoned
    third.cancel()  # cancelled while waiting: its turn is not lost
    with pytest.raises(asyncio.CancelledError):
        await third
    release.set()
    await asyncio.wait_for(asyncio.gather(first, fourth), DEADLINE)
    assert order == ["first", "fourth"]
    assert gate.running == 0 and gate.waiting == 0
