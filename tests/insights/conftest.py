"""Insights fixtures: a server B whose clock the test moves, partnered with a server A that
shares an expert's profile with it (real federation on loopback)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from feedserver.app import create_app
from feedserver.domain.services import Services
from feedserver.federation import partners
from feedserver.federation.server_keys import ServerKeys
from feedserver.store.db import Database
from tests.expertise.conftest import Clock
from tests.federation.servers import PASSWORD, make_node, start


@pytest.fixture
async def pair(aiohttp_server, tmp_path):
    """(A, B, B's clock): partners exchanging profiles; B's clock reads the real time until
    the test moves it (signatures between the two are checked against it)."""
    a, b = make_node("a", 1, tmp_path), make_node("b", 2, tmp_path)
    b.config = replace(b.config, session_days=100_000)  # the test moves B's clock by days
    clock = Clock(datetime.now(UTC))
    await start(a, aiohttp_server)
    db = Database(b.config.db_path, b.config.db_readers, b.config.sqlite_synchronous)
    services = Services(db=db, config=b.config, clock=clock, keys=ServerKeys(b.config))
    b.server = await aiohttp_server(create_app(b.config, services), port=b.config.port)
    await b.add_member("admin", admin=True)
    status, body = await b.call(
        "POST", "/api/v1/sessions", {"username": "admin", "password": PASSWORD}
    )
    assert status == 201, body
    b.admin_token = body["token"]
    code, _ = await partners.invite(a.services, profiles=True)
    await partners.accept(b.fed, code)
    await asyncio.wait_for(a.fed.worker.idle.wait(), 60)
    return a, b, clock
