"""Groups shared with partner servers: how fast a member's post reaches the group's other
member servers, how many writes the host's group inbox takes per second with their relay to
3 member servers, and how many group activities a member server's inbox applies per second,
each against raw Ed25519 verifications per second measured in the same run.

    python -m bench.shared_groups [--posts N] [--activities N] [--clients C]

Four real `feedserver serve` processes on 127.0.0.1: A hosts a group shared with B1, B2 and
B3 (partnered through the CLI with `--groups`, bob of each added by username@host as an owner
would). Every arrival is watched in the member servers' databases.
- Member fan-out: bob posts N times through B1's API, one after the other; B1 signs each and
  delivers it to A, which checks it, stores it and relays it to B1, B2 and B3. The time from
  B1's 202 to the post's arrival on B2 and B3 (p50/p99).
- Host fan-out: alice posts N times through A's API; the time from A's 201 to arrival on the
  three member servers, and the deliveries/s.
- Group inbox: this process signs N `Create`s of bob's posts as B1 (request signature and
  object proof, before timing) and posts them to A's inbox, C at a time: A's accepted
  writes/s, then the rate at which their relays arrived on all three member servers.
- Member inbox: N `Create`s of group posts signed as A, posted to B1's inbox, C at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import aiosqlite

from bench.federation import _cli, _serve, _wait_up, raw_verifications_per_second
from bench.report import machine, write_section
from feedserver.federation import httpsig
from feedserver.federation.digest import make_content_digest
from feedserver.federation.keys import load_private_key
from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.proofs import sign_object
from tests.loopback import free_port

PASSWORD = "correct horse battery"
GROUP = "bench-pros"


def _add_user(data: Path, port: int, username: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), "user", "add", username],
        input=PASSWORD + "\n", capture_output=True, text=True, check=True, timeout=120,
        env={"FEEDSERVER_PORT": str(port), "FEEDSERVER_SCRYPT_N": "1024",
             "PATH": "/usr/bin:/bin"},
    )  # fmt: skip


async def _partner_groups(a_data: Path, a_port: int, b_data: Path, b_port: int) -> None:
    code = _cli(a_data, a_port, "partner", "invite", "--groups").strip()
    server = _serve(b_data, b_port)
    try:
        await _wait_up(b_port)
        _cli(b_data, b_port, "partner", "accept", code)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def _api(session, method: str, url: str, token: str | None = None, body=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with session.request(method, url, json=body, headers=headers) as resp:
        doc = await resp.json(content_type=None)
        if resp.status >= 300:
            raise RuntimeError(f"{method} {url}: {resp.status} {doc}")
        return doc


async def _titles(db: Path) -> set[str]:
    """The titles of the posts a member server's copies hold as relayed by their host."""
    async with (
        aiosqlite.connect(db) as conn,
        conn.execute("SELECT title FROM cached_posts WHERE state = 'accepted'") as cur,
    ):
        return {row[0] for row in await cur.fetchall()}


async def fan_out(
    posts_url: str, token: str, dbs: list[Path], n: int, prefix: str
) -> tuple[list[float], float]:
    """(latencies in s of every post to every member server, deliveries/s)."""
    posted: dict[str, float] = {}
    arrived: dict[tuple[int, str], float] = {}
    done = asyncio.Event()

    async def watch() -> None:
        while len(arrived) < n * len(dbs):
            for i, db in enumerate(dbs):
                now = time.perf_counter()
                for title in await _titles(db):
                    if title in posted:
                        arrived.setdefault((i, title), now)
            await asyncio.sleep(0.01)
        done.set()

    watcher = asyncio.create_task(watch())
    start = time.perf_counter()
    async with aiohttp.ClientSession() as session:
        for k in range(n):
            title = f"{prefix} {k}"
            body = {"kind": "tip", "title": title, "body": "x", "tags": ["payroll"]}
            posted[title] = time.perf_counter()  # before the answer: the post may land first
            await _api(session, "POST", posts_url, token, body)
    await asyncio.wait_for(done.wait(), 600)
    await watcher
    latencies = sorted(arrived[(i, t)] - posted[t] for (i, t) in arrived)
    return latencies, len(arrived) / (max(arrived.values()) - start)


