"""Posting through the API with notifications and mail on, against the same with them off,
in one run.

    python -m bench.notifications [--posts N] [--clients C] [--smtp-delay-ms D]

Both runs start the real `feedserver serve` in its own process and post answers to one
question through POST /api/v1/posts/{id}/replies.
- off: no smtp_host, and the asker answers their own question: the notification subscriber
  runs for every post but notifies nobody (what every server pays when nobody is involved).
- on: smtp_host points at an SMTP server (aiosmtpd, bench/smtp_sink.py) in a process of its
  own that takes
  --smtp-delay-ms to accept each mail; another member answers, so every post writes the
  asker's notification and an outbox row, a watcher of the group gets one more, and the
  sender mails every answer (immediately mode).
The post's latency must not include the SMTP conversation: p50/p99 are printed for both runs,
with the time the sender then needed to drain the outbox.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from bench.report import machine, write_section
from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[1]
PASSWORD = "benchmark password"
BODY = "Check the **payroll calendar**, then file the late-pay form.\n\n" * 3


class SlowMailbox:
    """bench/smtp_sink.py in its own process; counts the mails it reports."""

    def __init__(self) -> None:
        self.count = 0
        self.proc: asyncio.subprocess.Process | None = None
        self.reader: asyncio.Task[None] | None = None

    async def start(self, port: int, delay_ms: int) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.smtp_sink", "--port", str(port),
            "--delay-ms", str(delay_ms), cwd=REPO, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert self.proc.stdout is not None
        assert await self.proc.stdout.readline() == b"ready\n"
        self.reader = asyncio.create_task(self._count())

    async def _count(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        while await self.proc.stdout.readline():
            self.count += 1

    async def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            await self.proc.wait()
        if self.reader is not None:
            await self.reader


def _cli(data: Path, *args: str, stdin: str | None = None) -> str:
    return subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, check=True,
    ).stdout  # fmt: skip


async def _login(session: aiohttp.ClientSession, base: str, name: str) -> dict[str, str]:
    async with session.post(f"{base}/sessions", json={"username": name, "password": PASSWORD}) as r:
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def run(data: Path, count: int, clients: int, smtp_port: int | None,
              mailbox: SlowMailbox | None) -> dict[str, float]:  # fmt: skip
    _cli(data, "user", "add", "admin", "--admin", stdin=f"{PASSWORD}\n")
    admin = {"Authorization": f"Bearer {_cli(data, 'token', 'create', 'admin').strip()}"}
    port = free_port()
    env = {**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_WRITE_BURST": "0"}
    if smtp_port is not None:
        env |= {"FEEDSERVER_SMTP_HOST": "127.0.0.1", "FEEDSERVER_SMTP_PORT": str(smtp_port),
                "FEEDSERVER_SMTP_STARTTLS": "false"}  # fmt: skip
    server = subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(400):
                try:
                    async with session.get(f"http://127.0.0.1:{port}/livez"):
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            for name in ("asker", "answerer", "watcher"):
                member = {"username": name, "password": PASSWORD, "email": f"{name}@bench.test"}
                async with session.post(f"{base}/members", json=member, headers=admin) as r:
                    assert r.status == 201, await r.text()
            asker = await _login(session, base, "asker")
            answerer = await _login(session, base, "answerer") if mailbox else asker
            watcher = await _login(session, base, "watcher")
            async with session.post(f"{base}/groups", json={"name": "pay", "title": "Pay"},
                                    headers=asker) as r:  # fmt: skip
                assert r.status == 201
            for name in ("answerer", "watcher"):
                async with session.put(f"{base}/groups/pay/members/{name}", json={},
                                       headers=asker) as r:  # fmt: skip
                    assert r.status == 200
            if mailbox:
                async with session.put(f"{base}/me/notification-settings", headers=watcher,
                                       json={"levels": {"pay": "watching"}}) as r:  # fmt: skip
                    assert r.status == 200
            question = {"kind": "question", "title": "Late pay?", "body": "How?", "tags": []}
            async with session.post(f"{base}/groups/pay/posts", json=question,
                                    headers=asker) as r:  # fmt: skip
                qid = (await r.json())["id"]
            latencies: list[float] = []
            remaining = iter(range(count))

            async def client() -> None:
                for _ in remaining:
                    began = time.perf_counter()
                    async with session.post(f"{base}/posts/{qid}/replies", json={"body": BODY},
                                            headers=answerer) as r:  # fmt: skip
                        assert r.status == 201, await r.text()
                    latencies.append(time.perf_counter() - began)

            start = time.perf_counter()
            await asyncio.gather(*(client() for _ in range(clients)))
            elapsed = time.perf_counter() - start
            sent_during = mailbox.count if mailbox else 0
            drained = 0.0
            if mailbox:
                while mailbox.count < count:
                    await asyncio.sleep(0.05)
                drained = time.perf_counter() - start - elapsed
        latencies.sort()
        return {
            "rate": count / elapsed,
            "p50": statistics.median(latencies) * 1000,
            "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "sent_during": sent_during,
            "drain": drained,
        }
    finally:
        server.terminate()
        server.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=600)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--smtp-delay-ms", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="off/on pairs, interleaved")
    args = parser.parse_args()
    mailbox = SlowMailbox()
    smtp_port = free_port()
    await mailbox.start(smtp_port, args.smtp_delay_ms)
    try:
        offs, ons = [], []
        # Interleaved rounds, so a load that comes and goes on a shared machine falls on both.
        for n in range(args.rounds):
            with tempfile.TemporaryDirectory() as tmp:
                offs.append(await run(Path(tmp) / "off", args.posts, args.clients, None, None))
                mailbox.count = 0
                ons.append(
                    await run(Path(tmp) / "on", args.posts, args.clients, smtp_port, mailbox)
                )
            print(f"round {n + 1}: off {offs[-1]['rate']:.0f}/s, on {ons[-1]['rate']:.0f}/s")
    finally:
        await mailbox.stop()
    off = {k: statistics.median(r[k] for r in offs) for k in offs[0]}
    on = {k: statistics.median(r[k] for r in ons) for k in ons[0]}
    rounds = ", ".join(f"{a['rate']:.0f}/{b['rate']:.0f}" for a, b in zip(offs, ons, strict=True))
    lines = [
        f"| posts/s, notifications and mail off | {off['rate']:,.0f} |",
        f"| posts/s, notifications and mail on | {on['rate']:,.0f} |",
        f"| ratio on / off (medians of {args.rounds} interleaved rounds) |"
        f" {on['rate'] / off['rate']:.2f} |",
        f"| each round, posts/s off/on | {rounds} |",
        f"| post latency p50 / p99, off (ms) | {off['p50']:.1f} / {off['p99']:.1f} |",
        f"| post latency p50 / p99, on (ms) | {on['p50']:.1f} / {on['p99']:.1f} |",
        f"| SMTP server's time per mail (ms) | {args.smtp_delay_ms} |",
        f"| mails sent while posting / after, to drain (s) | {on['sent_during']:.0f} of"
        f" {args.posts} / {on['drain']:.1f} |",
    ]
    print("\n".join(lines))
    write_section(
        "Posting with notifications and mail on and off (bench/notifications.py)",
        f"{machine()}, {args.posts} answers, {args.clients} clients, medians of"
        f" {args.rounds} interleaved rounds; on: every post notifies"
        " the asker (mailed at once) and a watcher\n\n| measure | value |\n|---|---|\n"
        + "\n".join(lines),
    )


if __name__ == "__main__":
    asyncio.run(main())
