"""A real feed reader: newsboat fetches a private feed URL from the server on 127.0.0.1,
headless, and counts unread articles; after a new post there is one more."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import Api
from tests.feeds.conftest import feed_urls, new_post

NEWSBOAT = shutil.which("newsboat")
pytestmark = pytest.mark.skipif(
    NEWSBOAT is None,
    reason="newsboat is not installed (Debian package `newsboat`; .ci/run installs it)",
)


async def _unread(tmp: Path, url: str) -> int:
    """`newsboat -x reload print-unread` with its own config, URL list and cache."""
    (tmp / "urls").write_text(url + "\n", "utf-8")
    (tmp / "config").write_text("download-timeout 20\nreload-threads 1\n", "utf-8")
    env = {**os.environ, "HOME": str(tmp), "XDG_CONFIG_HOME": str(tmp), "XDG_DATA_HOME": str(tmp)}
    assert NEWSBOAT is not None
    proc = await asyncio.create_subprocess_exec(
        NEWSBOAT, "-u", str(tmp / "urls"), "-C", str(tmp / "config"),
        "-c", str(tmp / "cache.db"), "-x", "reload", "print-unread",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == 0, (out, err)
    found = re.search(rb"(\d+) unread articles", out)
    assert found, (out, err)
    return int(found.group(1))


async def test_newsboat_reads_the_private_feed(admin: Api, client, tmp_path: Path) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay & <Co>"}))[0] == 201
    for n in range(3):
        await new_post(alice, "pay", f"Tip {n} 🚀 & <b>", tags=["payroll"])
    url = (await feed_urls(alice))["groups"][0]["url"]
    assert url.startswith("http://127.0.0.1:")
    reader = tmp_path / "newsboat"
    reader.mkdir()
    assert await _unread(reader, url) == 3
    await new_post(alice, "pay", "One more")
    assert await _unread(reader, url) == 4
