"""A real app whose mail goes to a real SMTP server on loopback (tests/notifications/smtp)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from aiohttp.test_utils import TestClient

from feedserver import appkeys
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import members
from tests.conftest import PASSWORD, Api
from tests.notifications.smtp import Mailbox


@pytest.fixture
async def mailbox() -> AsyncIterator[Mailbox]:
    box = Mailbox()
    await box.start()
    yield box
    await box.stop()


@pytest.fixture
def mail_config(config: Config, mailbox: Mailbox) -> Config:
    return replace(config, **mailbox.settings(), mail_backoff_seconds=1)


@pytest.fixture
async def mail_client(aiohttp_client, mail_config: Config) -> TestClient:
    return await aiohttp_client(create_app(mail_config))


@pytest.fixture
async def mail_admin(mail_client: TestClient) -> Api:
    services = mail_client.app[appkeys.SERVICES]
    await members.create(
        services, username="admin", display_name="Admin", password=PASSWORD, is_admin=True
    )
    return await Api(mail_client).login("admin")


async def add(admin: Api, username: str, email: str | None = None) -> Api:
    body = {"username": username, "display_name": username.title(), "password": PASSWORD}
    if email is not None:
        body["email"] = email
    status, found = await admin.post("/api/v1/members", body)
    assert status == 201, found
    return await admin.login(username)


async def sender_idle(client: TestClient) -> None:
    """Wait (with a deadline) until the mail sender has nothing left to do now."""
    import asyncio

    sender = client.app[appkeys.MAIL_SENDER]
    async with asyncio.timeout(20):
        while True:
            await sender.idle.wait()
            await asyncio.sleep(0)
            if sender.idle.is_set():
                return
