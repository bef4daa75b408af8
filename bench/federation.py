"""Federation throughput: verified inbox deliveries/s against raw Ed25519 verifications/s
measured in the same run, and how fast the delivery queue drains to a loopback partner.

    python -m bench.federation [--activities N] [--clients C]

Two real `feedserver serve` processes on 127.0.0.1 (A and B, partnered through the CLI as an
operator would), default durability (WAL, synchronous=FULL). Inbox: this process signs N
profile Updates as A (RFC 9421 request signature + FEP-8b32 proof, made before timing) and
posts them to B's inbox; every one costs B two Ed25519 verifications, a digest, the replay
cache and a committed transaction. Queue: A is stopped, N deliveries are queued in its
database, A is started and the time until its queue is empty is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import aiosqlite

from bench.api import REPO, _free_port
from bench.report import machine, write_section
from feedserver.federation import httpsig
from feedserver.federation.digest import make_content_digest
from feedserver.federation.keys import generate_private_key, load_private_key
from feedserver.federation.proofs import sign_object

CONTEXT = ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/data-integrity/v2"]


def raw_verifications_per_second(count: int) -> float:
    key = generate_private_key()
    public = key.public_key()
    messages = [f"message {n}".encode() for n in range(count)]
    signatures = [key.sign(m) for m in messages]
    start = time.perf_counter()
    for message, signature in zip(messages, signatures, strict=True):
        public.verify(signature, message)
    return count / (time.perf_counter() - start)


def _cli(data: Path, port: int, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        capture_output=True, text=True, cwd=REPO, check=True, timeout=120,
        env={**os.environ, "FEEDSERVER_PORT": str(port), "FEEDSERVER_SCRYPT_N": "1024"},
    ).stdout  # fmt: skip


def _serve(data: Path, port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "FEEDSERVER_LOG_LEVEL": "WARNING", "FEEDSERVER_SCRYPT_N": "1024"},
    )  # fmt: skip


async def _wait_up(port: int) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(400):
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz"):
                    return
            except aiohttp.ClientError:
                await asyncio.sleep(0.05)
    raise RuntimeError(f"server on {port} did not start")


def _activity(base: str, key, key_id: str, n: int) -> dict:
    profile = {
        "@context": CONTEXT, "id": f"{base}/users/u{n}/profile", "type": "Profile",
        "describes": f"{base}/users/u{n}", "name": f"Person {n}", "summary": "payroll",
        "tag": [{"type": "Hashtag", "name": "#payroll"}],
        "feedserver:evidence": {"accepted_answers": n % 7},
    }  # fmt: skip
    return {
        "@context": CONTEXT, "id": f"{base}/activities/bench-{n}", "type": "Update",
        "actor": f"{base}/actor", "object": sign_object(profile, key, key_id),
    }  # fmt: skip


_WRK_SCRIPT = """
-- Each pre-signed request is sent exactly once (the inbox refuses a replay); the thread
-- stops after the first N answers (a few more were signed for requests already in flight).
local requests, sent, done = {}, 0, 0
function setup(thread) thread:set("count", COUNT) end
function init(args)
  for line in io.lines(args[1]) do
    local input, sig, digest, body = line:match("([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)")
    requests[#requests + 1] = {input = input, sig = sig, digest = digest, body = body}
  end
end
function request()
  sent = sent + 1
  local r = requests[sent]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/activity+json", ["Content-Digest"] = r.digest,
    ["Signature-Input"] = r.input, ["Signature"] = r.sig}, r.body)
end
function response(status, headers, body)
  done = done + 1
  if status ~= 202 then io.stderr:write("status " .. status .. "\\n") end
  if done >= tonumber(wrk.thread:get("count")) then wrk.thread:stop() end
