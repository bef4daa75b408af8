"""The feeds people expect: latest answers and replies, unanswered questions (everywhere, per
group, per tag), a group's tag, a member's activity, FAQ pages in tag feeds, and what question
entries carry (thr:total and rel="replies", a summary, categories with a scheme per kind).
Each new feed obeys the same token and access rules: nothing of a private group, ever."""

from __future__ import annotations

from yarl import URL

from feedserver.domain import feed_paths as paths
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post, parse
from tests.feeds.test_feed_tokens import SECRET_TEXT, _assert_hidden, _token_of

THR = "http://purl.org/syndication/thread/1.0"


async def _world(admin: Api):
    """alice owns `pay` (bob is a member) and `hr`; carol owns the private `secret`, with a
    question tagged payroll that must never reach alice's or bob's feeds."""
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    carol = await admin.add_member("carol")
    for owner, name in ((alice, "pay"), (alice, "hr"), (carol, "secret")):
        assert (await owner.post("/api/v1/groups", {"name": name, "title": name.upper()}))[0] == 201
    assert (await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    await new_post(carol, "secret", SECRET_TEXT, kind="question", tags=["payroll"])
    status, _ = await carol.post(
        f"/api/v1/posts/{(await new_post(carol, 'secret', 'Q2?', kind='question'))['id']}/replies",
        {"body": SECRET_TEXT},
    )
    assert status == 201
    return alice, bob, carol


async def _answer(api: Api, question: dict, body: str) -> dict:
    status, reply = await api.post(f"/api/v1/posts/{question['id']}/replies", {"body": body})
    assert status == 201, reply
    return reply


async def test_replies_feed_has_the_answers_of_my_groups(admin: Api, client) -> None:
    alice, bob, _ = await _world(admin)
    question = await new_post(alice, "pay", "Late check?", kind="question")
    first = await _answer(bob, question, "File form A.")
    await _answer(alice, await new_post(alice, "hr", "Holidays?", kind="question"), "Ask HR.")
    feed = await parse(client, (await feed_urls(bob))["replies"])
    assert [e.title for e in feed.entries] == ["Answer by Bob, on: Late check?"]
    assert feed.entries[0].id.endswith(first["id"])
    assert "File form A." in feed.entries[0].content[0].value
    titles = [e.title for e in (await parse(client, (await feed_urls(alice))["replies"])).entries]
    assert titles == ["Answer by Alice, on: Holidays?", "Answer by Bob, on: Late check?"]
    # Accepting shows in the replies feed too.
    assert (await alice.post(f"/api/v1/posts/{first['id']}/accept"))[0] == 200
    feed = await parse(client, (await feed_urls(bob))["replies"])
    assert feed.entries[0].title == "Accepted answer by Bob, on: Late check?"


async def test_replies_feed_has_tombstones_for_deleted_answers_of_my_groups_only(
    admin: Api, client
) -> None:
    """A deleted answer leaves a tombstone in the replies feed (RFC 6721), so a reader drops
    the entry it kept; a reply deleted in a group the reader does not read leaves none."""
    alice, bob, carol = await _world(admin)
    question = await new_post(alice, "pay", "Late check?", kind="question")
    kept = await _answer(bob, question, "File form A.")
    gone = await _answer(bob, question, "Wrong answer.")
    assert (await bob.delete(f"/api/v1/posts/{gone['id']}"))[0] in (200, 204)
    secret_q = await new_post(carol, "secret", "Secret Q?", kind="question")
    secret_gone = await _answer(carol, secret_q, "Secret answer.")
    assert (await carol.delete(f"/api/v1/posts/{secret_gone['id']}"))[0] in (200, 204)
    status, _, body = await fetch(client, (await feed_urls(bob))["replies"])
    assert status == 200
    assert [e.id for e in (await parse(client, (await feed_urls(bob))["replies"])).entries] == [
        paths.post_page(_BASE(client), kept["id"])
    ]
    assert f'<at:deleted-entry ref="{paths.post_page(_BASE(client), gone["id"])}"'.encode() in body
    assert secret_gone["id"].encode() not in body
    # The top-level tombstones stay where they were: a deleted question is not a reply.
    deleted_q = await new_post(alice, "pay", "Deleted question?", kind="question")
    assert (await alice.delete(f"/api/v1/posts/{deleted_q['id']}"))[0] in (200, 204)
    status, _, body = await fetch(client, (await feed_urls(bob))["replies"])
    assert deleted_q["id"].encode() not in body
    status, _, home = await fetch(client, (await feed_urls(bob))["home"])
    assert deleted_q["id"].encode() in home and gone["id"].encode() not in home


def _BASE(client) -> str:  # noqa: N802 - the server's public base URL, as feeds spell it
    return f"http://127.0.0.1:{client.server.port}"


async def test_unanswered_feeds_everywhere_per_group_and_per_tag(admin: Api, client) -> None:
    alice, bob, _ = await _world(admin)
    open_pay = await new_post(alice, "pay", "Open in pay?", kind="question", tags=["payroll"])
    answered = await new_post(alice, "pay", "Answered?", kind="question", tags=["payroll"])
    await _answer(bob, answered, "Yes.")
    await new_post(alice, "pay", "A tip, not a question", tags=["payroll"])
    await new_post(alice, "hr", "Open in hr?", kind="question")
    urls = await feed_urls(alice, tag="payroll")
    everywhere = await parse(client, urls["unanswered"])
    assert [e.title for e in everywhere.entries] == ["Open in hr?", "Open in pay?"]
    pay = next(g for g in urls["groups"] if g["name"] == "pay")
    assert [e.title for e in (await parse(client, pay["unanswered"])).entries] == ["Open in pay?"]
    tagged = await parse(client, urls["tags"][0]["unanswered"])
    assert [e.title for e in tagged.entries] == ["Open in pay?"]
    # Answered now: it leaves every unanswered feed.
    await _answer(bob, open_pay, "Now it is.")
    assert (await parse(client, pay["unanswered"])).entries == []
    assert (await parse(client, urls["tags"][0]["unanswered"])).entries == []


async def test_group_tag_feed_and_faq_pages_in_tag_feeds(admin: Api, client) -> None:
    alice, _, _ = await _world(admin)
    await new_post(alice, "pay", "Tagged in pay", tags=["payroll"])
    await new_post(alice, "pay", "Untagged in pay")
    await new_post(alice, "hr", "Tagged in hr", tags=["payroll"])
    status, _ = await alice.put(
        "/api/v1/groups/pay/pages/late-checks",
        {"title": "Late checks", "body": "File the form.", "tags": ["payroll"]},
    )
    assert status in (200, 201)
    urls = await feed_urls(alice, tag="payroll")
    pay = next(g for g in urls["groups"] if g["name"] == "pay")
    assert URL(pay["tags"][0]["url"]).query["tag"] == "payroll"
    feed = await parse(client, pay["tags"][0]["url"])
    assert feed.feed.title == "PAY: #payroll"
    assert [e.title for e in feed.entries] == ["Tagged in pay", "Page updated: Late checks"]
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == pay["tags"][0]["url"]
    # The tag feed over every readable group has the page too (not only its group's feed).
    titles = [e.title for e in (await parse(client, urls["tags"][0]["url"])).entries]
    assert titles == ["Tagged in hr", "Tagged in pay", "Page updated: Late checks"]
    assert SECRET_TEXT not in str(titles)


async def test_member_activity_shows_only_what_the_reader_may_read(admin: Api, client) -> None:
    alice, bob, carol = await _world(admin)
    await new_post(alice, "pay", "Alice in pay")
    await new_post(alice, "hr", "Alice in hr")  # bob is not in hr
    bob_view = await parse(client, (await feed_urls(bob, member="alice"))["members"][0]["url"])
    assert [e.title for e in bob_view.entries] == ["Alice in pay"]
    alice_view = await parse(client, (await feed_urls(alice, member="alice"))["members"][0]["url"])
    assert [e.title for e in alice_view.entries] == ["Alice in hr", "Alice in pay"]
    carol_posts = await parse(client, (await feed_urls(alice, member="carol"))["members"][0]["url"])
    assert carol_posts.entries == []  # all of carol's posts are in her private group
    status, body = await bob.get("/api/v1/me/feeds", params={"member": "nobody"})
    assert status == 404


async def test_question_entries_carry_replies_summary_and_schemed_categories(
    admin: Api, client
) -> None:
    alice, bob, _ = await _world(admin)
    assert (await alice.post("/api/v1/groups", {"name": "payroll", "title": "Payroll"}))[0] == 201
    long_body = "A long question about late checks. " * 100
    question = await new_post(
        alice, "payroll", "Late?", kind="question", body=long_body, tags=["payroll"]
    )
    for n in range(3):
        await _answer(alice, question, f"Answer {n}")
    url = next(g["url"] for g in (await feed_urls(alice))["groups"] if g["name"] == "payroll")
    status, _, body = await fetch(client, url)
    assert status == 200
    assert b'thr:count="3"' in body and b"<thr:total>3</thr:total>" in body
    entry = (await parse(client, url)).entries[0]
    replies = next(link for link in entry.links if link.rel == "replies")
    assert replies.type == "application/atom+xml"
    assert URL(replies.href).path == paths.thread_feed(question["id"])
    thread = await parse(client, replies.href)  # opens with the token the feed gave
    assert len(thread.entries) == 4
    assert entry.summary.startswith("A long question") and len(entry.summary) <= 300
    # A tag and a group both called payroll: told apart by their scheme.
    schemes = {(t.term, t.scheme) for t in entry.tags}
    base = str(client.make_url("")).rstrip("/")
    assert ("payroll", f"{base}/tags/") in schemes and ("payroll", f"{base}/groups/") in schemes
    assert ("question", f"{base}/kinds/") in schemes and (
        "unanswered",
        f"{base}/status/",
    ) not in schemes


async def test_new_feeds_hide_private_groups_from_outsiders_leavers_and_old_tokens(
    admin: Api, client
) -> None:
    alice, bob, carol = await _world(admin)
    question = await new_post(
        alice, "pay", SECRET_TEXT + " in pay", kind="question", tags=["payroll"]
    )
    await _answer(alice, question, SECRET_TEXT + " answered")
    await new_post(alice, "pay", SECRET_TEXT + " unanswered", kind="question", tags=["payroll"])
    urls = await feed_urls(bob, tag="payroll", member="alice")
    pay = next(g for g in urls["groups"] if g["name"] == "pay")
    feeds = {
        "replies": urls["replies"], "unanswered": urls["unanswered"],
        "group unanswered": pay["unanswered"], "group tag": pay["tags"][0]["url"],
        "tag unanswered": urls["tags"][0]["unanswered"], "member": urls["members"][0]["url"],
    }  # fmt: skip
    for name, url in feeds.items():
        status, _, body = await fetch(client, url)
        assert status == 200 and SECRET_TEXT.encode() in body, name

    # A non-member with genuine tokens for the narrowed paths: a bare 404 for the group ones,
    # nothing of `pay` in the others.
    carol_urls = await feed_urls(carol, tag="payroll", member="alice")
    for path in (paths.unanswered_feed("pay"), paths.group_feed("pay", "payroll")):
        token = await _token_of(client, "bob", path)  # the control: bob's opens it
        assert (await fetch(client, f"{path}&token={token}"))[0] == 200
        token = await _token_of(client, "carol", path)
        await _assert_hidden(client, f"{path}&token={token}")
    for url in (carol_urls["replies"], carol_urls["unanswered"], carol_urls["members"][0]["url"],
                carol_urls["tags"][0]["unanswered"]):  # fmt: skip
        status, _, body = await fetch(client, url)
        assert status == 200 and b" in pay" not in body and b"answered<" not in body, url
    # A token signs its narrowing: bob's pay token does not open hr, nor another tag.
    for other in (pay["unanswered"].replace("group=pay", "group=hr"),
                  pay["tags"][0]["url"].replace("tag=payroll", "tag=benefits"),
                  urls["unanswered"].replace("?token", "?group=pay&token")):  # fmt: skip
        await _assert_hidden(client, other)

    # Removed from the group: the group feeds are gone, the others show nothing of it.
    assert (await alice.delete("/api/v1/groups/pay/members/bob"))[0] == 204
    for name, url in feeds.items():
        status, _, body = await fetch(client, url)
        if name.startswith("group"):
            await _assert_hidden(client, url)
        else:
            assert status == 200 and SECRET_TEXT.encode() not in body, name

    # Rotated: every old URL is a bare 404.
    assert (await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    assert (await bob.post("/api/v1/me/feeds/rotate"))[0] == 200
    for url in feeds.values():
        await _assert_hidden(client, url)
