"""Writes into a shared group, the edges: what a partner's member's account on the host may
not become, a post the host deletes taking the evidence its accepted answer earned on the
member server, a member deleted with their posts taking them off the copies, a copy
rebuilt from the backfill, the same object delivered twice, a post with no title or body
or too many tags, and writes that never reach the host."""

from __future__ import annotations

from datetime import timedelta

from feedserver.domain.posts import MAX_TAGS
from feedserver.federation.proofs import sign_object
from tests.federation.test_inbox import post, signed_post

from .test_shared_group_flow import drain, dump, login
from .test_shared_group_writes import (
    ANSWER,
    QUESTION,
    bob_asks_carol_answers,
    copy_posts,
    member_write,
    shared_group_with_bob_and_carol,
    topics,
)


async def test_admins_on_the_host_cannot_reach_a_partner_members_account(trio):
    """bob@B's account on A is never found by username: not by an admin either, who could
    otherwise make it an admin (moderating every group it writes in, and counting as the
    admin that lets the last real one step down) or suspend it, to no effect."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                             {"kind": "tip", "title": "Hello from B", "body": "x"},
                             token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b)
    assert await a.count("posts") == 1
    one = f"/api/v1/admin/members/bob@{b.host}"
    assert (await a.call("PUT", f"{one}/admin"))[0] == 404
    assert (await a.call("PUT", f"{one}/suspension"))[0] == 404
    assert (await a.call("PUT", f"{one}/password", {"password": "x" * 12}))[0] == 404
    assert (await a.call("DELETE", f"{one}?content=remove"))[0] == 404
    async with a.services.db.read() as conn:
        found = await conn.execute_fetchall(
            "SELECT is_admin, password_hash FROM members WHERE home_host IS NOT NULL"
        )
    assert [tuple(r) for r in found] == [(0, None)]
    assert await a.count("posts") == 1


async def test_an_accepted_answer_deleted_on_the_host_is_no_longer_evidence_on_b(trio):
    """carol (B) answers alice's question, alice accepts it and carol earns the evidence on
    B; alice then deletes the answer (or the thread) on A: as on A, a deleted post is
    evidence of nothing, and a Delete for a post of another group removes nothing."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked = []
    for title in (QUESTION, "Which payroll calendar?"):
        status, body = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                    {"kind": "question", "title": title, "body": "?",
                                     "tags": ["payroll"]}, token=alice)  # fmt: skip
        asked.append(body["id"])
    await drain(a, b)
    for question in asked:
        status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                                 {"in_reply_to": f"{a.url}/posts/{question}", "body": ANSWER},
                                 token=carol)  # fmt: skip
        assert status == 202
    await drain(a, b)
    for question in asked:
        status, thread = await a.call("GET", f"/api/v1/posts/{question}", token=alice)
        (answer,) = thread["items"]
        status, _ = await a.call("POST", f"/api/v1/posts/{answer['id']}/accept", token=alice)
        assert status == 200
    await drain(a, b)
    assert await b.count("expertise_evidence") == 2
    # The first answer deleted on A: its evidence on B goes with it.
    status, thread = await a.call("GET", f"/api/v1/posts/{asked[0]}", token=alice)
    assert (await a.call("DELETE", f"/api/v1/posts/{thread['items'][0]['id']}",
                         token=alice))[0] == 204  # fmt: skip
    await drain(a, b)
    assert await b.count("expertise_evidence") == 1
    assert "payroll" in await topics(b, "carol")
    # The second thread deleted on A: nothing of it counts any more.
    assert (await a.call("DELETE", f"/api/v1/posts/{asked[1]}", token=alice))[0] == 204
    await drain(a, b)
    assert await b.count("expertise_evidence") == 0
    assert "payroll" not in await topics(b, "carol")
    assert [p for p in await copy_posts(b, address, bob) if p["kind"] == "answer"] == []


