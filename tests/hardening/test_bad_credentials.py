"""Credentials that are not even text: a stray byte in a bearer token or in the session
cookie means "not signed in", never a 500, and the login page still shows."""

from __future__ import annotations

import asyncio
import logging

import pytest

from tests.conftest import Api
from tests.hardening.conftest import Served

BAD_BYTES = [b"\xff\xfe", b"abc\xc3(", b"\x80" * 43, b"\xe2\x82"]


async def _raw_get(served: Served, path: str, header: bytes) -> tuple[int, bytes, bytes]:
    """Sent by hand: HTTP clients refuse to put such bytes in a header, browsers and scripts
    do not."""
    reader, writer = await asyncio.open_connection(served.host, served.port)
    try:
        writer.write(
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n"
            + header + b"\r\nConnection: close\r\n\r\n"
        )  # fmt: skip
        response = await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = response.partition(b"\r\n\r\n")
    return int(head.split()[1]), head, body


@pytest.mark.parametrize("raw", BAD_BYTES)
async def test_a_non_utf8_bearer_token_is_a_401(
    served: Served, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for path in ("/api/v1/me", "/api/v1/groups"):
        status, head, body = await _raw_get(served, path, b"Authorization: Bearer " + raw)
        assert status == 401, (path, head, body)
        assert b"application/problem+json" in head and b"/problems/unauthorized" in body
    assert not caplog.records, caplog.text


@pytest.mark.parametrize("raw", BAD_BYTES)
async def test_a_non_utf8_session_cookie_still_reaches_the_login_page(
    served: Served, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    cookie = b"Cookie: fs_session=" + raw
    status, head, body = await _raw_get(served, "/login", cookie)
    assert status == 200, (head, body)
    assert b'name="password"' in body  # the normal login form, not an error page
    status, head, _ = await _raw_get(served, "/", cookie)  # a page that needs a member
    assert status in (200, 303), head  # the anonymous home page or the way to /login
    status, head, body = await _raw_get(served, "/no-such-page", cookie)
    assert status == 404 and b"text/html" in head  # the error page renders too
    assert not caplog.records, caplog.text


async def test_a_good_token_still_works(admin: Api) -> None:
    assert (await admin.get("/api/v1/me"))[0] == 200


@pytest.mark.parametrize("raw", [b"%FF%FE", b"%C3%28", b"%80" * 43])
async def test_a_non_utf8_feed_token_is_refused(
    served: Served, raw: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    reader, writer = await asyncio.open_connection(served.host, served.port)
    try:
        writer.write(b"GET /feeds/home.atom?token=" + raw + b" HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n")  # fmt: skip
        status_line = await asyncio.wait_for(reader.readline(), 30)
        await reader.read()
    finally:
        writer.close()
        await writer.wait_closed()
    assert int(status_line.split()[1]) in (400, 401, 403, 404), status_line
    assert not caplog.records, caplog.text


async def test_a_non_utf8_request_line_is_one_log_line(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    reader, writer = await asyncio.open_connection(served.host, served.port)
    try:
        writer.write(b"GET /feeds/home.atom?token=s3cret\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n")
        status_line = await asyncio.wait_for(reader.readline(), 30)
    finally:
        writer.close()
        await writer.wait_closed()
    assert status_line.split()[1] == b"400", status_line
    server = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert len(server) == 1 and server[0].levelno == logging.INFO, caplog.text
    assert server[0].exc_info is None and "Traceback" not in caplog.text
    assert "s3cret" not in caplog.text, caplog.text
