"""Fixtures: a real app on a real temporary SQLite database, driven over real HTTP."""

from __future__ import annotations

import gc
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members

PASSWORD = "correct horse battery"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    # A cheap scrypt cost keeps the suite fast; the parameters travel inside each hash, so the
    # code path is the production one.
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL"
    )


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