async def test_a_delete_from_a_host_removes_only_evidence_of_its_own_group(trio):
    """A Delete names any object id; the evidence it removes on B is only that of a post of
    the group the host speaks for, never B's own."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, _ = await b.call("POST", "/api/v1/groups", {"name": "b-team", "title": "B team",
                             "visibility": "org"}, token=bob)  # fmt: skip
    assert status == 201
    status, story = await b.call("POST", "/api/v1/groups/b-team/posts",
                                 {"kind": "story", "title": "Our cutover", "body": "x",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    assert status == 201
    before = await b.count("expertise_evidence")
    assert before == 1
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{a.url}/groups/payroll-pros#activity-forged-delete", "type": "Delete",
        "actor": f"{a.url}/actor", "audience": f"{a.url}/groups/payroll-pros",
        "object": f"{b.url}/posts/{story['id']}",
    }  # fmt: skip
    status, _, text = await post(b, *signed_post(a, b, activity))
    assert status in (200, 202), text
    assert await b.count("expertise_evidence") == before


async def test_the_same_object_in_a_second_activity_is_refused_with_a_problem(trio):
    """A member server delivering an object A already took, under a new activity id: a 4xx
    problem (not a 500 that it would retry for days), and nothing stored twice."""
    a, b, c = trio
    await shared_group_with_bob_and_carol(a, b, c)
    url = f"{a.url}/groups/payroll-pros"
    first = member_write(b, url, "bob", 1)
    assert (await post(a, *signed_post(b, a, first)))[0] in (200, 202)
    posts, objects = await a.count("posts"), await a.count("partner_posts")
    again = dict(first, id=f"{b.url}/activities/again-1")
    status, content_type, text = await post(a, *signed_post(b, a, again))
    assert 400 <= status < 500, (status, text)
    assert content_type == "application/problem+json"
    assert (await a.count("posts"), await a.count("partner_posts")) == (posts, objects)


async def test_writes_behind_one_given_up_are_marked_refused_too(trio):
    """A is down for longer than B keeps trying: the first write's delivery is given up, and
    the ones queued behind it with it; every one of them shows refused to its writer, none
    pending for ever."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await a.server.close()
    for n in range(3):
        status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "tip", "title": f"Tip {n}", "body": "x"},
                                 token=bob)  # fmt: skip
        assert status == 202
    now = b.services.clock()
    hours = b.config.delivery_give_up_hours
    await b.fed.worker.run_once(now)
    assert await b.fed.worker.run_once(now + timedelta(hours=hours, minutes=1)) == 0
    assert await b.count("deliveries WHERE state = 'pending'") == 0
    states = {p["title"]: p["state"] for p in await copy_posts(b, address, bob)}
    assert states == {"Tip 0": "refused", "Tip 1": "refused", "Tip 2": "refused"}


async def test_a_member_deleted_with_their_posts_takes_them_off_every_copy(trio):
    """An admin on A deletes alice and her posts: they go from A and, as when she deletes
    them herself, from the copies on member servers too (a Delete for each)."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    dave = await login(a, "dave")
    status, _ = await a.call("PUT", "/api/v1/groups/payroll-pros/members/dave",
                             {"role": "member"}, token=alice)  # fmt: skip
    assert status == 200
    status, asked = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?"},
                                 token=dave)  # fmt: skip
    status, _ = await a.call("POST", f"/api/v1/posts/{asked['id']}/replies",
                             {"body": "Ask the payroll desk"}, token=alice)  # fmt: skip
    assert status == 201
    status, _ = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                             {"kind": "tip", "title": "Payroll tip", "body": "x"},
                             token=dave)  # fmt: skip
    await drain(a, b)
    assert len(await copy_posts(b, address, bob)) == 3
    assert (await a.call("DELETE", "/api/v1/admin/members/dave?content=remove"))[0] == 200
    await drain(a, b)
    assert await copy_posts(b, address, bob) == []
    assert QUESTION not in await dump(b) and "payroll desk" not in await dump(b)


async def test_a_post_without_a_title_or_a_reply_without_a_body_is_refused(trio):
    """The host's rules for a post are its own members' rules: a post needs a title, a
    reply a body; a member server's write without one is a 422, and nothing is stored."""
    a, b, c = trio
    await shared_group_with_bob_and_carol(a, b, c)
    url = f"{a.url}/groups/payroll-pros"
    untitled = member_write(b, url, "bob", 1)
    del untitled["object"]["proof"], untitled["object"]["name"]
    untitled["object"] = sign_object(untitled["object"], b.key, b.key_id)
    status, _, text = await post(a, *signed_post(b, a, untitled))
    assert status == 422, text
    assert (await post(a, *signed_post(b, a, member_write(b, url, "bob", 2))))[0] == 202
    async with a.services.db.read() as conn:
        (tip,) = await conn.execute_fetchall("SELECT object_id FROM partner_posts")
    empty = member_write(b, url, "bob", 3)
    obj = {k: v for k, v in empty["object"].items() if k not in ("proof", "name")}
    obj.update({"inReplyTo": tip[0], "feedserver:kind": "reply", "content": " ",
                "source": {"content": " \n", "mediaType": "text/markdown"}})  # fmt: skip
    empty["object"] = sign_object(obj, b.key, b.key_id)
    status, _, text = await post(a, *signed_post(b, a, empty))
    assert status == 422, text
    assert await a.count("posts") == 1


