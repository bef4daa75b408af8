"""`log_format = "json"` on the real server process: every line on stderr is one JSON object;
a request's lines carry the request id it was answered with (X-Request-Id); no token (bearer,
feed URL, invitation link) ever appears, whatever was requested."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
from yarl import URL

from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[1]


def _cli(data: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=60, check=True,
        env={**os.environ, "FEEDSERVER_SCRYPT_N": "1024"},
    ).stdout  # fmt: skip


async def _wait_until_up(session: aiohttp.ClientSession, base: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while loop.time() < deadline:
        try:
            async with session.get(f"{base}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            await asyncio.sleep(0.05)
    raise AssertionError("the server did not start")


async def test_json_lines_with_request_id_and_no_token(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli(data, "user", "add", "root", "--admin", stdin="a long enough password\n")
    token = _cli(data, "token", "create", "root").strip()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_file = tmp_path / "stderr.log"
    with open(log_file, "wb") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port",
             str(port)],
            cwd=REPO, stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "FEEDSERVER_LOG_FORMAT": "json", "FEEDSERVER_LOG_LEVEL": "INFO"},
        )  # fmt: skip
        try:
            headers = {"Authorization": f"Bearer {token}"}
            async with aiohttp.ClientSession(headers=headers) as session:
                await _wait_until_up(session, base)
                group = {"name": "logs", "title": "Logs"}
                async with session.post(f"{base}/api/v1/groups", json=group) as resp:
                    assert resp.status == 201
                async with session.get(f"{base}/api/v1/me/feeds") as resp:
                    feed = URL((await resp.json())["home"])
                async with session.get(f"{base}{feed.path_qs}") as resp:
                    assert resp.status == 200
                    feed_request = resp.headers["X-Request-Id"]
                async with session.post(f"{base}/api/v1/invitations", json={}) as resp:
                    invite = (await resp.json())["url"]
                async with session.get(f"{base}{URL(invite).path}") as resp:
                    assert resp.status == 200
                wrong = {"Authorization": "Bearer wrong-token-xyz"}
                async with session.get(f"{base}/api/v1/me", headers=wrong) as resp:
                    assert resp.status == 401
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    text = log_file.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines and all({"time", "level", "logger", "message"} <= set(d) for d in lines)
    (feed_line,) = [d for d in lines if d.get("request_id") == feed_request]
    assert feed_line["route"] == "/feeds/home.atom" and feed_line["status"] == 200
    for secret in (token, feed.query["token"], URL(invite).path.rsplit("/", 1)[1],
                   "wrong-token-xyz"):  # fmt: skip
        assert secret not in text
