"""Is checkout B's inbox faster than checkout A's, on this machine, now?

One run of bench/federation.py cannot tell a 10% change: this machine's speed drifts by ±15%
between rounds. This starts one server per checkout side by side, both partners of the same
sender, and alternates short wrk rounds between them (A B, B A, ...), each rate divided by raw
Ed25519 verifications/s measured just around it. It prints how many pairs B won and the
median of B/A over the pairs. A comparison tool for developers: it writes no results file.

    python -m bench.compare_inbox REV_A REV_B [--rounds 12] [--activities 3000]

A REV is a directory holding a checkout, or a git revision of this repository (checked out
into a temporary worktree, removed afterwards). Each server initializes its own data
directory with its own code, so their migrations may differ.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench.api import REPO
from bench.federation import (
    _bracketed,
    _cli,
    _serve,
    _signed_requests,
    _wait_up,
    inbox_per_second_wrk,
    partner,
)
from tests.loopback import free_port

CLIENTS = 32
RAW_COUNT = 2000


def _checkout(rev: str, into: Path, stack: ExitStack) -> Path:
    if Path(rev).is_dir():
        return Path(rev).resolve()
    git = ["git", "-C", str(REPO), "worktree"]
    subprocess.run([*git, "add", "--detach", str(into), rev], check=True, capture_output=True)
    stack.callback(subprocess.run, [*git, "remove", "--force", str(into)], check=False)
    return into


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("a", help="the baseline: a directory or a git revision")
    parser.add_argument("b", help="the candidate: a directory or a git revision")
    parser.add_argument("--rounds", type=int, default=12, help="pairs of wrk rounds")
    parser.add_argument("--activities", type=int, default=3000, help="deliveries per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        sender, sender_port = Path(tmp) / "sender", free_port()
        sender_url = f"http://127.0.0.1:{sender_port}"
        _cli(sender, sender_port, "init")
        servers: dict[str, tuple[str, Path]] = {}  # name -> (inbox URL, checkout)
        for name, rev in (("A", args.a), ("B", args.b)):
            checkout = _checkout(rev, Path(tmp) / f"checkout-{name}", stack)
            data, port = Path(tmp) / f"data-{name}", free_port()
            _cli(data, port, "init", checkout=checkout)
            server = _serve(data, port, checkout)
            stack.callback(server.wait, timeout=10)
            stack.callback(server.terminate)
            await _wait_up(port)
            await partner(data, port, sender, sender_port, inviter_checkout=checkout)
            url = f"http://127.0.0.1:{port}/inbox"
            # Warm-up: the verifier process starts on the first delivery.
            inbox_per_second_wrk(_signed_requests(sender, sender_url, url, 300, 0), url, 8, 3)
            servers[name] = (url, checkout)
            print(f"{name}: {rev} ({checkout})", flush=True)
        ratios: dict[str, list[float]] = {"A": [], "B": []}
        first = 10**6
        seconds = max(3, args.activities // 1000 + 2)  # wrk's run time; the rate is per-second
        for r in range(args.rounds):
            for name in ("A", "B") if r % 2 == 0 else ("B", "A"):
                url = servers[name][0]
                signed = _signed_requests(sender, sender_url, url, args.activities + CLIENTS, first)
                first += args.activities + CLIENTS
                rate, raw = _bracketed(
                    lambda s=signed, u=url: inbox_per_second_wrk(s, u, CLIENTS, seconds),
                    RAW_COUNT,
                )  # fmt: skip
                ratios[name].append(rate / raw)
                print(f"round {r + 1} {name}: {rate:,.0f}/s, raw {raw:,.0f}/s, "
                      f"ratio {rate / raw:.3f}", flush=True)  # fmt: skip
    pairs = [b / a for a, b in zip(ratios["A"], ratios["B"], strict=True)]
    for name in ("A", "B"):
        print(f"{name}: median ratio to raw {statistics.median(ratios[name]):.3f}")
    wins = sum(p > 1 for p in pairs)
    print(f"B faster in {wins} of {len(pairs)} pairs; median B/A {statistics.median(pairs):.3f}")


if __name__ == "__main__":
    asyncio.run(main())
