"""The app served the way `feedserver serve` serves it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import pytest
from aiohttp import web

from feedserver.app import create_app
from feedserver.config import Config
from feedserver.http.serving import runner_options
from tests.loopback import free_port


@dataclass
class Served:
    host: str
    port: int
    runner: web.AppRunner


@pytest.fixture
async def served(config: Config) -> AsyncIterator[Served]:
    """Served as `feedserver serve` serves (aiohttp's TestServer cancels handlers whose
    client left; web.run_app does not)."""
    config = replace(config, header_timeout_seconds=5, body_timeout_seconds=5)
    runner = web.AppRunner(create_app(config), **runner_options(config))
    await runner.setup()
    try:
        port = free_port()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield Served("127.0.0.1", port, runner)
    finally:
        await runner.cleanup()
