"""A feedserver process run from an installed `feedserver` script, and a tiny JSON client for it
(urllib: the test talks to it as any HTTP client would)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from tests.loopback import free_port

# Cheap password hashing: the cost travels inside each hash, the code path is the real one.
ENV = {**os.environ, "FEEDSERVER_SCRYPT_N": "1024", "FEEDSERVER_SQLITE_SYNCHRONOUS": "NORMAL"}
ENV.pop("PYTHONPATH", None)


def run(
    command: Path | list[str],
    data: Path,
    *args: str,
    cwd: Path,
    check: bool = True,
    stdin: str = "",
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`command` is an installed `feedserver` script, or the argv that starts one."""
    argv = [str(command)] if isinstance(command, Path) else command
    return subprocess.run(
        [*argv, "--data", str(data), *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**ENV, **(env or {})},
        timeout=120,
        check=check,
    )


def call(
    base: str, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:  # noqa: S310 - loopback
            raw, status, kind = resp.read(), resp.status, resp.headers.get_content_type()
    except urllib.error.HTTPError as error:
        raw, status, kind = error.read(), error.code, error.headers.get_content_type()
        error.close()
    return status, json.loads(raw) if kind.endswith("json") and raw else raw.decode()


class Server:
    """`feedserver serve` on a loopback port; stopped with SIGTERM as systemd and Docker do."""

    def __init__(
        self, command: Path | list[str], data: Path, cwd: Path, port: int | None = None
    ) -> None:
        argv = [str(command)] if isinstance(command, Path) else command
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # To a file, not a pipe: a full pipe would block the server's logging.
        self.log = cwd / f"serve-{self.port}.log"
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [*argv, "--data", str(data), "serve", "--port", str(self.port)],
                cwd=cwd,
                env=ENV,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"feedserver serve exited: {self.output()}")
            try:
                if call(self.base, "GET", "/livez")[0] == 200:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"feedserver serve did not answer: {self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text()

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.output()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def login(base: str, username: str, password: str) -> str:
    status, body = call(
        base, "POST", "/api/v1/sessions", {"username": username, "password": password}
    )
    assert status == 201, body
    return str(body["token"])


def first_admin_password(init_output: str) -> str:
    return init_output.split("password: ", 1)[1].split()[0]
