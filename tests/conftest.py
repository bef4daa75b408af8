"""Fixtures: a real app on a real temporary database (SQLite, or PostgreSQL under
`make test-postgres`: see tests/pgtest.py), driven over real HTTP."""

from __future__ import annotations

import gc
import os
import socket
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from tests import pgtest

PASSWORD = "correct horse battery"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # A cheap scrypt cost keeps the suite fast; the parameters travel inside each hash, so the
    # code path is the production one.
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL",
        database_url=pgtest.database_url(),
    )  # fmt: skip


@pytest.fixture(autouse=True)
def _drop_test_databases() -> Iterator[None]:
    """On PostgreSQL, the databases a test made go when it ends (its apps are closed by then:
    autouse fixtures are set up first and torn down last)."""
    yield
    pgtest.drop_created()


def pytest_report_header() -> str:
    return f"database engine: {pgtest.ENGINE}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A test marked sqlite_only is about SQLite itself: skipped on PostgreSQL, with its reason."""
    if not pgtest.ON_POSTGRESQL:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=f"postgresql: {marker.args[0]}"))


@dataclass
class Api:
    """A test client that remembers a bearer token and returns (status, json-or-text)."""

    client: TestClient
    token: str | None = None

    def as_(self, token: str | None) -> Api:
        return Api(self.client, token)

    async def call(self, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        headers = dict(kwargs.pop("headers", {}))
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        async with self.client.request(method, path, headers=headers, **kwargs) as resp:
            text = await resp.text()
            if resp.content_type in ("application/json", "application/problem+json") and text:
                return resp.status, await resp.json(content_type=None)
            return resp.status, text

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("GET", path, **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("POST", path, json=json, **kw)

    async def put(self, path: str, json: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("PUT", path, json=json, **kw)

    async def patch(self, path: str, json: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.call("PATCH", path, json=json, **kw)

    async def delete(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.call("DELETE", path, **kw)

    async def login(self, username: str, password: str = PASSWORD) -> Api:
        status, body = await self.as_(None).post(
            "/api/v1/sessions", {"username": username, "password": password}
        )
        assert status == 201, body
        return self.as_(body["token"])

    async def add_member(self, username: str, admin: bool = False) -> Api:
        status, body = await self.post(
            "/api/v1/members",
            {
                "username": username,
                "display_name": username.title(),
                "password": PASSWORD,
                "admin": admin,
            },
        )
        assert status == 201, body
        return await self.login(username)


def _bound_socket(host: str, port: int, family: socket.AddressFamily) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


@pytest.fixture
async def aiohttp_server() -> AsyncIterator[Callable[..., Awaitable[TestServer]]]:
    """pytest-aiohttp's factory, except that a server whose start fails is closed too.

    TestServer runs the app's start-up (the database opens) before it binds the port; the
    plugin's factory keeps only servers that started, so one that could not bind left its
    database connections open and their threads running after the test, and aiohttp's own
    socket factory leaves the unbound socket for a later test's garbage collection to report.
    """
    servers: list[TestServer] = []

    async def start(app: web.Application, *, host: str = "127.0.0.1", port: int | None = None,
                    **kwargs: Any) -> TestServer:  # fmt: skip
        server = TestServer(app, host=host, port=port, socket_factory=_bound_socket)
        servers.append(server)
        await server.start_server(**kwargs)
        return server

    yield start
    while servers:
        await servers.pop().close()


@pytest.fixture
async def client(aiohttp_client, config: Config) -> TestClient:
    return await aiohttp_client(create_app(config))


@pytest.fixture
async def admin(client: TestClient) -> Api:
    """The first admin, created the way `feedserver user add --admin` does."""
    services = client.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    return await Api(client).login("admin")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """An aiosqlite connection left open keeps a non-daemon thread alive, and the interpreter
    (and CI with it) would wait for it forever. Stop any that a test leaked, and fail loudly."""
    gc.collect()
    leaked = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, aiosqlite.Connection) and obj._connection is not None
    ]
    for conn in leaked:
        conn.stop()
    if leaked:
        print(f"\nconftest: stopped {len(leaked)} aiosqlite connection(s) a test left open")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    pgtest.finish()  # the last test databases' drops, which ran behind the tests


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """The last word on leaked threads: exit rather than wait for them.

    A connection that was garbage-collected unclosed cannot be stopped above: with warnings as
    errors its __del__ raises its ResourceWarning (the test that collected it fails) before it
    stops its thread, so the thread waits on its queue for ever and interpreter shutdown with it.
    That happened in CI (a port taken between picking and binding): the summary printed, then
    the run hung until CI's timeout. Now it ends at once, non-zero, naming the threads.
    """
    leftover = [
        t for t in threading.enumerate() if not t.daemon and t is not threading.main_thread()
    ]
    for thread in leftover:
        thread.join(timeout=2)  # the connections stopped above are still finishing
    if stuck := [t.name for t in leftover if t.is_alive()]:
        sys.stdout.flush()
        sys.stderr.write(f"conftest: {len(stuck)} thread(s) left running, not awaited: {stuck}\n")
        sys.stderr.flush()
        os._exit(pytest.ExitCode.TESTS_FAILED)
