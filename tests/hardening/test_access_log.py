"""Secrets and personal words that travel in URLs (feed tokens, invitation secrets, search
words, an address being confirmed) never reach an access log: ours, or nginx's with the sample
configuration in deploy/."""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
import subprocess
from pathlib import Path

import aiohttp
import pytest

from tests.hardening.conftest import Served
from tests.loopback import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cretT0kenValue"
# (path, Referer): a feed poll, an invitation link, and a page reached from either.
REQUESTS = [
    (f"/feeds/home.atom?token={SECRET}", "-"),
    (f"/feeds/groups/ops.atom?format=x&token={SECRET}&page=2", "-"),
    (f"/join/{SECRET}", f"https://learn.example.org/join/{SECRET}?from=mail"),
    ("/login", f"https://learn.example.org/feeds/home.atom?TOKEN={SECRET}"),
    (f"/search?q={SECRET}&cursor=20", f"https://learn.example.org/search?q={SECRET}"),
    (f"/mail/confirm?email={SECRET}%40example.org&token={SECRET}", "-"),
]
# Our access line (http/observe.py): method, redacted path and query, status.
EXPECTED_OURS = [
    "GET /feeds/home.atom?token=[redacted] ",
    "GET /feeds/groups/ops.atom?format=x&token=[redacted]&page=2 ",
    "GET /join/[redacted] ",
    "GET /login ",
    "GET /search?q=[redacted]&cursor=20 ",
    "GET /mail/confirm?email=[redacted]&token=[redacted] ",
]
# nginx's, with the sample's `feedserver` format: the request line and the Referer.
EXPECTED = [
    '"GET /feeds/home.atom?token=[redacted] HTTP/1.1"',
    '"GET /feeds/groups/ops.atom?format=x&token=[redacted]&page=2 HTTP/1.1"',
    '"GET /join/[redacted] HTTP/1.1"',
    '"https://learn.example.org/join/[redacted]?from=mail"',
    '"https://learn.example.org/feeds/home.atom?TOKEN=[redacted]"',
    '"GET /search?q=[redacted]&cursor=20 HTTP/1.1"',
    '"https://learn.example.org/search?q=[redacted]"',
    '"GET /mail/confirm?email=[redacted]&token=[redacted] HTTP/1.1"',
]


async def _send_all(base: str) -> None:
    async with aiohttp.ClientSession() as session:
        for path, referer in REQUESTS:
            headers = {} if referer == "-" else {"Referer": referer}
            async with session.get(base + path, headers=headers, allow_redirects=False) as resp:
                await resp.read()


def _check(log: str, expected: list[str] = EXPECTED) -> None:
    assert SECRET not in log, log
    for line in expected:
        assert line in log, (line, log)


async def test_our_access_log_redacts_feed_tokens_and_invitation_secrets(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="feedserver.access")
    await _send_all(f"http://{served.host}:{served.port}")
    access = [r.getMessage() for r in caplog.records if r.name == "feedserver.access"]
    assert len(access) == len(REQUESTS)
    # Nothing else logs a request line (aiohttp's own access log is off) or a secret.
    _check("\n".join(r.getMessage() for r in caplog.records), EXPECTED_OURS)


def _nginx_config(directory: Path, port: int) -> str:
    """deploy/nginx.conf's http-level part (maps, log format) and its access_log line,
    around a plain-HTTP loopback server that answers everything itself."""
    sample = (ROOT / "deploy" / "nginx.conf").read_text()
    first_server = re.search(r"^server \{", sample, re.MULTILINE)
    assert first_server, "deploy/nginx.conf has a server block"
    http_level = sample[: first_server.start()]
    found = re.search(r"^\s*access_log\s+\S+\s+(\w+);", sample, re.MULTILINE)
    assert found, "deploy/nginx.conf logs with a named (filtered) format"
    temp = " ".join(
        f"{kind}_temp_path {directory}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""
daemon off; master_process off; pid {directory}/nginx.pid; error_log {directory}/error.log;
events {{ worker_connections 64; }}
http {{
    {temp}
    {http_level}
    server {{
        listen 127.0.0.1:{port};
        access_log {directory}/access.log {found.group(1)};
        location / {{ return 204; }}
    }}
}}
"""


async def test_the_nginx_sample_logs_with_the_secrets_redacted(tmp_path: Path) -> None:
    nginx = shutil.which("nginx", path="/usr/sbin:/usr/bin:/sbin:/bin")
    if nginx is None:
        pytest.skip("nginx is not installed (.ci/run installs nginx-light)")
    port = free_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(_nginx_config(tmp_path, port))
    command = [nginx, "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "error.log")]
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    process = subprocess.Popen(command)
    try:
        deadline = asyncio.get_running_loop().time() + 30
        while True:
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                assert asyncio.get_running_loop().time() < deadline, "nginx did not start"
                await asyncio.sleep(0.05)
                continue
            writer.close()
            await writer.wait_closed()
            break
        await _send_all(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=30)
    _check((tmp_path / "access.log").read_text())
