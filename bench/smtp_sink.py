"""An SMTP server for bench/notifications.py, in a process of its own so it takes no CPU
from the load generator: accepts every mail after --delay-ms and prints one line per mail.

    python -m bench.smtp_sink --port P [--delay-ms D]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, delay: float) -> None:
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        await asyncio.sleep(self.delay)
        sys.stdout.write("mail\n")
        sys.stdout.flush()
        return "250 OK"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delay-ms", type=int, default=50)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    sink = Sink(args.delay_ms / 1000)
    server = await loop.create_server(lambda: SMTP(sink, loop=loop), "127.0.0.1", args.port)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
