"""Slow and vanishing clients, against the app served with `feedserver serve`'s options."""

from __future__ import annotations

import asyncio
import logging
import resource
from collections.abc import Iterator

import aiohttp
import pytest

from tests.hardening.conftest import Served

SLOW_CLIENTS = 1000


@pytest.fixture
def descriptors() -> Iterator[None]:
    """Each slow client is two descriptors here (its socket and the server's)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * SLOW_CLIENTS + 500
    if hard != resource.RLIM_INFINITY and hard < need:
        pytest.skip(f"the descriptor limit ({hard}) is below the {need} this test needs")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, need), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


async def _wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def _closed_by_server(reader: asyncio.StreamReader) -> bool:
    try:
        while await reader.read(4096):
            pass  # a 408 may come first
    except ConnectionError:
        pass
    return True


async def test_a_request_is_served_while_slow_clients_hold_connections(
    served: Served, descriptors: None
) -> None:
    host, port = served.host, served.port
    connections: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    try:
        for n in range(SLOW_CLIENTS):
            reader, writer = await asyncio.open_connection(host, port)
            if n % 2:  # half stop in the middle of their headers...
                writer.write(b"GET /api/v1/groups HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            else:  # ...half in the middle of a body
                writer.write(
                    b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
                    b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"user'
                )
            connections.append((reader, writer))
        started = asyncio.get_running_loop().time()
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"http://{host}:{port}/healthz") as resp,
        ):
            assert resp.status == 200
        assert asyncio.get_running_loop().time() - started < 5  # before any slow one expired
        # The server lets go of every slow client: headers and bodies have deadlines (5 s,
        # then up to aiohttp's 10 s of lingering for the 408's unread body).
        closing = [asyncio.create_task(_closed_by_server(r)) for r, _ in connections]
        done, pending = await asyncio.wait(closing, timeout=60)
        for task in pending:
            task.cancel()
        assert not pending, f"{len(pending)} slow clients still held after 60 s"
    finally:
        for _, writer in connections:
            writer.close()
        await asyncio.gather(*(w.wait_closed() for _, w in connections), return_exceptions=True)


async def test_a_late_body_is_a_408(served: Served) -> None:
    reader, writer = await asyncio.open_connection(served.host, served.port)
    try:
        writer.write(
            b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
        )
        status_line = await asyncio.wait_for(reader.readline(), 30)
        assert status_line.startswith(b"HTTP/1.1 408"), status_line
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
        assert b"application/problem+json" in head
    finally:
        writer.close()
        await writer.wait_closed()


async def test_a_client_gone_mid_body_is_not_a_server_error(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reader, writer = await asyncio.open_connection(served.host, served.port)
    writer.write(
        b"POST /api/v1/sessions HTTP/1.1\r\nHost: x\r\n"
        b'Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"username": '
    )
    await writer.drain()
    server = served.runner.server
    assert server is not None
    await _wait_for(lambda: server.requests_count > 0, 30, "the server to start on it")
    writer.close()
    await writer.wait_closed()

    def logged() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "feedserver.access"]

    await _wait_for(lambda: logged(), 30, "the access log line")
    assert " 499 " in logged()[0].getMessage(), logged()[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
