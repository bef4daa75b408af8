"""The W3C Feed Validator (vendored in tests/vendor/feedvalidator) over every feed kind, filled
with hostile content: no error, and no warning but the informational ones."""

from __future__ import annotations

import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from feedserver import appkeys
from feedserver.domain.text import sanitize_foreign_html
from feedserver.feeds.atom import TOMBSTONES_NS, XML_NS
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post
from tests.feeds.copies import add_copy

ATOM = "http://www.w3.org/2005/Atom"
VENDOR = Path(__file__).resolve().parents[1] / "vendor" / "feedvalidator"

HOSTILE_TITLE = 'Late <check> & "pay" ]]> \u202eevil\u202c \x01 FEEDSERVER-TOKEN-MARKER'
HOSTILE_BODY = (
    "See [the form](/forms/late-pay) and ![chart](img/chart.png) <script>alert(1)</script>\n\n"
    '<a href="javascript:alert(1)">click</a> <img src=x onerror=alert(1)> ]]> &amp; \u0000\n\n'
    "| a | b |\n|---|---|\n| <b>1</b> | 2 |\n"
)


def _validator():
    if str(VENDOR) not in sys.path:
        sys.path.insert(0, str(VENDOR))
    with warnings.catch_warnings():
        # 2002-era code: invalid escape sequences in its regexes warn when first compiled.
        warnings.simplefilter("ignore")
        import feedvalidator
        from feedvalidator import logging as fv_logging
    return feedvalidator, fv_logging


def problems(body: bytes, url: str) -> list[str]:
    """Every error and every non-informational warning the validator logs for one document."""
    feedvalidator, fv_logging = _validator()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedvalidator.validateString(body, firstOccurrenceOnly=1, base=url)
    assert result.get("feedType") == feedvalidator.TYPE_ATOM, result
    found = []
    for event in result["loggedEvents"]:
        # The validator predates RFC 6721 and calls its namespace unknown: the one warning
        # that says nothing wrong. Tests check it is declared only beside a tombstone.
        if getattr(event, "params", {}).get("namespace") == TOMBSTONES_NS:
            continue
        # Warning and Error are Messages; Info and the Success events are not.
        if isinstance(event, fv_logging.Message):
            where = {k: event.params.get(k) for k in ("parent", "element", "value", "line")}
            found.append(f"{type(event).__name__}: {where}")
    return found


async def _hostile_world(admin: Api) -> tuple[Api, dict[str, str]]:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    status, body = await alice.post("/api/v1/groups", {"name": "payroll", "title": HOSTILE_TITLE})
    assert status == 201, body
    status, _ = await alice.put("/api/v1/groups/payroll/members/bob", {"role": "member"})
    assert status == 200
    question = await new_post(
        alice, "payroll", HOSTILE_TITLE, kind="question", body=HOSTILE_BODY, tags=["payroll"]
    )
    await new_post(alice, "payroll", "Only a script", body="<script>alert(1)</script>")
    await new_post(alice, "payroll", "Long", body="Long line of text. " * 2000, tags=["payroll"])
    answers = []
    for n in range(2):
        status, reply = await bob.post(
            f"/api/v1/posts/{question['id']}/replies", {"body": f"{HOSTILE_BODY} answer {n}"}
        )
        assert status == 201, reply
        answers.append(reply)
    status, _ = await alice.post(f"/api/v1/posts/{answers[0]['id']}/accept")
    assert status in (200, 204)
    gone = await new_post(alice, "payroll", "Gone soon", tags=["payroll"])
    status, _ = await alice.delete(f"/api/v1/posts/{gone['id']}")
    assert status in (200, 204)
    status, page = await alice.put(
        "/api/v1/groups/payroll/pages/late-checks",
        {"title": HOSTILE_TITLE, "body": HOSTILE_BODY, "tags": ["payroll"]},
    )
    assert status in (200, 201), page
    # A partner's group alice belongs to, its post as hostile as a partner may send.
    await add_copy(admin.client.app[appkeys.SERVICES], "alice", [{
        "object_id": "https://a.example/posts/1", "title": HOSTILE_TITLE, "tags": "payroll",
        "body_html": sanitize_foreign_html(HOSTILE_BODY, "http://127.0.0.1"),
        "author": "d\x01ora FEEDSERVER-TOKEN-MARKER@a.example",
        "published": datetime.now(UTC).isoformat(),
    }])  # fmt: skip
    urls = await feed_urls(alice, tag="payroll", post=question["id"], member="bob")
    group = urls["groups"][0]
    found = {
        "home": urls["home"],
        "replies": urls["replies"],
        "unanswered": urls["unanswered"],
        "group": group["url"],
        "group unanswered": group["unanswered"],
        "group tag": group["tags"][0]["url"],
        "tag": urls["tags"][0]["url"],
        "tag unanswered": urls["tags"][0]["unanswered"],
        "thread": urls["posts"][0]["url"],
        "member": urls["members"][0]["url"],
    }
    return alice, found


async def test_every_feed_kind_passes_the_w3c_validator(admin: Api, client) -> None:
    _, urls = await _hostile_world(admin)
    report = {}
    for kind, url in urls.items():
        status, headers, body = await fetch(client, url)
        assert status == 200, (kind, body)
        report[kind] = problems(body, url)
        declared = TOMBSTONES_NS.encode() in body
        assert declared == (b"<at:deleted-entry " in body), kind
        if kind in ("home", "tag"):  # with the post of the partner's group alice is in
            assert b"<id>https://a.example/posts/1</id>" in body, kind
        if kind in ("home", "group"):  # a body that sanitizes to nothing is never blank
            assert b"This post has no text that can be shown here." in body, kind
        root = etree.fromstring(body)
        assert root.get(f"{{{XML_NS}}}lang") == "en", kind
        for content in root.iter(f"{{{ATOM}}}content"):
            # Relative links in a body resolve against its post's page, in every reader.
            assert content.get(f"{{{XML_NS}}}base", "").startswith("http://127.0.0.1:"), kind
    assert report == {kind: [] for kind in urls}, "\n".join(
        f"{kind}: {line}" for kind, lines in report.items() for line in lines
    )
