"""Every feed kind, parsed by feedparser with bozo == 0, holds the expected entries in order,
and never anything from a group the member cannot read."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser

from feedserver.feeds import atom
from feedserver.models import Post, Tombstone, Viewer
from feedserver.models.feeds import FeedContent, FeedKey, FeedTarget
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post, parse


async def _setup(admin: Api):
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    carol = await admin.add_member("carol")
    for name in ("payroll-team", "hr"):
        status, body = await alice.post("/api/v1/groups", {"name": name, "title": name.upper()})
        assert status == 201, body
    status, _ = await alice.put("/api/v1/groups/payroll-team/members/bob", {"role": "member"})
    assert status == 200
    # carol's own private group: its posts must never reach alice's or bob's feeds.
    status, _ = await carol.post("/api/v1/groups", {"name": "secret", "title": "Secret"})
    assert status == 201
    return alice, bob, carol


async def test_group_feed_entries_links_and_metadata(admin: Api, client) -> None:
    alice, bob, _ = await _setup(admin)
    first = await new_post(alice, "payroll-team", "First tip", tags=["payroll", "taxes"])
    second = await new_post(bob, "payroll-team", "A story", kind="story")
    third = await new_post(alice, "payroll-team", "Late check?", kind="question")
    await new_post(alice, "hr", "Not in this feed")
    status, group = await bob.get("/api/v1/groups/payroll-team")
    assert status == 200
    url = group["feed_url"]

    feed = await parse(client, url)
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == [
        third["id"],
        second["id"],
        first["id"],
    ]
    assert feed.feed.id == f"{client.make_url('')}".rstrip("/") + "/feeds/groups/payroll-team.atom"
    assert "token" not in feed.feed.id
    assert feed.feed.title == "PAYROLL-TEAM"
    assert feed.feed.subtitle
    assert feed.feed.generator == "feedserver"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == url  # the URL served
    assert links["alternate"].endswith("/groups/payroll-team")
    # RFC 4287: feed updated = newest entry, not "now".
    assert feed.feed.updated == feed.entries[0].updated
    tip = feed.entries[2]
    assert tip.title == "First tip"
    assert tip.author_detail.name == "Alice"
    assert tip.author_detail.href.endswith("/members/alice")
    assert tip.published and tip.updated
    assert tip.content[0].type == "text/html"
    assert "Body of First tip" in tip.content[0].value
    assert {"payroll", "taxes"} <= {t.term for t in tip.tags}
    assert tip.links[0].rel == "alternate" and tip.links[0].type == "text/html"
    assert tip.links[0].href.endswith(f"/posts/{first['id']}")


async def test_tag_feed_spans_readable_groups_only(admin: Api, client) -> None:
    alice, bob, carol = await _setup(admin)
    a = await new_post(alice, "payroll-team", "Tagged in team", tags=["payroll"])
    await new_post(alice, "payroll-team", "Untagged")
    b = await new_post(alice, "hr", "Tagged in hr", tags=["payroll"])
    await new_post(carol, "secret", "Carol's private payroll secret", tags=["payroll"])

    feed = await parse(client, (await feed_urls(alice, tag="payroll"))["tags"][0]["url"])
    assert [e.title for e in feed.entries] == ["Tagged in hr", "Tagged in team"]
    assert [e.id.rsplit("/", 1)[1] for e in feed.entries] == [b["id"], a["id"]]

    # bob reads payroll-team only: hr and carol's group do not exist for him.
    status, _, body = await fetch(client, (await feed_urls(bob, tag="payroll"))["tags"][0]["url"])
    assert status == 200
    assert b"Tagged in team" in body
    assert b"Tagged in hr" not in body and b"Carol" not in body and b"secret" not in body


async def test_thread_feed_says_which_answer_is_accepted(admin: Api, client) -> None:
    alice, bob, _ = await _setup(admin)
    question = await new_post(alice, "payroll-team", "Check cut late?", kind="question")
    status, first = await bob.post(f"/api/v1/posts/{question['id']}/replies", {"body": "HR form"})
    assert status == 201
    status, second = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": "Wait"})
    assert status == 201
    status, _ = await alice.post(f"/api/v1/posts/{first['id']}/accept")
    assert status == 200

    urls = await feed_urls(bob, post=question["id"])
    feed = await parse(client, urls["posts"][0]["url"])
    ids = [e.id.rsplit("/", 1)[1] for e in feed.entries]
    assert ids == [second["id"], first["id"], question["id"]]
    newest, accepted, asked = feed.entries
    assert accepted.title == "Accepted answer by Bob"
    assert "Accepted answer" in accepted.content[0].value
    assert "accepted" in {t.term for t in accepted.tags}
    assert "accepted" not in {t.term for t in newest.tags}
    assert newest.title == "Answer by Alice"
    assert "answered" in {t.term for t in asked.tags}
    assert f"/posts/{first['id']}" in asked.content[0].value


async def test_home_feed_is_every_group_of_the_member(admin: Api, client) -> None:
    alice, bob, carol = await _setup(admin)
    await new_post(alice, "payroll-team", "In team")
    await new_post(alice, "hr", "In hr")
    await new_post(carol, "secret", "Carol only")
    feed = await parse(client, (await feed_urls(alice))["home"])
    assert [e.title for e in feed.entries] == ["In hr", "In team"]
    status, _, body = await fetch(client, (await feed_urls(bob))["home"])
    assert status == 200 and b"In team" in body and b"In hr" not in body and b"Carol" not in body


async def test_hostile_text_is_a_well_formed_feed(admin: Api, client) -> None:
    alice, _, _ = await _setup(admin)
    nasty = "Tom & Jerry <script>x</script> ]]> <![CDATA[ boo ]]> \u05e9\u05dc\u05d5\u05dd 🚀\u202e"
    await new_post(alice, "payroll-team", nasty, body=f"{nasty}\n\n**bold** &amp; `<b>`")
    urls = {g["name"]: g["url"] for g in (await feed_urls(alice))["groups"]}
    feed = await parse(client, urls["payroll-team"])
    entry = feed.entries[0]
    assert "Tom & Jerry" in entry.title and "🚀" in entry.title and "\u05e9\u05dc" in entry.title
    assert "<script" not in entry.content[0].value


def test_renderer_strips_control_characters() -> None:
    """Posts are cleaned at write time; the renderer strips again so nothing that reached the
    database another way (an import, an older build) can make lxml raise."""
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    post = Post(
        id="01h0000000000000000000000a", group_id="g", group_name="team", parent_id=None,
        kind="tip", author_id="m", author_username="al", author_display_name="Al\x00\x1b",
        title="Bell\x07 and form\x0c feed FEEDSERVER-TOKEN-MARKER", body="x",
        body_html='<p>vertical\x0btab \ud800 <a href="http://evil/?t=FEEDSERVER-TOKFEEDSERVER-'
        'TOKEN-EN-MARKER">x</a> FEEDSERVER-TOKEN-POST-01h0000000000000000000000c</p>',
        tags=("t",), created_at=now, updated_at=now,
        revision=1,
    )  # fmt: skip
    key = FeedKey("k" * 16, b"s" * 32)
    target = FeedTarget("group", "/feeds/groups/team.atom", "group:g", Viewer(None), key)
    gone = Tombstone("01h0000000000000000000000b", "g", None, now)
    content = FeedContent(target, "T\x01", "", "http://x/groups/team", [post], [gone])
    rendered = atom.render(content, "http://x")
    parsed = feedparser.parse(rendered.body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries[0].title.strip() == "Bell and form feed"
    # Token slots only where the renderer put them, none from the text (not even one that
    # removing a slot name would join together): self, first, and the thread feed link.
    assert rendered.body.count(atom.TOKEN_MARKER_BYTES) == 2
    assert rendered.pieces.slots == (b"MARKER", b"MARKER", b"POST-01h0000000000000000000000a")
    assert b"FEEDSERVER-TOKEN" not in b"".join(rendered.pieces.plain)
    assert b'<at:deleted-entry ref="http://x/posts/01h0000000000000000000000b"' in rendered.body
    assert rendered.updated == now


async def test_faq_page_changes_are_entries_in_the_group_feed(admin: Api, client) -> None:
    alice, bob, _ = await _setup(admin)
    await new_post(alice, "payroll-team", "A tip first")
    page_url = "/api/v1/groups/payroll-team/pages/late-checks"
    status, page = await alice.put(page_url, {"title": "Late checks", "body": "Use *form 7*."})
    assert status in (200, 201), page
    url = (await bob.get("/api/v1/groups/payroll-team"))[1]["feed_url"]
    _, first_headers, _ = await fetch(client, url)
    feed = await parse(client, url)
    assert feed.bozo == 0
    (entry,) = [e for e in feed.entries if e.title == "Page updated: Late checks"]
    assert entry.id.endswith("/groups/payroll-team/pages/late-checks")
    assert "<em>form 7</em>" in entry.content[0].value and "Revision 1" in entry.content[0].value
    assert "page" in {t.term for t in entry.tags}

    status, _ = await bob.put(
        page_url, {"title": "Late checks", "body": "Use form 7, then HR.", "base_revision": 1}
    )
    assert status == 200
    _, headers, _ = await fetch(client, url)
    assert headers["ETag"] != first_headers["ETag"]
    feed = await parse(client, url)
    (edited,) = [e for e in feed.entries if e.id == entry.id]  # same entry, updated
    assert "Revision 2" in edited.content[0].value and edited.updated >= entry.updated
    assert edited.author_detail.name == "bob"
