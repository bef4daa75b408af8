"""A crash loses no mail and sends each at most twice: the real server process is killed with
SIGKILL while a mail waits for the SMTP server, and again while it is being sent."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import PASSWORD
from tests.loopback import free_port
from tests.notifications.smtp import Mailbox

REPO = Path(__file__).resolve().parents[2]


def _cli(data: Path, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=300, check=True,
        env={**os.environ, "FEEDSERVER_SCRYPT_N": "1024"},
    )  # fmt: skip
    return result.stdout


async def _start(
    data: Path, port: int, smtp_port: int, mailbox: KillingMailbox | None = None
) -> subprocess.Popen[bytes]:
    """A server process, ready. `mailbox` learns it as its victim before it can send."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={
            **os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_WRITE_BURST": "0",
            "FEEDSERVER_SCRYPT_N": "1024", "FEEDSERVER_SMTP_HOST": "127.0.0.1",
            "FEEDSERVER_SMTP_PORT": str(smtp_port), "FEEDSERVER_SMTP_STARTTLS": "false",
            "FEEDSERVER_MAIL_BACKOFF_SECONDS": "1", "FEEDSERVER_MAIL_LEASE_SECONDS": "2",
        },
    )  # fmt: skip
    if mailbox is not None:
        mailbox.victim = proc  # a queued mail may leave the moment the server is up
    deadline = asyncio.get_running_loop().time() + 180  # a loaded CI machine starts slowly
    async with aiohttp.ClientSession() as session:
        while asyncio.get_running_loop().time() < deadline:
            if proc.poll() is not None and mailbox is not None:
                return proc  # killed by the mailbox while sending, before it was ready
            try:
                async with session.get(f"http://127.0.0.1:{port}/livez") as resp:
                    if resp.status == 200:
                        return proc
            except aiohttp.ClientError:
                pass  # not listening yet
            await asyncio.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=60)


class KillingMailbox(Mailbox):
    """Kills the server the moment its first mail's data arrives, before answering 250:
    the mail reached the server, but the sender never learns it."""

    victim: subprocess.Popen[bytes] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if self.victim is not None:
            _kill(self.victim)
            self.victim = None
        return answer


async def test_sigkill_loses_no_mail_and_sends_each_at_most_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli(data, "user", "add", "admin", "--admin", stdin=f"{PASSWORD}\n")
    admin_token = _cli(data, "token", "create", "admin").strip()
    port, mailbox = free_port(), KillingMailbox()
    base = f"http://127.0.0.1:{port}/api/v1"

    proc = await _start(data, port, mailbox.port)  # the SMTP server is down
    try:
        async with aiohttp.ClientSession() as session:

            async def call(token: str, method: str, path: str, body: Any = None) -> Any:
                headers = {"Authorization": f"Bearer {token}"}
                async with session.request(method, base + path, json=body,
                                           headers=headers) as resp:  # fmt: skip
                    assert resp.status < 300, await resp.text()
                    return await resp.json() if resp.status != 204 else None

            tokens = {}
            for name in ("bob", "alice"):
                await call(admin_token, "POST", "/members", {
                    "username": name, "password": PASSWORD, "email": f"{name}@example.test",
                })  # fmt: skip
                async with session.post(
                    f"{base}/sessions", json={"username": name, "password": PASSWORD}
                ) as resp:
                    tokens[name] = (await resp.json())["token"]  # fmt: skip
            await call(tokens["bob"], "POST", "/groups", {"name": "team", "title": "Team"})
            await call(tokens["bob"], "PUT", "/groups/team/members/alice", {})
            question = await call(tokens["bob"], "POST", "/groups/team/posts", {
                "kind": "question", "title": "VPN?", "body": "How?", "tags": [],
            })  # fmt: skip
            await call(tokens["alice"], "POST", f"/posts/{question['id']}/replies",
                       {"body": "Read the wiki."})  # fmt: skip
            # The mail is queued and failing: the sender has tried the SMTP server.
            async with asyncio.timeout(120):
                while True:
                    found = await call(admin_token, "GET", "/admin/mail-outbox")
                    if found["items"] and found["items"][0]["attempts"] >= 1:
                        break
                    await asyncio.sleep(0.1)

        _kill(proc)  # crash 1: the mail waits in the outbox
        await mailbox.start()
        proc = await _start(data, port, mailbox.port, mailbox)  # crash 2: while it is sent
        await mailbox.wait_for(1, timeout=120)
        assert proc.wait(timeout=60) == -signal.SIGKILL

        proc = await _start(data, port, mailbox.port)
        async with aiohttp.ClientSession() as session:
            headers = {"Authorization": f"Bearer {admin_token}"}
            async with asyncio.timeout(120):
                while True:
                    async with session.get(f"{base}/admin/mail-outbox", headers=headers) as r:
                        items = (await r.json())["items"]
                    if [i["state"] for i in items] == ["sent"]:
                        break
                    await asyncio.sleep(0.1)
        ids = [m.message["Message-ID"] for m in mailbox.received]
        assert len(set(ids)) == 1  # one mail, never lost
        assert len(ids) == 2  # sent again once: the crash came before it was marked sent
        assert mailbox.to("bob@example.test") == mailbox.received
    finally:
        _kill(proc)
        await mailbox.stop()
