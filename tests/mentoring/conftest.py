"""Mentoring fixtures: the real app on a real temporary database, a clock tests move, and
helpers that build programs and expertise evidence through the HTTP API only."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from feedserver.domain.services import Services
from feedserver.store.engine import open_engine
from tests.conftest import PASSWORD, Api
from tests.expertise.conftest import START, Clock, make_group, solved

__all__ = ["START", "Clock", "make_group", "solved"]


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def mclient(aiohttp_client, config: Config, clock: Clock) -> TestClient:
    config = replace(config, session_days=100_000)  # tests jump the clock by weeks
    db = open_engine(
        config.database_url,
        config.db_path,
        readers=config.db_readers,
        synchronous=config.sqlite_synchronous,
    )
    return await aiohttp_client(create_app(config, Services(db=db, config=config, clock=clock)))


@pytest.fixture
async def madmin(mclient: TestClient) -> Api:
    await members.create(
        mclient.app[appkeys.SERVICES], username="admin", display_name="Admin",
        password=PASSWORD, is_admin=True,
    )  # fmt: skip
    return await Api(mclient).login("admin")


async def new_program(admin: Api, name: str = "New hires 2026", **fields: Any) -> str:
    status, body = await admin.post("/api/v1/programs", {"name": name, **fields})
    assert status == 201, body
    return body["id"]


async def as_mentor(api: Api, pid: str, topics: list[str], capacity: int, **kw: Any) -> dict:
    status, body = await api.post(
        f"/api/v1/programs/{pid}/mentors", {"topics": topics, "capacity": capacity, **kw}
    )
    assert status in (200, 201), body
    return body


async def as_mentee(api: Api, pid: str, goals: list[str], **kw: Any) -> dict:
    status, body = await api.post(f"/api/v1/programs/{pid}/mentees", {"goals": goals, **kw})
    assert status in (200, 201), body
    return body


async def evidence(asker: Api, expert: Api, topic: str, count: int) -> None:
    """`count` accepted answers by `expert` on #topic, in the org group 'commons'."""
    for n in range(count):
        await solved(asker, expert, "commons", f"{topic} question {n}", [topic])


async def propose(admin: Api, pid: str) -> dict:
    status, body = await admin.post(f"/api/v1/programs/{pid}/match")
    assert status == 201, body
    return body


async def publish(admin: Api, pid: str, proposal_id: str) -> list[dict]:
    status, body = await admin.post(f"/api/v1/programs/{pid}/proposals/{proposal_id}/publish")
    assert status == 201, body
    return body["items"]


def pairs_of(proposal: dict) -> dict[str, str]:
    """mentee username -> mentor username."""
    return {p["mentee"]["username"]: p["mentor"]["username"] for p in proposal["pairs"]}


async def post_in(api: Api, group: str, kind: str, title: str) -> str:
    """A post of `kind` in `group`; its id."""
    status, body = await api.post(
        f"/api/v1/groups/{group}/posts", {"kind": kind, "title": title, "body": "details"}
    )
    assert status == 201, body
    return str(body["id"])


async def answer_to(api: Api, question: str) -> str:
    """An answer to `question`; its id."""
    status, body = await api.post(f"/api/v1/posts/{question}/replies", {"body": "try this"})
    assert status == 201, body
    return str(body["id"])
