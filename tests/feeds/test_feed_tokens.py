"""Token misuse: every wrong way in is a bare 404 that says nothing about the group or posts.
Also /api/v1/me/feeds, rotation, and the feed URL in GET /api/v1/groups/{name}."""

from __future__ import annotations

from yarl import URL

from feedserver import appkeys
from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_tokens as tokens
from feedserver.store import feeds as feed_store
from feedserver.store import members as member_store
from tests.conftest import Api
from tests.feeds.conftest import feed_urls, fetch, new_post

SECRET_TEXT = "The salary spreadsheet is in the blue folder"


async def _assert_hidden(client, url: str) -> None:
    status, headers, body = await fetch(client, url)
    assert status == 404, (url, status)
    assert body == b"", body
    assert "ETag" not in headers


async def _token_of(client, username: str, path: str) -> str:
    """A member's real token for any path, the way the server would derive it."""
    async with client.app[appkeys.SERVICES].db.read() as conn:
        member = await member_store.by_username(conn, username)
        assert member is not None
        key_id, secret = await feed_store.key_of(conn, member.id)
    return tokens.token_for(tokens.FeedKey(key_id, secret), path)


async def test_token_misuse_is_404_without_content(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    carol = await admin.add_member("carol")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    assert (await alice.post("/api/v1/groups", {"name": "other", "title": "Other"}))[0] == 201
    assert (await alice.put("/api/v1/groups/pay/members/bob", {"role": "member"}))[0] == 200
    question = await new_post(alice, "pay", SECRET_TEXT, kind="question")
    bob_urls = await feed_urls(bob, post=question["id"])
    group_url = bob_urls["groups"][0]["url"]
    thread_url = bob_urls["posts"][0]["url"]
    assert (await fetch(client, group_url))[0] == 200
    base = URL(group_url).with_query(None)
    await feed_urls(carol)  # carol has a feed key too

    # No token, a malformed one, a forged one.
    await _assert_hidden(client, str(base))
    await _assert_hidden(client, str(base.with_query(token="x" * 38)))
    await _assert_hidden(client, str(base.with_query(token="not a token")))
    # Another member's token: carol's genuine token for this very path; she is not a member.
    carol_token = await _token_of(client, "carol", paths.group_feed("pay"))
    await _assert_hidden(client, str(base.with_query(token=carol_token)))
    # A token for another path: bob's home token on the group feed, his group token elsewhere.
    home_token = URL(bob_urls["home"]).query["token"]
    await _assert_hidden(client, str(base.with_query(token=home_token)))
    group_token = URL(group_url).query["token"]
    other = URL(group_url).with_path("/feeds/groups/other.atom").with_query(token=group_token)
    await _assert_hidden(client, str(other))
    # A group bob cannot read with bob's genuine token for it: same as a group that is not there.
    token = await _token_of(client, "bob", paths.group_feed("other"))
    await _assert_hidden(client, str(other.with_query(token=token)))
    token = await _token_of(client, "bob", paths.group_feed("nope"))
    await _assert_hidden(
        client, str(other.with_path("/feeds/groups/nope.atom").with_query(token=token))
    )
    # A page cursor that is not an id.
    await _assert_hidden(client, str(URL(group_url).update_query(before="../../etc")))

    # Removed from the group: the old URLs stop working.
    status, _ = await alice.delete("/api/v1/groups/pay/members/bob")
    assert status == 204
    await _assert_hidden(client, group_url)
    await _assert_hidden(client, thread_url)
    status, _, body = await fetch(client, (await feed_urls(bob))["home"])
    assert status == 200 and SECRET_TEXT.encode() not in body


async def test_rotation_revokes_every_old_url(admin: Api, client) -> None:
    alice = await admin.add_member("alice")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    await new_post(alice, "pay", SECRET_TEXT)
    old = await feed_urls(alice, tag="payroll")
    status, group = await alice.get("/api/v1/groups/pay")
    assert status == 200 and group["feed_url"] == old["groups"][0]["url"]
    for url in (old["home"], old["groups"][0]["url"], old["tags"][0]["url"]):
        assert (await fetch(client, url))[0] == 200

    status, new = await alice.post("/api/v1/me/feeds/rotate")
    assert status == 200, new
    assert new["home"] != old["home"] and new["groups"][0]["url"] != old["groups"][0]["url"]
    for url in (old["home"], old["groups"][0]["url"], old["tags"][0]["url"]):
        await _assert_hidden(client, url)
    assert (await fetch(client, new["groups"][0]["url"]))[0] == 200
    assert (await alice.get("/api/v1/groups/pay"))[1]["feed_url"] == new["groups"][0]["url"]


async def test_feed_url_listing_rejects_bad_input_and_hides_private_posts(
    admin: Api, client
) -> None:
    alice = await admin.add_member("alice")
    carol = await admin.add_member("carol")
    assert (await alice.post("/api/v1/groups", {"name": "pay", "title": "Pay"}))[0] == 201
    post = await new_post(alice, "pay", SECRET_TEXT)
    before = await feed_urls(carol)
    assert before["groups"] == [] and before["home"].startswith("http://127.0.0.1:")

    status, body = await carol.get("/api/v1/me/feeds", params={"tag": "no tags!"})
    assert status == 422 and body["type"] == "/problems/validation"
    status, body = await carol.get("/api/v1/me/feeds", params={"post": post["id"]})
    assert status == 404 and SECRET_TEXT not in str(body)
    assert await feed_urls(carol) == before  # nothing changed

    status, _ = await Api(client).get("/api/v1/me/feeds")
    assert status == 401
    status, _ = await Api(client).post("/api/v1/me/feeds/rotate")
    assert status == 401
    assert await feed_urls(carol) == before


def test_tokens_are_per_path_and_constant_shape() -> None:
    key = tokens.new_key()
    one, two = tokens.token_for(key, "/feeds/home.atom"), tokens.token_for(key, "/feeds/x.atom")
    assert one != two and len(one) == len(two) == tokens.TOKEN_CHARS
    parsed = tokens.parse(one)
    assert parsed is not None and parsed.key_id == key.key_id
    assert tokens.verify(key.secret, "/feeds/home.atom", parsed.mac)
    assert not tokens.verify(key.secret, "/feeds/x.atom", parsed.mac)
    assert not tokens.verify(tokens.new_key().secret, "/feeds/home.atom", parsed.mac)
    assert tokens.parse(one + "a") is None and tokens.parse(one[:-1] + "!") is None
