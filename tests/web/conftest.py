"""Web page fixtures: a form-posting client per person (its own cookie jar) on one server."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.domain.services import Services
from tests.conftest import PASSWORD, Api
from tests.loopback import free_port
from tests.web.journey import CHROMIUM, LAUNCH_ARGS

_CSRF = re.compile(r'name="csrf" value="([0-9a-f]+)"')


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@dataclass
class Browser:
    """Plays a browser: keeps cookies, reads the CSRF token from the page it posts from."""

    client: TestClient

    async def get(self, path: str, **kw: Any) -> tuple[int, str]:
        async with self.client.get(path, **kw) as resp:
            return resp.status, await resp.text()

    async def submit(
        self, page: str, action: str, data: dict[str, str], *, csrf: bool = True, **kw: Any
    ) -> tuple[int, str]:
        """GET `page`, then POST the form to `action` with the token that page carried."""
        status, html = await self.get(page)
        assert status == 200, (page, status)
        if csrf:
            data = {"csrf": csrf_of(html), **data}
        async with self.client.post(action, data=data, **kw) as resp:
            return resp.status, await resp.text()

    async def login(self, username: str, password: str = PASSWORD) -> Browser:
        status, html = await self.submit(
            "/login", "/login", {"username": username, "password": password}
        )
        assert status == 200 and "Log out" in html, (status, html[:500])
        return self


@pytest.fixture
async def browser_for(aiohttp_client, client: TestClient, admin: Api):
    """browser_for("alice") -> a Browser signed in as alice (created by the admin if new)."""

    async def make(username: str | None = None, *, create: bool = True) -> Browser:
        other = Browser(await aiohttp_client(client.server))
        if username is None:
            return other
        if create and username != "admin":
            await admin.add_member(username)
        return await other.login(username)

    return make


@pytest.fixture
async def site_services(aiohttp_server, config: Config) -> tuple[str, Services]:
    """A real server on loopback whose base URL is its own (so invitation links work), with
    an admin "admin" (Ada Admin); its base URL and its services."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = create_app(replace(config, base_url=base))
    await aiohttp_server(app, host="127.0.0.1", port=port)
    await members.create(
        app[appkeys.SERVICES], username="admin", display_name="Ada Admin", password=PASSWORD,
        is_admin=True,
    )  # fmt: skip
    return base, app[appkeys.SERVICES]


@pytest.fixture
def site(site_services: tuple[str, Services]) -> str:
    return site_services[0]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Debian's Chromium through Playwright; the test skips (saying why) where it is missing."""
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is missing (apt-get install chromium)")
    playwright_api = pytest.importorskip("playwright.async_api")
    async with playwright_api.async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        await chromium.close()
