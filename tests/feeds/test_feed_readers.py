"""Real feed readers agree with feedparser on every feed kind, hostile text included: the
same entries, in the same order, with the same id, title and link. Each reader is the real
thing: sfeed (Debian package, a C program), rss-parser (npm, the parser of many Node
readers) and atoma (PyPI). Missing: skipped on a developer's machine, a failure in CI
(.ci/run installs every one of them)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest

from tests.conftest import Api
from tests.feeds.conftest import fetch
from tests.feeds.test_feed_validator import _hostile_world

READERS = Path(__file__).resolve().parent / "readers"
Entry = tuple[str, str, str]  # id, title, link


def _missing(what: str, hint: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is missing in CI: {hint}")
    pytest.skip(f"{what} is not installed ({hint})")


def _plain(text: str | None) -> str:
    """Whitespace as a reader shows it: runs collapsed (readers differ in trimming only)."""
    return " ".join((text or "").split())


def by_feedparser(body: bytes) -> list[Entry]:
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    return [(e.id, _plain(e.title), e.link) for e in parsed.entries]


def by_sfeed(body: bytes) -> list[Entry]:
    """sfeed's TSV: timestamp, title, link, content, content-type, id, ... with \\t, \\n and
    \\\\ escaped in fields."""
    sfeed = shutil.which("sfeed")
    if sfeed is None:
        _missing("sfeed", "Debian package `sfeed`")
    assert sfeed is not None
    out = subprocess.run([sfeed], input=body, capture_output=True, timeout=60, check=True)
    found = []
    for line in out.stdout.decode("utf-8").splitlines():
        fields = [_unescape(f) for f in line.split("\t")]
        found.append((fields[5], _plain(fields[1]), fields[2]))
    return found


def _unescape(field: str) -> str:
    return field.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


def by_rss_parser(body: bytes) -> list[Entry]:
    node = shutil.which("node")
    if node is None or not (READERS / "node_modules" / "rss-parser").is_dir():
        _missing("rss-parser", "npm ci in tests/feeds/readers")
    assert node is not None
    out = subprocess.run([node, str(READERS / "rss_parser.js")], input=body,
                         capture_output=True, timeout=60, check=True)  # fmt: skip
    items = json.loads(out.stdout)["items"]
    return [(i.get("id", ""), _plain(i.get("title")), i.get("link", "")) for i in items]


def by_atoma(body: bytes) -> list[Entry]:
    try:
        import atoma
    except ImportError:
        _missing("atoma", "PyPI package atoma, in the test extra")
    feed = atoma.parse_atom_bytes(body)
    found = []
    for entry in feed.entries:
        alternate = [link.href for link in entry.links if link.rel in (None, "alternate")]
        found.append((entry.id_, _plain(entry.title.value if entry.title else ""), alternate[0]))
    return found


@pytest.mark.parametrize("reader", [by_sfeed, by_rss_parser, by_atoma], ids=lambda r: r.__name__)
async def test_real_readers_agree_with_feedparser_on_every_feed_kind(
    admin: Api, client, reader
) -> None:
    _, urls = await _hostile_world(admin)
    disagree, shown = {}, 0
    for kind, url in urls.items():
        status, _, body = await fetch(client, url)
        assert status == 200, (kind, body)
        expected = by_feedparser(body)
        shown += len(expected)
        if (seen := reader(body)) != expected:
            disagree[kind] = (expected, seen)
    assert shown >= 20  # (the unanswered feeds are empty here: the question has answers)
    assert disagree == {}, "\n".join(
        f"{kind}:\n  feedparser {e}\n  {reader.__name__} {s}" for kind, (e, s) in disagree.items()
    )
