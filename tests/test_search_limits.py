"""A search that runs past its time bound is a clear 503 problem, not a hang, and leaves the
readers usable; a handler learns that its client hung up (searches stop then)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from aiohttp import web

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.http.serving import client_gone, runner_options
from tests.conftest import PASSWORD, Api
from tests.loopback import free_port

DEADLINE = 20.0


async def test_a_search_past_its_time_bound_is_a_503_problem(aiohttp_client, config: Config):
    client = await aiohttp_client(create_app(replace(config, search_timeout_ms=0)))
    services = client.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    admin = await Api(client).login("admin")
    assert (await admin.post("/api/v1/groups", {"name": "ops", "title": "Ops"}))[0] == 201
    async with services.db.write() as conn:  # a fixture: enough rows for a search to work
        group_id = (await conn.execute_fetchall("SELECT id FROM groups WHERE name = 'ops'"))[0][0]
        author = (await conn.execute_fetchall("SELECT id FROM members"))[0][0]
        await conn.executemany(
            "INSERT INTO posts (id, group_id, kind, author_id, title, body, body_html,"
            " created_at, updated_at) VALUES (?, ?, 'question', ?, ?, 'payroll', '', ?, ?)",
            [(f"p{n:08d}", group_id, author, f"payroll {n}", "2026-01-01T00:00:00.000000Z",
              "2026-01-01T00:00:00.000000Z") for n in range(1500)],
        )  # fmt: skip
    started = time.monotonic()
    async with client.get(
        "/api/v1/search", params={"q": "payroll"},
        headers={"Authorization": f"Bearer {admin.token}"},
    ) as resp:  # fmt: skip
        body = await resp.json(content_type=None)
        assert resp.status == 503, body
        assert resp.content_type == "application/problem+json"
        assert body["type"].endswith("query-too-slow")
        assert resp.headers["Retry-After"].isdigit()
    assert time.monotonic() - started < DEADLINE
    status, listed = await admin.get("/api/v1/groups/ops/posts")  # the readers still serve
    assert status == 200 and len(listed["items"]) == 20


async def test_a_handler_learns_that_its_client_hung_up() -> None:
    noticed = asyncio.Event()
    started = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        gone = client_gone(request)
        started.set()
        deadline = time.monotonic() + DEADLINE
        while not gone() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if gone():
            noticed.set()
        return web.Response(text="late")

    app = web.Application()
    app.router.add_get("/slow", slow)
    # Served as `feedserver serve` serves (run_app's runner options): a hang-up does not cancel
    # the handler. aiohttp's test server would cancel it, so it is not used here.
    runner = web.AppRunner(app, **runner_options(Config()))
    await runner.setup()
    try:
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        await writer.drain()
        await asyncio.wait_for(started.wait(), DEADLINE)
        assert not noticed.is_set()
        writer.close()
        await writer.wait_closed()
        await asyncio.wait_for(noticed.wait(), DEADLINE)
    finally:
        await runner.cleanup()
