"""`make test-postgres`: run a command (the test suite) against a throwaway PostgreSQL cluster.

The cluster comes from Debian's postgresql package: `initdb` into a temporary directory,
listening on a Unix socket there only (no TCP port, no system service), fsync off (it is
thrown away), stopped and deleted at the end whatever the command did. As root (CI), the
server runs as the package's `postgres` user, since PostgreSQL refuses to run as root.

    python tests/pg_cluster.py -- python -m pytest -x
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


def bin_dir() -> Path:
    """The newest installed server's binaries (initdb is not on PATH on Debian)."""
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    found = sorted(
        (Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if not found:
        raise SystemExit("pg_cluster: no PostgreSQL server found: apt-get install postgresql")
    return found[-1]


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # runs the `finally` below: the cluster never outlives us


@dataclass(frozen=True)
class Cluster:
    root: Path  # the temporary directory: socket, log, data
    data: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://feedserver@/{database}?host={self.root}"

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])


@contextmanager
def cluster(*, durable: bool = False, settings: str = "") -> Iterator[Cluster]:
    """A throwaway cluster, stopped and deleted when the block ends, however it ends.
    `durable` keeps fsync and synchronous commits on (benchmarks of writes compare it with
    SQLite's synchronous=FULL); `settings` adds server options ("-c name=value ...")."""
    binaries = bin_dir()
    root = Path(tempfile.mkdtemp(prefix="fs-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data = root / "data"
    options = f"-c listen_addresses='' -c unix_socket_directories='{root}' -c max_connections=300"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    options += f" {settings}" if settings else ""
    try:
        subprocess.run(
            [*as_user, binaries / "initdb", "-D", data, "-A", "trust", "-U", "feedserver",
             "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        subprocess.run(
            [*as_user, binaries / "pg_ctl", "-D", data, "-o", options, "-l", root / "log",
             "-w", "start"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        yield Cluster(root, data)
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run(
                [*as_user, binaries / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"],
                check=False, stdout=subprocess.DEVNULL,
            )  # fmt: skip
        shutil.rmtree(root, ignore_errors=True)


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stop)
    command = argv[argv.index("--") + 1 :] if "--" in argv else argv
    if not command:
        raise SystemExit("usage: pg_cluster.py -- COMMAND...")
    with cluster() as running:
        env = dict(
            os.environ,
            FEEDSERVER_TEST_ENGINE="postgresql",
            FEEDSERVER_TEST_PG_URL=running.url(),
        )
        return subprocess.call(command, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