def _signed_creates(
    data: Path, base: str, group: str, url: str, n: int, author: str
) -> list[tuple[dict, bytes]]:
    """N `Create`s of tips by `author` of the server at `base` (its key from `data`), in
    `group`, signed for `url`: by the host as its own (`author` alice, actor the server) or
    by a member server as its member's (`author` bob, actor bob)."""
    (key_file,) = (data / "keys").glob("*.pem")
    key, key_id = load_private_key(key_file), f"{base}/actor#{key_file.stem}"
    writer = f"{base}/users/{author}"
    out = []
    for i in range(n):
        obj = {
            "@context": OBJECT_CONTEXT, "id": f"{base}/posts/inbox-bench-{i}", "type": "Note",
            "attributedTo": writer, "audience": group,
            "content": f"<p>Tip {i}</p>", "name": f"Tip {author} {i}", "feedserver:kind": "tip",
            "published": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z",
            "tag": [{"type": "Hashtag", "name": "#payroll"}],
            "source": {"content": f"Tip {i}", "mediaType": "text/markdown"},
        }  # fmt: skip
        activity = {
            "@context": OBJECT_CONTEXT, "id": f"{base}/activities/bench-{author}-{i}",
            "type": "Create", "actor": writer if author == "bob" else f"{base}/actor",
            "audience": group, "object": sign_object(obj, key, key_id),
        }  # fmt: skip
        body = json.dumps(activity).encode()
        headers = {"Content-Type": "application/activity+json",
                   "Content-Digest": make_content_digest(body)}  # fmt: skip
        headers.update(httpsig.sign_request("POST", url, headers, key, key_id))
        out.append((headers, body))
    return out


async def _count(db: Path, prefix: str) -> int:
    async with (
        aiosqlite.connect(db) as conn,
        conn.execute(
            "SELECT count(*) FROM cached_posts WHERE state = 'accepted' AND title LIKE ?",
            (prefix + "%",),
        ) as cur,
    ):
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def _copies_held(dbs: list[Path]) -> None:
    """Until every member server holds its copy of the group (its host sent it)."""
    deadline = time.perf_counter() + 120
    while time.perf_counter() < deadline:
        held = 0
        for db in dbs:
            async with (
                aiosqlite.connect(db) as conn,
                conn.execute("SELECT count(*) FROM cached_groups") as cur,
            ):
                row = await cur.fetchone()
            held += bool(row and row[0])
        if held == len(dbs):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("the member servers never received the group")


async def relayed_per_second(dbs: list[Path], prefix: str, n: int, start: float) -> float:
    """Relayed posts applied per second on all member servers, from `start` until each
    holds the `n` posts titled `prefix`..."""
    deadline = time.perf_counter() + 900
    while time.perf_counter() < deadline:
        counts = [await _count(db, prefix) for db in dbs]
        if min(counts) >= n:
            return n * len(dbs) / (time.perf_counter() - start)
        await asyncio.sleep(0.05)
    raise RuntimeError(f"relays did not arrive: {counts} of {n}")


async def inbox_per_second(requests: list[tuple[dict, bytes]], url: str, clients: int) -> float:
    pending = iter(requests)
    async with aiohttp.ClientSession() as session:

        async def client() -> None:
            for headers, body in pending:
                async with session.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 202, await resp.text()

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return len(requests) / (time.perf_counter() - start)


