"""`feedserver serve`: one process, or N worker processes on one port.

With `--workers N` (N > 1) this process becomes a supervisor: it binds N listening sockets
to the port with SO_REUSEPORT (so a bad address is reported once, before anything starts),
forks N workers, each serving the whole app on its own socket with its own database
connections and caches, and the kernel spreads new connections across them. Everything a
worker remembers between requests is either exact across processes (the feed answer cache is
keyed on the database's data version, the login throttle and the replay cache live in the
database) or a hint checked against the database (pinned partner keys).

Signals: SIGTERM or SIGINT to the supervisor stops every worker gracefully (each finishes its
requests and closes its database) and the supervisor exits 0 when all have. A worker that
exits on its own (a crash, the OOM killer) is reported, the others are stopped, and the
supervisor exits 1: the service manager (systemd's Restart=, compose's restart:) starts the
whole server again, so there is never a server quietly running with fewer workers, and a
worker that keeps dying shows as a failing service rather than a restart loop inside it.
Workers die with the supervisor (PR_SET_PDEATHSIG), and hold the data directory's lock
(data_lock) with it, so no second server can start while any of them lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable
from types import FrameType
from typing import Any

from aiohttp import web

from feedserver.app import create_app
from feedserver.config import Config
from feedserver.errors import FeedserverError
from feedserver.http.serving import runner_options

log = logging.getLogger("feedserver.serve")

# Errors of binding the listening socket: the operator's to fix, so one line, no traceback.
LISTEN_ERRORS = {errno.EADDRINUSE, errno.EADDRNOTAVAIL, errno.EACCES}
_PR_SET_PDEATHSIG = 1


def engine(config: Config) -> str:
    """The database engine the configuration names. The hook for engine-specific serving
    defaults: only SQLite exists today; a `database_url` setting naming PostgreSQL makes
    this "postgresql"."""
    url = str(getattr(config, "database_url", "") or "")
    return "postgresql" if url.startswith(("postgresql:", "postgres:")) else "sqlite"


def worker_count(config: Config) -> int:
    """`workers`, or the engine's default when it is 0: one process on SQLite (one writer
    connection serves a small organization; more processes only add lock hand-offs), one per
    core on PostgreSQL (its server takes the writes from many connections)."""
    if config.workers > 0:
        return config.workers
    return (os.cpu_count() or 1) if engine(config) == "postgresql" else 1


def collect_garbage_less_often() -> None:
    """Tune CPython's cyclic garbage collector for serving.

    Each request allocates many short-lived containers. At the default threshold (a young
    collection every 700 allocations, a full one every 100 of those over everything alive)
    the collector took ~31 us of the event loop's CPU per inbox delivery (measured: 490 ms
    over 16,000 deliveries). Objects alive at start-up (modules, routes, templates) stay for
    the life of the process, so they are frozen out of full collections, and young
    collections run every 10,000 allocations: still bounded memory, far fewer passes.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


def cannot_listen(config: Config, reason: str) -> int:
    print(f"feedserver: cannot listen on {config.host}:{config.port}: {reason}", file=sys.stderr)
    return 1


def serve(config: Config) -> int:
    workers = worker_count(config)
    if workers == 1:
        return _serve_alone(config)
    if config.port == 0:  # each worker would get a port of its own
        return cannot_listen(config, "several workers need a fixed port, not 0")
    try:
        _check_free(config)
        sockets = [_listening_sockets(config) for _ in range(workers)]
    except socket.gaierror as error:
        return cannot_listen(config, str(error.strerror))
    except OSError as error:
        if error.errno not in LISTEN_ERRORS:
            raise
        return cannot_listen(config, os.strerror(error.errno).lower())
    return Supervisor(config, sockets).run()


def _serve_alone(config: Config) -> int:
    app = create_app(config)
    collect_garbage_less_often()
    try:
        web.run_app(app, host=config.host, port=config.port, print=None, **runner_options(config))
    except socket.gaierror as error:  # a host name that does not resolve
        return cannot_listen(config, str(error.strerror))
    except OSError as error:
        if error.errno not in LISTEN_ERRORS:
            raise
        return cannot_listen(config, os.strerror(error.errno).lower())
    return 0


