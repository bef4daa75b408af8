"""Ports for test servers on loopback, picked where nothing else will take them.

A port asked of the kernel with bind(("127.0.0.1", 0)) comes from the ephemeral range, the same
range the kernel draws from for every outgoing connection's local port. Between picking it and a
server binding it, any client socket in the suite may take it: "Address already in use" at random.
Ports below the ephemeral range are never handed out that way, so a port picked there stays free
until the server binds it, and stays free while a stopped server is restarted on it.
"""

from __future__ import annotations

import os
import random
import socket
from pathlib import Path

_FALLBACK_EPHEMERAL_LOW = 32768  # Linux's default when /proc is not there to ask


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _FALLBACK_EPHEMERAL_LOW


# Ports this process has handed out: one is free until its server binds it, so a second
# call before that (the servers of one federation fixture are all picked, then started) could
# pick it again. None is handed out twice; a suite uses a few hundred of the ~6,000.
_handed_out: set[int] = set()


def free_port() -> int:
    """A port on 127.0.0.1 that is free now and outside the kernel's ephemeral range."""
    low = _ephemeral_low()
    candidates = range(max(1024, low - 12_000), low)
    # `make test` and `make test-postgres` run side by side (.ci/run): each engine's suite
    # picks from its own half, so one cannot take a port the other picked and not yet bound.
    half = len(candidates) // 2
    candidates = (
        candidates[half:]
        if os.environ.get("FEEDSERVER_TEST_ENGINE") == "postgresql"
        else candidates[:half]
    )
    for port in random.sample(candidates, min(64, len(candidates))):
        if port in _handed_out:
            continue
        with socket.socket() as sock:
            # As aiohttp binds: a port in TIME_WAIT from an earlier server is usable again.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            _handed_out.add(port)
            return port
    # No room below the range (or all of it taken): the kernel's pick, with the race above.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
