"""One server per data directory: `serve` holds an exclusive flock on DATA/serve.lock for as
long as it runs, and a second `serve` on the same directory is refused with a clear message.

Two independent servers on one SQLite file would each keep caches and background workers
(deliveries, expertise calibration) that assume they are the only server there. The workers
of one `serve --workers N` share the lock: they are forked with its file descriptor, so the
lock lives until the last of them has exited, even when the supervising process is killed.
The kernel drops it when they are gone (a crash included), so there is never a stale lock to
remove by hand. Short command-line commands (user, token, partner) take no lock: they write
through SQLite's own locking, and the server's caches see their writes (data_version).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from pathlib import Path

LOCK_NAME = "serve.lock"


class DataDirInUse(Exception):
    def __init__(self, data_dir: Path, holder: str) -> None:
        who = f"pid {holder}" if holder else "another process"
        super().__init__(
            f"another feedserver server ({who}) is serving the data directory {data_dir};"
            " stop it first (for more processes, run one server with --workers N)"
        )


def acquire(data_dir: Path) -> int:
    """Take the data directory's lock, or raise DataDirInUse. Returns the lock's file
    descriptor: keep it open (and inheritable by forked workers) while serving."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = data_dir / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as error:
        os.close(fd)
        if error.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise
        raise DataDirInUse(data_dir, _holder(path)) from None
    # Who holds it, for the message a second server prints (informative only).
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text().strip()
        if text.isdigit():
            return text
    return ""
