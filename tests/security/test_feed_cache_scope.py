"""Feeds over several groups (home, tag) cache rendered bytes under a version of the groups
the reader may read. The version must change whenever that *set* changes, or a member who left
a group (or a group that went private) keeps getting its posts from the cache."""

from __future__ import annotations

from feedserver import appkeys
from feedserver.store import groups as group_store
from tests.conftest import Api
from tests.security.helpers import group, local, post

SECRET = "Quokka layoffs plan"


async def test_home_feed_drops_a_group_the_member_was_removed_from(admin: Api) -> None:
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    await group(alice, "board", "private", "bob")
    await group(alice, "lunch", "private", "bob")
    await post(alice, "board", SECRET)
    await post(alice, "lunch", "Pizza on Friday?")  # lunch now holds the newest change
    status, urls = await bob.get("/api/v1/me/feeds")
    home = local(urls["home"])
    status, before = await bob.as_(None).get(home)
    assert status == 200 and SECRET in before

    assert (await alice.delete("/api/v1/groups/board/members/bob"))[0] == 204
    # Bob starts a group of his own: as many groups as before, and the newest change among
    # them is still lunch's.
    await group(bob, "bobs-notes", "private")
    status, after = await bob.as_(None).get(home)
    assert status == 200 and "Pizza on Friday?" in after
    assert SECRET not in after


async def test_tag_feed_drops_a_group_that_went_private(admin: Api, client) -> None:
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    await group(alice, "strategy", "org")
    await group(alice, "lunch", "private", "bob")
    await post(alice, "strategy", SECRET, tags=["plans"])
    await post(alice, "lunch", "Pizza plans", tags=["plans"])
    status, urls = await bob.get("/api/v1/me/feeds", params={"tag": "plans"})
    tag_feed = local(urls["tags"][0]["url"])
    status, before = await bob.as_(None).get(tag_feed)
    assert status == 200 and SECRET in before

    # An admin makes the org group private (store level: no route changes visibility yet),
    # and someone opens a new org group the same moment.
    services = client.app[appkeys.SERVICES]
    async with services.db.write() as conn:
        found = await group_store.by_name(conn, "strategy")
        await group_store.update(
            conn, found.id, title=found.title, description="", visibility="private"
        )
    await group(alice, "new-org-group", "org")
    status, after = await bob.as_(None).get(tag_feed)
    assert status == 200 and "Pizza plans" in after
    assert SECRET not in after
    # And the group's own feed and the API are closed at once.
    assert (await bob.get("/api/v1/groups/strategy"))[0] == 404


async def test_a_remembered_feed_answer_is_never_given_after_leaving_or_rotation(
    admin: Api, client
) -> None:
    """Remembered answers are keyed by the exact URL, token included, and are sent before
    any handler runs: a member removed from the group, or whose old URLs were revoked by a
    rotation, must get the feed's 404 at once, even with the validator they hold."""
    alice, bob = await admin.add_member("alice"), await admin.add_member("bob")
    await group(alice, "board", "private", "bob")
    await post(alice, "board", SECRET)
    answers = client.app[appkeys.FEED_CACHE].answers

    async def poll(url: str, etag: str = "") -> tuple[int, str]:
        headers = {"If-None-Match": etag} if etag else {}
        async with client.get(url, headers=headers) as resp:
            return resp.status, resp.headers.get("ETag", "")

    async def remembered(url: str) -> str:
        status, etag = await poll(url)
        assert status == 200
        hits = answers.hits
        assert await poll(url, etag) == (304, etag) and answers.hits == hits + 1
        return etag

    feed = local((await bob.get("/api/v1/me/feeds"))[1]["groups"][0]["url"])
    etag = await remembered(feed)
    assert (await alice.delete("/api/v1/groups/board/members/bob"))[0] == 204
    hits = answers.hits
    assert (await poll(feed, etag))[0] == 404 and (await poll(feed))[0] == 404
    assert answers.hits == hits

    assert (await alice.put("/api/v1/groups/board/members/bob", {"role": "member"}))[0] == 200
    etag = await remembered(feed)
    assert (await bob.post("/api/v1/me/feeds/rotate"))[0] == 200
    hits = answers.hits
    assert (await poll(feed, etag))[0] == 404 and (await poll(feed))[0] == 404
    assert answers.hits == hits