def _pct(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=100)
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=32)
    args = parser.parse_args()
    # One member posting N times in a row is what the write limit is for; here it is the
    # delivery that is measured.
    os.environ["FEEDSERVER_WRITE_BURST"] = "0"
    raw_count = 5000
    with tempfile.TemporaryDirectory() as tmp:
        names = ["a", "b1", "b2", "b3"]
        data = {n: Path(tmp) / n for n in names}
        port = {n: free_port() for n in names}
        url = {n: f"http://127.0.0.1:{port[n]}" for n in names}
        for n in names:
            _cli(data[n], port[n], "init")
        _add_user(data["a"], port["a"], "alice")
        for n in names[1:]:
            _add_user(data[n], port[n], "bob")
        servers = [_serve(data["a"], port["a"])]
        try:
            await _wait_up(port["a"])
            for n in names[1:]:
                await _partner_groups(data["a"], port["a"], data[n], port[n])
            for n in names[1:]:
                servers.append(_serve(data[n], port[n]))
                await _wait_up(port[n])
            hosts = [f"127.0.0.1:{port[n]}" for n in names[1:]]
            async with aiohttp.ClientSession() as session:
                login = await _api(session, "POST", f"{url['a']}/api/v1/sessions", None,
                                   {"username": "alice", "password": PASSWORD})  # fmt: skip
                token = login["token"]
                await _api(session, "POST", f"{url['a']}/api/v1/groups", token,
                           {"name": GROUP, "title": "Bench", "visibility": "partners",
                            "partners": hosts})  # fmt: skip
                for host in hosts:
                    await _api(session, "PUT",
                               f"{url['a']}/api/v1/groups/{GROUP}/members/bob@{host}", token,
                               {"role": "member"})  # fmt: skip
            dbs = [data[n] / "feedserver.sqlite3" for n in names[1:]]
            await _copies_held(dbs)
            address = f"{GROUP}@127.0.0.1:{port['a']}"
            async with aiohttp.ClientSession() as session:
                login = await _api(session, "POST", f"{url['b1']}/api/v1/sessions", None,
                                   {"username": "bob", "password": PASSWORD})  # fmt: skip
            member_latencies, _ = await fan_out(
                f"{url['b1']}/api/v1/groups/{address}/posts", login["token"], dbs[1:],
                args.posts, "member post",
            )  # fmt: skip
            latencies, rate = await fan_out(
                f"{url['a']}/api/v1/groups/{GROUP}/posts", token, dbs, args.posts, "host post"
            )
            group = f"{url['a']}/groups/{GROUP}"
            a_inbox = f"{url['a']}/inbox"
            writes = _signed_creates(data["b1"], url["b1"], group, a_inbox, args.activities, "bob")
            before = raw_verifications_per_second(raw_count)
            start = time.perf_counter()
            group_inbox = await inbox_per_second(writes, a_inbox, args.clients)
            relayed = await relayed_per_second(dbs, "Tip bob", args.activities, start)
            inbox_url = f"{url['b1']}/inbox"
            signed = _signed_creates(data["a"], url["a"], group, inbox_url, args.activities,
                                     "alice")  # fmt: skip
            await inbox_per_second(signed[:100], inbox_url, args.clients)  # warm-up
            inbox = await inbox_per_second(signed[100:], inbox_url, args.clients)
            raw = (before + raw_verifications_per_second(raw_count)) / 2
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=10)
    lines = [
        f"| bob's posts through B1's API, each relayed by A to B2 and B3 | {args.posts} |",
        f"| bob's post → arrival on B2 and B3, p50 / p99 (s) | {_pct(member_latencies, 0.5):.2f}"
        f" / {_pct(member_latencies, 0.99):.2f} |",
        f"| A's group inbox: bob's writes accepted/s ({args.clients} at once) |"
        f" {group_inbox:,.0f} |",
        f"| ratio group inbox / raw | {group_inbox / raw:.3f} |",
        f"| their relays applied on 3 member servers, per second (from the first write) |"
        f" {relayed:,.1f} |",
        f"| alice's posts through A's API, each to 3 member servers | {args.posts} |",
        f"| alice's post → arrival on a member server, p50 / p99 (s) | {_pct(latencies, 0.5):.2f}"
        f" / {_pct(latencies, 0.99):.2f} |",
        f"| deliveries applied on member servers, per second (fan-out to 3) | {rate:,.1f} |",
        f"| member server inbox, group `Create`s/s ({args.clients} at once, Python client) |"
        f" {inbox:,.0f} |",
        f"| raw Ed25519 verifications/s around it (one core) | {raw:,.0f} |",
        f"| ratio member inbox / raw | {inbox / raw:.3f} |",
    ]
    print("\n".join(lines))
    notes = (
        "\n\nA write from a member server costs the host two Ed25519 verifications (request,"
        " object proof), RFC 8785 canonicalization, HTML sanitizing and a durable write on"
        " SQLite's single writer that also queues its relay to every member server; the relay"
        " is one signed delivery per member server, each applied with two verifications more."
        " A post wakes the delivery worker of the server it was written on."
    )
    write_section(
        "Shared groups (bench/shared_groups.py)",
        f"{machine()}\n\n| measure | value |\n|---|---|\n" + "\n".join(lines) + notes,
    )


if __name__ == "__main__":
    asyncio.run(main())
