"""Feed tests run a real server on 127.0.0.1 whose public base URL is the address it serves,
so a feed's `self` link can be compared with the URL that was fetched, and external readers
(newsboat) can fetch the URLs the API hands out."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import pytest
from aiohttp.test_utils import TestClient
from yarl import URL

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.feeds.cache import FeedCache
from tests import pgtest
from tests.conftest import Api
from tests.loopback import free_port


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def config(tmp_path: Path, port: int) -> Config:
    return replace(
        Config(), data_dir=tmp_path / "data", scrypt_n=2**10, sqlite_synchronous="NORMAL",
        database_url=pgtest.database_url(),
        base_url=f"http://127.0.0.1:{port}",
    )  # fmt: skip


@pytest.fixture
async def client(aiohttp_client, aiohttp_server, config: Config, port: int) -> TestClient:
    server = await aiohttp_server(create_app(config), host="127.0.0.1", port=port)
    return await aiohttp_client(server)


def cache(client: TestClient) -> FeedCache:
    return client.app[appkeys.FEED_CACHE]


async def feed_urls(api: Api, **params: Any) -> dict:
    status, body = await api.get("/api/v1/me/feeds", params=params)
    assert status == 200, body
    return body


async def fetch(client: TestClient, url: str, method: str = "GET", **headers: str):
    """(status, headers, body bytes) of a feed URL, fetched with no Authorization header."""
    async with client.request(method, URL(url).path_qs, headers=headers) as resp:
        return resp.status, resp.headers, await resp.read()


async def parse(client: TestClient, url: str) -> feedparser.FeedParserDict:
    status, headers, body = await fetch(client, url)
    assert status == 200, body
    assert headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return parsed


async def new_post(api: Api, group: str, title: str, **fields: Any) -> dict:
    doc = {"kind": "tip", "title": title, "body": f"Body of {title}", "tags": [], **fields}
    status, body = await api.post(f"/api/v1/groups/{group}/posts", doc)
    assert status == 201, body
    return body
