"""Expertise fixtures: the real app on a real temporary database, with a clock tests move."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.domain.services import Services
from feedserver.store.engine import open_engine
from tests.conftest import PASSWORD, Api

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: Any) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def xconfig(config: Config) -> Config:
    # Sessions outlive the decay tests' jumps of hundreds of days.
    return replace(config, session_days=100_000)


@pytest.fixture
async def xclient(aiohttp_client, xconfig: Config, clock: Clock) -> TestClient:
    db = open_engine(
        xconfig.database_url,
        xconfig.db_path,
        readers=xconfig.db_readers,
        synchronous=xconfig.sqlite_synchronous,
    )
    services = Services(db=db, config=xconfig, clock=clock)
    return await aiohttp_client(create_app(xconfig, services=services))


@pytest.fixture
async def xadmin(xclient: TestClient) -> Api:
    from feedserver import appkeys

    services = xclient.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    return await Api(xclient).login("admin")


async def make_group(owner: Api, name: str, visibility: str, *others: str) -> None:
    status, body = await owner.post(
        "/api/v1/groups", {"name": name, "title": name.title(), "visibility": visibility}
    )
    assert status == 201, body
    for username in others:
        status, body = await owner.put(
            f"/api/v1/groups/{name}/members/{username}", {"role": "member"}
        )
        assert status == 200, body


async def ask_question(api: Api, group: str, title: str, tags: list[str]) -> str:
    status, body = await api.post(
        f"/api/v1/groups/{group}/posts",
        {"kind": "question", "title": title, "body": f"{title} — details", "tags": tags},
    )
    assert status == 201, body
    return body["id"]


async def answer(api: Api, question_id: str, text: str = "Here is how.") -> str:
    status, body = await api.post(f"/api/v1/posts/{question_id}/replies", {"body": text})
    assert status == 201, body
    return body["id"]


async def accept(api: Api, answer_id: str) -> None:
    status, body = await api.post(f"/api/v1/posts/{answer_id}/accept")
    assert status == 200, body


async def solved(asker: Api, expert: Api, group: str, title: str, tags: list[str]) -> str:
    """A question by `asker` answered by `expert` and accepted; returns the question id."""
    qid = await ask_question(asker, group, title, tags)
    await accept(asker, await answer(expert, qid))
    return qid


async def experts(api: Api, topic: str, **params: Any) -> list[dict]:
    status, body = await api.get("/api/v1/experts", params={"topic": topic, **params})
    assert status == 200, body
    return body["items"]