async def test_a_copy_rebuilt_still_knows_which_posts_its_members_wrote(trio):
    """B's copy goes (none of B's members left in the group) and comes back (bob added
    again, the group's posts backfilled): bob still accepts an answer to the question he
    asked from B, and carol's accepted answer still earns her the evidence on B."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, _ = await bob_asks_carol_answers(a, b, address, bob, carol)
    for who in ("bob", "carol"):
        status, _ = await a.call("DELETE", f"/api/v1/groups/payroll-pros/members/{who}@{b.host}",
                                 token=alice)  # fmt: skip
        assert status == 204
    await drain(a, b)
    assert await b.count("cached_posts") == 0
    for who in ("bob", "carol"):
        status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/{who}@{b.host}",
                                 {"role": "member"}, token=alice)  # fmt: skip
        assert status == 200
    await drain(a, b)
    (answer,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "answer"]
    status, body = await b.call("POST", f"/api/v1/groups/{address}/accept",
                                {"answer_id": answer["id"]}, token=bob)  # fmt: skip
    assert status == 202, body
    await drain(a, b)
    (question,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "question"]
    assert question["accepted_answer_id"] == answer["id"]
    assert "payroll" in await topics(b, "carol")


async def test_a_post_with_more_tags_than_a_local_one_may_have_is_refused(trio):
    """MAX_TAGS holds for a member server's post as for a local one's (tag pages, feeds)."""
    a, b, c = trio
    await shared_group_with_bob_and_carol(a, b, c)
    tagged = member_write(b, f"{a.url}/groups/payroll-pros", "bob", 1)
    obj = {k: v for k, v in tagged["object"].items() if k != "proof"}
    obj["tag"] = [{"type": "Hashtag", "name": f"#topic-{n}"} for n in range(MAX_TAGS + 1)]
    tagged["object"] = sign_object(obj, b.key, b.key_id)
    status, _, text = await post(a, *signed_post(b, a, tagged))
    assert status == 422, text
    assert await a.count("posts") == 0


async def test_a_copy_backfilled_shows_the_accepted_answers_and_keeps_evidence_right(trio):
    """A copy built from the backfill is told which answers its threads accepted, so it
    shows them, and a later choice on the host withdraws the evidence the earlier one
    earned on B."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, asked = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=alice)  # fmt: skip
    await drain(a, b)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": f"{a.url}/posts/{asked['id']}", "body": ANSWER},
                             token=carol)  # fmt: skip
    await drain(a, b)
    status, thread = await a.call("GET", f"/api/v1/posts/{asked['id']}", token=alice)
    (carols,) = thread["items"]
    assert (await a.call("POST", f"/api/v1/posts/{carols['id']}/accept", token=alice))[0] == 200
    await drain(a, b)
    assert "payroll" in await topics(b, "carol")
    members = "/api/v1/groups/payroll-pros/members"
    for who in ("bob", "carol"):
        await a.call("DELETE", f"{members}/{who}@{b.host}", token=alice)
    await drain(a, b)
    for who in ("bob", "carol"):
        await a.call("PUT", f"{members}/{who}@{b.host}", {"role": "member"}, token=alice)
    await drain(a, b)
    (question,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "question"]
    (answer,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "answer"]
    assert question["accepted_answer_id"] == answer["id"]
    # alice answers too and accepts her own answer: carol's evidence goes, on B as on A.
    status, own = await a.call("POST", f"/api/v1/posts/{asked['id']}/replies",
                               {"body": "Or ask me"}, token=alice)  # fmt: skip
    assert (await a.call("POST", f"/api/v1/posts/{own['id']}/accept", token=alice))[0] == 200
    await drain(a, b)
    assert "payroll" not in await topics(b, "carol")
