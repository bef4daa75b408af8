"""What the request middleware (request id, metrics, access line) costs per request.

    python -m bench.observe [--requests 50000]

Both apps answer "hello" through aiohttp's own middleware chain, driven in-process with
mocked requests so that the load generator (no wrk here: a Python client is slower than
the server) does not hide the difference. The limit is the same app without the middleware,
measured in the same run; the figure is the added time per request, and its ratio to a
whole warm feed request of bench.feeds' last recorded run.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import time

from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bench.report import machine, write_section
from feedserver.http.metrics import METRICS, Metrics
from feedserver.http.observe import observe_middleware


async def _hello(request: web.Request) -> web.Response:
    return web.Response(text="hello")


def _app(observed: bool) -> web.Application:
    app = web.Application(middlewares=[observe_middleware] if observed else [])
    app[METRICS] = Metrics()
    app.router.add_get("/feeds/groups/{name}.atom", _hello)
    return app


async def _seconds_per_request(app: web.Application, count: int) -> float:
    app.freeze()
    handler = app._handle
    # One mocked request, handled again and again: building one (mock transport and all)
    # costs more than handling it.
    request = make_mocked_request("GET", "/feeds/groups/g.atom?token=t", app=app)
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(count):
            await handler(request)
        best = min(best, (time.perf_counter() - started) / count)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=50_000)
    args = parser.parse_args()
    logging.getLogger().setLevel("WARNING")  # as the feed benchmark serves
    bare = asyncio.run(_seconds_per_request(_app(False), args.requests))
    observed = asyncio.run(_seconds_per_request(_app(True), args.requests))
    added = observed - bare
    rows = [
        ("in-process hello, no middleware (the limit)", f"{bare * 1e6:.1f} us", "1.00"),
        ("in-process hello, request id + metrics + access line", f"{observed * 1e6:.1f} us",
         f"{observed / bare:.2f}"),
        ("added per request", f"{added * 1e6:.1f} us", ""),
    ]  # fmt: skip
    table = "| measure | value | ratio |\n|---|---|---|\n" + "\n".join(
        f"| {a} | {b} | {c} |" for a, b, c in rows
    )
    load = os.getloadavg()[0]
    body = (
        f"{machine()}, {args.requests} requests, best of 5, load average {load:.1f} at the"
        f" end (figures at a load above the CPU count are the machine's, not the code's)"
        f"\n\n{table}"
    )
    write_section("Request middleware (bench/observe.py)", body)
    print(table)


if __name__ == "__main__":
    main()