def _check_free(config: Config) -> None:
    """Raise EADDRINUSE if anything listens on the port, even a group of SO_REUSEPORT
    sockets (another server's workers), which our own SO_REUSEPORT sockets would silently
    join: a plain bind (SO_REUSEADDR only, as one process binds) is refused by those."""
    for family, kind, proto, _, address in _addresses(config):
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                probe.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            probe.bind(address)


def _addresses(config: Config) -> list[tuple[Any, ...]]:
    found = socket.getaddrinfo(
        config.host, config.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    return list(dict.fromkeys(found))


def _listening_sockets(config: Config) -> list[socket.socket]:
    """One listening socket per address the host resolves to, with SO_REUSEPORT, so that
    every worker's sockets share the port and the kernel balances connections."""
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _, address in _addresses(config):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            if family == socket.AF_INET6:
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
            sock.listen(1024)
            sock.set_inheritable(False)
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


_STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


class Supervisor:
    def __init__(self, config: Config, sockets: list[list[socket.socket]]) -> None:
        self.config = config
        self.sockets = sockets
        self.children: dict[int, int] = {}  # pid -> worker number
        self.stopping = False
        self.failed = False

    def run(self) -> int:
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, self._stop)
        # A stop signal that arrives while a worker is starting waits (pending) until the
        # worker's loop can end gracefully; unblocked, it would kill a worker still building
        # its app (reported as a crash) or run the supervisor's handler inside the child.
        signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        for number in range(len(self.sockets)):
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the worker's side runs in the child
                os._exit(self._worker(number))
            self.children[pid] = number
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        for socks in self.sockets:  # each worker has its copy now
            for sock in socks:
                sock.close()
        pids = " ".join(map(str, self.children))
        log.info("serving on %s:%s with %d workers (pids %s)", self.config.host,
                 self.config.port, len(self.children), pids)  # fmt: skip
        while self.children:
            try:
                pid, status = os.wait()
            except ChildProcessError:
                break
            if pid not in self.children:
                continue
            number = self.children.pop(pid)
            if not self.stopping:
                print(f"feedserver: worker {number + 1} (pid {pid}) {_how(status)};"
                      " stopping the server", file=sys.stderr, flush=True)  # fmt: skip
                self.failed = True
                self._stop(signal.SIGTERM, None)
            elif os.waitstatus_to_exitcode(status) != 0:
                self.failed = True
        return 1 if self.failed else 0

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        for pid in self.children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    def _worker(self, number: int) -> int:  # pragma: no cover - runs in the child
        try:
            _die_with_parent()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            # Ctrl-C in a terminal reaches the whole group; the supervisor sends SIGTERM.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            mine = self.sockets[number]
            for other, socks in enumerate(self.sockets):
                if other != number:
                    for sock in socks:
                        sock.close()
            return _serve_worker(self.config, mine)
        except FeedserverError as error:  # a refusal to start: one line, as without workers
            print(f"feedserver: {error.detail}", file=sys.stderr)
            return 1
        except BaseException:
            log.exception("worker %d failed", number + 1)
            return 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()


def _serve_worker(config: Config, sockets: list[socket.socket]) -> int:  # pragma: no cover
    app = create_app(config)
    collect_garbage_less_often()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.add_signal_handler(signal.SIGTERM, _graceful_exit_once(loop))
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)  # blocked since the fork
    web.run_app(
        app, sock=sockets, print=None, loop=loop, handle_signals=False, **runner_options(config)
    )
    return 0


def _graceful_exit_once(loop: asyncio.AbstractEventLoop) -> Callable[[], None]:
    """SIGTERM ends the worker's serving loop once; a repeat during the graceful shutdown
    is ignored, so it cannot cut the database's close short."""

    def handler() -> None:
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        raise web.GracefulExit()

    return handler


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Ask Linux to send SIGTERM to this worker when the supervisor dies (SIGKILL included),
    so no orphaned worker keeps serving without it."""
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the worker outlives a killed supervisor, as any daemon would
    if os.getppid() != parent:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _how(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"
