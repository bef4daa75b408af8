"""A verify worker whose server is SIGKILLed ends quietly: no BrokenPipeError traceback on
the server's stderr (the journal) for every kill."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A server in miniature: the real Verifier, kept busy, announcing its worker's pid once the
# first requests are on their way.
SERVER = """
import asyncio
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from feedserver.federation.verifier import Verifier

async def main():
    key = Ed25519PrivateKey.generate()
    message = b"m" * 64
    signature, public = key.sign(message), key.public_key()
    verifier = Verifier(1)
    assert await verifier.verify(public, signature, message)
    busy = asyncio.gather(*(verifier.verify(public, signature, message) for _ in range(5000)))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    print(verifier._workers[0]._transport.get_pid(), flush=True)
    while True:
        await busy
        busy = asyncio.gather(*(verifier.verify(public, signature, message) for _ in range(5000)))

asyncio.run(main())
"""


def _gone(pid: int) -> bool:
    """Exited (a zombie counts: without a reaping init in a container it stays one)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rpartition(")")[2].split()[0] == "Z"


def test_the_verify_worker_exits_quietly_when_the_server_is_killed(tmp_path: Path) -> None:
    for attempt in range(3):  # each kill lands at another point of the worker's loop
        errors = tmp_path / f"stderr-{attempt}"
        with errors.open("wb") as sink:
            server = subprocess.Popen(
                [sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, stderr=sink
            )
        try:
            assert server.stdout is not None
            worker = int(server.stdout.readline())
        finally:
            server.send_signal(signal.SIGKILL)
            server.wait(timeout=30)
            if server.stdout is not None:
                server.stdout.close()
        deadline = time.monotonic() + 30
        while not _gone(worker):  # the worker is not our child: poll, with a deadline
            assert time.monotonic() < deadline, "the verify worker outlived its server"
            time.sleep(0.02)
        text = errors.read_text()
        assert "Traceback" not in text and "BrokenPipeError" not in text, text