end
"""


def _signed_requests(
    a_data: Path, a_base: str, url: str, n: int, start: int = 0
) -> list[tuple[dict, bytes]]:
    (key_file,) = (a_data / "keys").glob("*.pem")
    key, key_id = load_private_key(key_file), f"{a_base}/actor#{key_file.stem}"
    requests = []
    for i in range(start, start + n):  # signed before timing: the sender's cost is not measured
        body = json.dumps(_activity(a_base, key, key_id, i)).encode()
        headers = {"Content-Type": "application/activity+json",
                   "Content-Digest": make_content_digest(body)}  # fmt: skip
        headers.update(httpsig.sign_request("POST", url, headers, key, key_id))
        requests.append((headers, body))
    return requests


def inbox_per_second_wrk(requests: list[tuple[dict, bytes]], url: str, clients: int) -> float:
    """The same deliveries sent by wrk (C, its own process): the Python client tops out
    before the server does on a 2-core machine."""
    with tempfile.TemporaryDirectory() as tmp:
        data, script = Path(tmp) / "requests.tsv", Path(tmp) / "inbox.lua"
        lines = [
            "\t".join((h["Signature-Input"], h["Signature"], h["Content-Digest"], b.decode()))
            for h, b in requests
        ]
        data.write_text("\n".join(lines) + "\n")
        script.write_text(_WRK_SCRIPT.replace("COUNT", str(len(requests) - clients)))
        args = ["wrk", "-t1", f"-c{clients}", "-d60s", "-s", str(script), url, "--", str(data)]
        out = subprocess.run(args, capture_output=True, text=True, check=True)
    if "status" in out.stderr or "Non-2xx" in out.stdout:
        raise RuntimeError(f"inbox refused deliveries:\n{out.stdout}\n{out.stderr[:2000]}")
    # wrk's own duration counts until -d runs out; its per-thread rate does not (one thread).
    rate = re.search(r"Req/Sec\s+([\d.]+)(k?)", out.stdout)
    return float(rate.group(1)) * (1000 if rate.group(2) == "k" else 1)


async def inbox_per_second(a_data: Path, a_base: str, b_port: int, n: int, clients: int) -> float:
    url = f"http://127.0.0.1:{b_port}/inbox"
    pending = iter(_signed_requests(a_data, a_base, url, n))
    async with aiohttp.ClientSession() as session:

        async def client() -> None:
            for headers, body in pending:
                async with session.post(url, data=body, headers=headers) as resp:
                    assert resp.status == 202, await resp.text()

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        return n / (time.perf_counter() - start)


async def queue_drain_per_second(a_data: Path, a_port: int, a_base: str, b_host: str,
                                 n: int) -> float:  # fmt: skip
    (key_file,) = (a_data / "keys").glob("*.pem")
    key, key_id = load_private_key(key_file), f"{a_base}/actor#{key_file.stem}"
    db = a_data / "feedserver.sqlite3"
    async with aiosqlite.connect(db, isolation_level=None) as conn:
        await conn.execute("BEGIN IMMEDIATE")
        for i in range(n):
            body = json.dumps(_activity(a_base, key, key_id, 100_000 + i))
            stamp = "2026-01-01T00:00:00.000000Z"
            await conn.execute(
                "INSERT INTO deliveries (id, host, activity_id, body, created_at, next_attempt_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (f"bench{i:021d}", b_host, f"{a_base}/activities/q{i}", body, stamp, stamp),
            )
        await conn.execute("COMMIT")
    server = _serve(a_data, a_port)
    start = time.perf_counter()
    try:
        async with aiosqlite.connect(db, isolation_level=None) as conn:
            while True:
                async with conn.execute("SELECT count(*) FROM deliveries") as cur:
                    left = (await cur.fetchone())[0]
                if left == 0:
                    return n / (time.perf_counter() - start)
                if time.perf_counter() - start > 300:
                    raise RuntimeError(f"queue did not drain: {left} left")
                await asyncio.sleep(0.02)
    finally:
        server.terminate()
        server.wait(timeout=10)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    raw = raw_verifications_per_second(max(args.activities, 5000))
    with tempfile.TemporaryDirectory() as tmp:
        a_data, b_data = Path(tmp) / "a", Path(tmp) / "b"
        a_port, b_port = _free_port(), _free_port()
        a_base = f"http://127.0.0.1:{a_port}"
        _cli(a_data, a_port, "init")
        _cli(b_data, b_port, "init")
        b = _serve(b_data, b_port)
        try:
            await _wait_up(b_port)
            code = _cli(b_data, b_port, "partner", "invite", "--profiles").strip()
            _cli(a_data, a_port, "partner", "accept", code)
            inbox = await inbox_per_second(a_data, a_base, b_port, args.activities, args.clients)
            inbox_wrk = None
            if shutil.which("wrk"):
                url = f"http://127.0.0.1:{b_port}/inbox"
                signed = _signed_requests(
                    a_data, a_base, url, args.activities + args.clients, args.activities
                )
                inbox_wrk = inbox_per_second_wrk(signed, url, args.clients)
            drain = await queue_drain_per_second(
                a_data, a_port, a_base, f"127.0.0.1:{b_port}", args.activities
            )
        finally:
            b.terminate()
            b.wait(timeout=10)
    lines = [
        f"| raw Ed25519 verifications/s (cryptography, one core) | {raw:,.0f} |",
        f"| verified inbox deliveries/s, {args.clients} clients (2 verifications each)"
        f" | {inbox:,.0f} |",
        f"| ratio inbox / raw (target ≥ 0.25) | {inbox / raw:.3f} |",
    ]
    if inbox_wrk is not None:
        lines += [
            f"| the same, load from wrk (C, own process), {args.clients} connections"
            f" | {inbox_wrk:,.0f} |",
            f"| ratio inbox (wrk) / raw (target ≥ 0.25) | {inbox_wrk / raw:.3f} |",
        ]
    lines += [
        f"| queue drain to a loopback partner, deliveries/s | {drain:,.0f} |",
    ]
    print("\n".join(lines))
    verdict = "met" if inbox / raw >= 0.25 else "not met"
    notes = (
        f"\n\nTarget inbox/raw ≥ 0.25: {verdict}. Each accepted delivery is one HTTP request,"
        " two Ed25519 verifications (request signature and object proof), RFC 8785"
        " canonicalization and a durable write (replay cache, activity id, profile) on SQLite's"
        " single writer with synchronous=FULL. Since issue 5's first figures (470/s, 0.051):"
        " pinned partner keys come from an in-memory cache (confirmed inside the write by a"
        " conditional replay-cache insert, so nothing is weakened), the signature headers are"
        " parsed once, and concurrent deliveries are group-committed: one BEGIN/COMMIT (one"
        " fsync) per group, each delivery in its own SAVEPOINT, the whole group in one hop to"
        " the writer's thread. Profiling before that change showed the event loop idle half the"
        " time waiting for the writer (thread hops per statement under a busy loop, one fsync"
        " per delivery). What is left is Python: aiohttp request handling, JSON, RFC 8785 and"
        " RFC 8941 parsing, on one core shared with the load generator (2 CPUs in all). Where wrk"
        " is installed the same deliveries are also sent by wrk from its own process: the rate"
        " matches the Python client's and does not grow from 8 to 32 connections, so the server,"
        " not the load generator, is the limit."
        " The queue drains one delivery at a time per partner (order is kept) and commits each"
        " outcome."
    )
    write_section(
        "Federation (bench/federation.py)",
        f"{machine()}, {args.activities} activities\n\n| measure | value |\n|---|---|\n"
        + "\n".join(lines)
        + notes,
    )


if __name__ == "__main__":
    asyncio.run(main())
