"""`feedserver serve --workers N` as real processes: one data directory, one server (a second
is refused), N workers on one port that agree at once on everything they answer (API, feed
ETags, search, the login throttle), stopped together on SIGTERM, and stopped together when
one of them dies.

Which worker answered is told by the X-Request-Id prefix (one per process); a client pinned
to one worker is a session with a single keep-alive connection. Under `make test-postgres` the
servers run on a PostgreSQL database of their own (FEEDSERVER_DATABASE_URL), the deployment
that uses several workers by default.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
import pytest

from tests import pgtest
from tests.loopback import free_port

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "a long enough password"
ENV = {
    **os.environ, "FEEDSERVER_SCRYPT_N": "1024", "FEEDSERVER_WRITE_BURST": "0",
    "FEEDSERVER_SQLITE_SYNCHRONOUS": "NORMAL", "FEEDSERVER_LOGIN_MAX_FAILURES": "4",
}  # fmt: skip
DEADLINE = 60.0


@pytest.fixture(autouse=True)
def _engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The servers and CLI runs of one test share one database: SQLite in the data directory,
    or a new PostgreSQL database on the PostgreSQL run (dropped when the test ends)."""
    if pgtest.ON_POSTGRESQL:
        monkeypatch.setitem(ENV, "FEEDSERVER_DATABASE_URL", pgtest.database_url())


def _cli(data: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "feedserver", "--data", str(data), *args],
        input=stdin, capture_output=True, text=True, cwd=REPO, timeout=120, check=True, env=ENV,
    )  # fmt: skip
    return done.stdout


