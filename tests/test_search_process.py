"""Searches run in a process of their own (store/search_process.py): the serving process sends
the job with the scope the access policy decided and gets the rows back. A search process
that dies or hangs mid-search costs that search a 503 problem, never a hang, and the next
search is served by a new one; closing the app leaves no search process running.
(That answers are the same through the process is every other search test's job: they all
run through it, as `search_process` is on by default.)"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from dataclasses import replace

import pytest

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.store import search_process
from feedserver.store.engine import Engine
from feedserver.store.read_guard import QueryStopped
from tests.conftest import PASSWORD, Api
from tests.search_process_jobs import endless
from tests.waiting import DEADLINE, until


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


async def _setup(aiohttp_client, config: Config, **settings: int) -> tuple[Api, Api, Engine]:
    client = await aiohttp_client(create_app(replace(config, **settings)))
    services = client.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    await members.create(services, username="eve", display_name="Eve", password=PASSWORD)
    admin = await Api(client).login("admin")
    group = {"name": "ops", "title": "Ops", "visibility": "private"}
    assert (await admin.post("/api/v1/groups", group))[0] == 201
    post = {"kind": "question", "title": "Payroll run", "body": "When is the payroll run?"}
    assert (await admin.post("/api/v1/groups/ops/posts", post))[0] == 201
    return admin, await Api(client).login("eve"), services.db


async def _search(api: Api) -> tuple[int, dict[str, str]]:
    async with api.client.get(
        "/api/v1/search?q=payroll", headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        return resp.status, await resp.json(content_type=None)


async def _served(aiohttp_client, config: Config) -> tuple[Api, Engine, int]:
    """The admin, the engine and its one search process, which has answered a search."""
    admin, _, db = await _setup(aiohttp_client, config)
    assert (await asyncio.wait_for(_search(admin), DEADLINE))[0] == 200
    assert db.search_process is not None
    (pid,) = db.search_process.pids()
    return admin, db, pid


def _found(body: dict[str, object]) -> list[str]:
    items = body["items"]
    assert isinstance(items, list)
    return [hit["post"]["title"] for hit in items]


async def test_a_search_is_answered_by_a_search_process_with_the_viewers_scope(
    aiohttp_client, config: Config
):
    admin, eve, db = await _setup(aiohttp_client, config, search_nice=7)
    status, found = await asyncio.wait_for(_search(admin), DEADLINE)
    assert status == 200 and _found(found) == ["Payroll run"]
    assert db.search_process is not None
    (pid,) = db.search_process.pids()
    assert pid != os.getpid()
    # It runs at a lower CPU priority than the serving process, as set.
    assert os.getpriority(os.PRIO_PROCESS, pid) == os.getpriority(os.PRIO_PROCESS, 0) + 7
    # The scope travelled with the job: Eve is not in the private group, she finds nothing.
    status, found = await asyncio.wait_for(_search(eve), DEADLINE)
    assert status == 200 and _found(found) == []
    assert db.search_process.pids() == [pid]  # the same process served both


async def test_a_search_process_killed_mid_search_is_a_503_and_the_next_search_works(
    aiohttp_client, config: Config
):
    admin, db, pid = await _served(aiohttp_client, config)
    os.kill(pid, signal.SIGSTOP)  # holds the next search mid-flight, in the process
    try:
        searching = asyncio.create_task(_search(admin))
        await until(lambda: db.search_gate.running == 1)
    finally:
        os.kill(pid, signal.SIGKILL)
    status, body = await asyncio.wait_for(searching, DEADLINE)
    assert status == 503 and body["type"].endswith("search-busy"), body
    assert "stopped on our side" in body["detail"]
    status, found = await asyncio.wait_for(_search(admin), DEADLINE)  # a new process
    assert status == 200 and _found(found) == ["Payroll run"], found
    (new_pid,) = db.search_process.pids()
    assert new_pid != pid


async def test_a_hung_search_process_is_a_503_at_its_deadline_and_is_replaced(
    aiohttp_client, config: Config, monkeypatch: pytest.MonkeyPatch
):
    admin, db, pid = await _served(aiohttp_client, config)
    grace = search_process.GRACE_SECONDS
    monkeypatch.setattr(search_process, "GRACE_SECONDS", 0.2)  # beyond search_timeout_ms
    os.kill(pid, signal.SIGSTOP)  # alive, but never answers
    try:
        status, body = await asyncio.wait_for(_search(admin), DEADLINE)
    finally:
        monkeypatch.setattr(search_process, "GRACE_SECONDS", grace)
        if not _gone(pid):
            os.kill(pid, signal.SIGKILL)
    assert status == 503 and body["type"].endswith("search-busy"), body
    await until(lambda: _gone(pid))  # it was killed, not left stopped
    status, found = await asyncio.wait_for(_search(admin), DEADLINE)
    assert status == 200 and _found(found) == ["Payroll run"], found


async def test_a_search_whose_client_went_away_is_stopped_in_its_process(
    aiohttp_client, config: Config
):
    admin, db, pid = await _served(aiohttp_client, config)
    gone = threading.Event()
    # A query that runs until stopped, with a bound (120 s) far beyond the test's deadline:
    # only the client's going away can end it in time.
    searching = asyncio.create_task(
        search_process.search(db, endless, {}, seconds=120, abandoned=gone.is_set)
    )
    await until(lambda: db.search_gate.running == 1)
    gone.set()
    with pytest.raises(QueryStopped) as stopped:
        await asyncio.wait_for(searching, DEADLINE)
    assert stopped.value.abandoned
    # The process stopped the query and is free again: the same one answers the next search.
    status, found = await asyncio.wait_for(_search(admin), DEADLINE)
    assert status == 200 and _found(found) == ["Payroll run"], found
    assert db.search_process.pids() == [pid]


async def test_closing_the_app_leaves_no_search_process_running(aiohttp_client, config: Config):
    admin, _, db = await _setup(aiohttp_client, config, search_readers=2)
    results = await asyncio.wait_for(asyncio.gather(_search(admin), _search(admin)), DEADLINE)
    assert [status for status, _ in results] == [200, 200]
    assert db.search_process is not None
    pids = db.search_process.pids()
    assert pids and all(not _gone(pid) for pid in pids)
    await admin.client.close()  # the app's cleanup: the engine closes its search process
    await until(lambda: all(_gone(pid) for pid in pids))
    assert db.search_process is None
    assert not [t for t in threading.enumerate() if t.name.startswith("feedserver-search")]