def _serve(data: Path, port: int, workers: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "feedserver", "--data", str(data), "serve", "--port", str(port),
         "--workers", str(workers)],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _gone(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # exited, not yet reaped by its parent


async def _wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _up(base: str, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + DEADLINE
    async with aiohttp.ClientSession() as session:
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                async with session.get(f"{base}/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("the server did not start")
            await asyncio.sleep(0.05)


@asynccontextmanager
async def _server(data: Path, workers: int = 2) -> AsyncIterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    proc = _serve(data, port, workers)
    try:
        base = f"http://127.0.0.1:{port}"
        await _up(base, proc)
        if workers > 1:  # one worker is the process itself
            await _wait_for(lambda: len(_children(proc.pid)) >= workers, "every worker")
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=DEADLINE)
        if proc.stderr:
            proc.stderr.close()


def _worker_of(resp: aiohttp.ClientResponse) -> str:
    return resp.headers["X-Request-Id"].rsplit("-", 1)[0]


async def _pinned_pair(base: str, token: str | None = None) -> list[aiohttp.ClientSession]:
    """Two sessions, each one keep-alive connection, answered by two different workers."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    found: dict[str, aiohttp.ClientSession] = {}
    deadline = time.monotonic() + DEADLINE
    while len(found) < 2:
        assert time.monotonic() < deadline, "new connections never reached a second worker"
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1), headers=headers)
        async with session.get(f"{base}/healthz") as resp:
            worker = _worker_of(resp)
        if worker in found:
            await session.close()
        else:
            found[worker] = session
    return list(found.values())


async def _feed(session: aiohttp.ClientSession, url: str, etag: str = "") -> tuple[int, str, str]:
    headers = {"If-None-Match": etag} if etag else {}
    async with session.get(url, headers=headers) as resp:
        return resp.status, resp.headers.get("ETag", ""), await resp.text()


async def test_a_write_through_one_worker_is_seen_through_the_other_at_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    _cli(data, "user", "add", "alice", stdin=f"{PASSWORD}\n")
    token = _cli(data, "token", "create", "alice").strip()
    async with _server(data) as (base, _):
        one, other = await _pinned_pair(base, token)
        try:
            api = f"{base}/api/v1"
            async with one.post(f"{api}/groups", json={"name": "payroll", "title": "P"}) as r:
                assert r.status == 201
            first = {"kind": "tip", "title": "Cut-off dates", "body": "Friday at noon."}
            async with one.post(f"{api}/groups/payroll/posts", json=first) as r:
                assert r.status == 201
            async with other.get(f"{api}/me/feeds") as r:
                feed = next(g["url"] for g in (await r.json())["groups"] if g["name"] == "payroll")
            status, etag, _ = await _feed(other, feed)
            assert status == 200
            assert await _feed(other, feed, etag) == (304, etag, "")  # remembered there now
            assert (await _feed(one, feed))[1] == etag

            second = {"kind": "tip", "title": "Overtime rules", "body": "Quokkas count twice."}
            async with one.post(f"{api}/groups/payroll/posts", json=second) as r:
                assert r.status == 201
                post_id = (await r.json())["id"]
            # At once, through the other worker: the post, the feed, the search.
            async with other.get(f"{api}/posts/{post_id}") as r:
                assert r.status == 200 and "Overtime rules" in await r.text()
            status, new_etag, body = await _feed(other, feed, etag)
            assert status == 200 and new_etag != etag and "Overtime rules" in body
            async with other.get(f"{api}/search", params={"q": "quokkas"}) as r:
                assert r.status == 200 and post_id in await r.text()
        finally:
            await one.close()
            await other.close()


async def test_the_core_flow_through_two_workers(tmp_path: Path) -> None:
    """A private group's question, answer and accept, each write through one worker and each
    read through the other, and a member outside the group who sees none of it anywhere."""
    data = tmp_path / "data"
    tokens = {}
    for name in ("alice", "bob", "carol"):
        _cli(data, "user", "add", name, stdin=f"{PASSWORD}\n")
        tokens[name] = _cli(data, "token", "create", name).strip()
    async with _server(data) as (base, _):
        pairs = {name: await _pinned_pair(base, token) for name, token in tokens.items()}
        try:
            api = f"{base}/api/v1"
            (alice, alice2), (bob, bob2), (carol, carol2) = pairs.values()
            group = {"name": "new-hires", "title": "New hires", "visibility": "private"}
            async with alice.post(f"{api}/groups", json=group) as r:
                assert r.status == 201
            async with alice2.put(f"{api}/groups/new-hires/members/bob", json={}) as r:
                assert r.status == 200
            ask = {"kind": "question", "title": "Late check?", "body": "Cutoff passed: quokka."}
            async with bob.post(f"{api}/groups/new-hires/posts", json=ask) as r:
                assert r.status == 201
                question = (await r.json())["id"]
            reply = {"body": "Form 7."}
            async with alice2.post(f"{api}/posts/{question}/replies", json=reply) as r:
                assert r.status == 201
                answer = (await r.json())["id"]
            async with bob2.post(f"{api}/posts/{answer}/accept") as r:
                assert r.status == 200
            async with bob.get(f"{api}/posts/{question}") as r:
                assert (await r.json())["post"]["accepted_answer_id"] == answer
            async with bob.get(f"{api}/me/feeds") as r:
                groups = (await r.json())["groups"]
            feed = next(g["url"] for g in groups if g["name"] == "new-hires")
            status, _, body = await _feed(bob2, feed)  # the accept shows there at once
            assert status == 200 and "Late check?" in body and 'label="Answered"' in body

            for session in (carol, carol2):
                for path in ("groups/new-hires", f"posts/{question}", f"posts/{answer}"):
                    async with session.get(f"{api}/{path}") as r:
                        assert r.status == 404 and "quokka" not in await r.text()
                async with session.get(f"{api}/search", params={"q": "quokka"}) as r:
                    assert r.status == 200 and (await r.json())["items"] == []
                async with session.get(f"{api}/me/feeds") as r:
                    assert "new-hires" not in await r.text()
                async with session.get(feed.split("?")[0]) as r:  # the feed, as herself
                    assert r.status == 404 and "quokka" not in await r.text()
        finally:
            for pair in pairs.values():
                for session in pair:
                    await session.close()
    # It ran on the engine the suite runs on: no SQLite file when on PostgreSQL.
    assert (data / "feedserver.sqlite3").exists() is not pgtest.ON_POSTGRESQL


async def test_the_login_throttle_counts_failures_made_through_every_worker(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    _cli(data, "user", "add", "alice", stdin=f"{PASSWORD}\n")
    async with _server(data) as (base, _):
        one, other = await _pinned_pair(base)
        try:
            statuses = []
            for n in range(6):  # the limit is 4, counted across both workers
                session = (one, other)[n % 2]
                wrong = {"username": "alice", "password": f"wrong guess {n}"}
                async with session.post(f"{base}/api/v1/sessions", json=wrong) as r:
                    statuses.append(r.status)
            assert statuses == [401, 401, 401, 401, 429, 429]
        finally:
            await one.close()
            await other.close()


async def test_a_second_server_on_the_same_data_directory_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    async with _server(data) as (_, proc):
        second = subprocess.run(
            [sys.executable, "-m", "feedserver", "--data", str(data), "serve",
             "--port", str(free_port())],
            capture_output=True, text=True, cwd=REPO, timeout=120, env=ENV,
        )  # fmt: skip
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert second.stderr == (
            f"feedserver: another feedserver server (pid {proc.pid}) is serving the data"
            f" directory {data}; stop it first (for more processes, run one server with"
            " --workers N)\n"
        )
        # The workers hold the lock too: with the supervisor killed outright, no second
        # server starts before they are gone (they follow it down).
        workers = _children(proc.pid)
        proc.kill()
        proc.wait(timeout=DEADLINE)
        await _wait_for(lambda: all(_gone(pid) for pid in workers), "the workers to follow")
    # Once they are gone, the directory is free again.
    async with (
        _server(data, workers=1) as (base, _),
        aiohttp.ClientSession() as session,
        session.get(f"{base}/healthz") as r,
    ):
        assert r.status == 200


async def test_workers_do_not_join_another_servers_workers_on_their_port(tmp_path: Path) -> None:
    """Their SO_REUSEPORT sockets would share the port with another server's, silently."""
    async with _server(tmp_path / "a") as (base, _):
        port = base.rsplit(":", 1)[1]
        second = subprocess.run(
            [sys.executable, "-m", "feedserver", "--data", str(tmp_path / "b"), "serve",
             "--port", port, "--workers", "2"],
            capture_output=True, text=True, cwd=REPO, timeout=120, env=ENV,
        )  # fmt: skip
        problems = [x for x in second.stderr.splitlines() if x.startswith("feedserver:")]
        assert second.returncode == 1 and "Traceback" not in second.stderr
        assert problems == [
            f"feedserver: cannot listen on 127.0.0.1:{port}: address already in use"
        ]


async def test_sigterm_stops_every_worker_gracefully(tmp_path: Path) -> None:
    async with _server(tmp_path / "data") as (_, proc):
        workers = _children(proc.pid)
        assert len(workers) == 2
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=DEADLINE)
        assert code == 0, proc.stderr.read() if proc.stderr else code
        assert all(_gone(pid) for pid in workers)
        assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


async def test_sigterm_while_the_workers_start_stops_them_gracefully(tmp_path: Path) -> None:
    """A stop that arrives before a worker could install its handler (systemd stopping a
    server that is still starting) is a stop, not a worker crash."""
    proc = _serve(tmp_path / "data", free_port(), 2)
    try:
        await _wait_for(lambda: len(_children(proc.pid)) >= 2, "both workers to be forked")
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=DEADLINE)
        assert proc.stderr is not None
        assert code == 0, proc.stderr.read()
        assert "feedserver: worker" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=DEADLINE)
        if proc.stderr:
            proc.stderr.close()


async def test_a_worker_that_dies_stops_the_server_and_says_so(tmp_path: Path) -> None:
    async with _server(tmp_path / "data") as (_, proc):
        workers = sorted(_children(proc.pid))
        os.kill(workers[0], signal.SIGKILL)
        assert proc.wait(timeout=DEADLINE) == 1
        await _wait_for(lambda: all(_gone(pid) for pid in workers), "the other worker to stop")
        assert proc.stderr is not None
        problems = [x for x in proc.stderr.read().splitlines() if x.startswith("feedserver:")]
        assert len(problems) == 1
        assert re.fullmatch(
            rf"feedserver: worker [12] \(pid {workers[0]}\) was killed by SIGKILL;"
            " stopping the server",
            problems[0],
        )
