"""Writes into a shared group from its members on a member server: bob and carol, on B, ask
and answer in A's group through B's API; A checks each one, stores it and relays the object
B signed, proof intact, to the servers holding a copy (B itself included: that is how B
learns it was taken). Three real servers on loopback; C, a partner of A the group is not
shared with, receives nothing."""

from __future__ import annotations

import json

import aiohttp

from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.proofs import sign_object
from tests.federation.test_inbox import post, signed_post
from tests.feeds.test_newsboat import NEWSBOAT, _unread

from .test_shared_group_flow import drain, dump, login, setup_group

QUESTION = "How do I back-date a payroll run?"
ANSWER = "Open the period, then rerun with the effective date"


async def shared_group_with_bob_and_carol(a, b, c):
    alice, bob, carol = await setup_group(a, b, c)
    for who in ("bob", "carol"):
        status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/{who}@{b.host}",
                                 {"role": "member"}, token=alice)  # fmt: skip
        assert status == 200
    await drain(a, b, c)
    return alice, bob, carol, f"payroll-pros@{a.host}"


async def bob_asks_carol_answers(a, b, address, bob, carol):
    """From B: bob asks a question tagged payroll, carol answers it; A takes both."""
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    assert status == 202, asked
    await drain(a, b)
    status, answered = await b.call("POST", f"/api/v1/groups/{address}/replies",
                                    {"in_reply_to": asked["id"], "body": ANSWER},
                                    token=carol)  # fmt: skip
    assert status == 202, answered
    await drain(a, b)
    return asked, answered


async def titles(node, address, token):
    status, body = await node.call("GET", f"/api/v1/groups/{address}/posts", token=token)
    assert status == 200, body
    return {(p["title"] or p["body_html"], p["state"]) for p in body["items"]}


async def a_posts(a):
    async with a.services.db.read() as conn:
        found = await conn.execute_fetchall(
            "SELECT p.kind, p.title, p.body, m.username, p.parent_id FROM posts p"
            " JOIN members m ON m.id = p.author_id ORDER BY p.seq"
        )
    return [tuple(row) for row in found]


async def test_members_on_b_ask_and_answer_in_a_group_hosted_on_a(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    # bob asks on B: he sees it at once, pending; carol does not see it yet.
    b.fed.wake_worker.clear()  # it stays on B until drain() sends it
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION, "body": "Which screen?",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    assert status == 202, asked
    assert asked["state"] == "pending" and asked["author"]["username"] == f"bob@{b.host}"
    assert await titles(b, address, bob) == {(QUESTION, "pending")}
    assert await titles(b, address, carol) == set()
    await drain(a, b, c)
    # A took it: alice reads it on A, under bob@B; B shows it to both, accepted.
    assert await a_posts(a) == [("question", QUESTION, "Which screen?", f"bob@{b.host}", None)]
    assert await titles(b, address, carol) == {(QUESTION, "accepted")}
    status, listed = await a.call("GET", "/api/v1/groups/payroll-pros/posts", token=alice)
    (question,) = listed["items"]
    assert question["author"]["username"] == f"bob@{b.host}" and question["tags"] == ["payroll"]
    # The object A relayed is the one B signed, proof intact.
    async with b.services.db.read() as conn:
        (row,) = await conn.execute_fetchall("SELECT object FROM cached_posts")
    relayed = json.loads(row[0])
    assert relayed["id"] == asked["id"] and relayed["proof"]["verificationMethod"].startswith(b.url)
    # alice answers on A: B shows the answer under bob's question.
    status, _ = await a.call("POST", f"/api/v1/posts/{question['id']}/replies",
                             {"body": ANSWER}, token=alice)  # fmt: skip
    assert status == 201
    # carol answers bob's question from B.
    status, answered = await b.call("POST", f"/api/v1/groups/{address}/replies",
                                    {"in_reply_to": asked["id"], "body": "Ask payroll ops"},
                                    token=carol)  # fmt: skip
    assert status == 202 and answered["kind"] == "answer" and answered["state"] == "pending"
    await drain(a, b, c)
    status, body = await b.call("GET", f"/api/v1/groups/{address}/posts", token=bob)
    answers = {p["author"]["username"]: p for p in body["items"] if p["kind"] == "answer"}
    assert set(answers) == {f"alice@{a.host}", f"carol@{b.host}"}
    assert {p["parent_id"] for p in answers.values()} == {asked["id"]}
    assert {p["state"] for p in answers.values()} == {"accepted"}
    on_a = await a_posts(a)
    assert on_a[2] == ("answer", "", "Ask payroll ops", f"carol@{b.host}", question["id"])
    # A's thread shows both answers; A's reply count is right.
    status, thread = await a.call("GET", f"/api/v1/posts/{question['id']}", token=alice)
    assert status == 200 and len(thread["items"]) == 2
    # C, a partner of A the group is not shared with, received nothing of it.
    assert "payroll" not in (text := await dump(c)) and QUESTION not in text
    # A partner's member is not one of A's members: not in its admin list or directory,
    # with no member page, and earning nothing here when alice accepts their answer.
    status, body = await a.call("GET", "/api/v1/admin/members")
    assert status == 200 and f"bob@{b.host}" not in json.dumps(body)
    assert (await a.call("GET", f"/api/v1/members/carol@{b.host}", token=alice))[0] == 404
    carols = [r for r in thread["items"] if r["author"]["username"] == f"carol@{b.host}"]
    status, _ = await a.call("POST", f"/api/v1/posts/{carols[0]['id']}/accept", token=alice)
    assert status == 200
    status, body = await a.call("GET", "/api/v1/experts?topic=payroll", token=alice)
    assert status == 200 and f"@{b.host}" not in json.dumps(body)
    # Nobody can sign in as the account bob writes under on A.
    status, _ = await a.call("POST", "/api/v1/sessions",
                             {"username": f"bob@{b.host}", "password": ""})  # fmt: skip
    assert status in (400, 401, 422)


async def test_only_members_write_and_b_checks_first(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    dave = await login(b, "dave")
    # dave (on B, not in the group) cannot even see it on B.
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/posts",
                             {"kind": "tip", "title": "Hi", "body": "x"}, token=dave)  # fmt: skip
    assert status == 404
    # A reply must name a post of the group B holds.
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": f"{a.url}/posts/nope", "body": "x"},
                             token=bob)  # fmt: skip
    assert status == 404
    # Our own groups take replies at /api/v1/posts/{id}/replies.
    status, _ = await b.call("POST", "/api/v1/groups/payroll-pros/replies",
                             {"in_reply_to": "x", "body": "x"}, token=bob)  # fmt: skip
    assert status == 404
    assert await b.count("cached_posts") == 0 and await b.count("deliveries") == 0


def member_write(sender, group_url, author, n, key_node=None, attributed=None):
    key_node = key_node or sender
    obj = {
        "@context": OBJECT_CONTEXT, "id": f"{sender.url}/posts/hostile-{n}", "type": "Note",
        "attributedTo": attributed or f"{sender.url}/users/{author}", "audience": group_url,
        "content": "<p>Buy now</p>", "name": f"Hostile {n}", "published": "2026-01-01T00:00:00Z",
        "updated": "2026-01-01T00:00:00Z", "feedserver:kind": "tip",
        "source": {"content": "Buy now", "mediaType": "text/markdown"},
    }  # fmt: skip
    return {
        "@context": OBJECT_CONTEXT, "id": f"{sender.url}/activities/hostile-{n}",
        "type": "Create", "actor": f"{sender.url}/users/{author}", "audience": group_url,
        "object": sign_object(obj, key_node.key, key_node.key_id),
    }  # fmt: skip


async def test_hostile_member_servers_are_refused_and_nothing_is_stored(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    await login(b, "dave")
    url = f"{a.url}/groups/payroll-pros"
    before = await a.count("posts"), await a.count("members")
    # B writes as dave, who is not a member: refused.
    status, _, text = await post(a, *signed_post(b, a, member_write(b, url, "dave", 1)))
    assert status == 403, text
    # C, a partner of A the group is not shared with, writes as its own member.
    await login(c, "erin")
    status, _, _ = await post(a, *signed_post(c, a, member_write(c, url, "erin", 2)))
    assert status == 403
    # B claims bob wrote what dave sends (the actor writes only as themselves).
    forged = member_write(b, url, "dave", 3, attributed=f"{b.url}/users/bob")
    status, _, _ = await post(a, *signed_post(b, a, forged))
    assert status == 422
    # C signs an object of B's, delivered by B: the proof is not B's.
    status, _, _ = await post(a, *signed_post(b, a, member_write(b, url, "bob", 4, key_node=c)))
    assert status in (403, 422)
    # B writes as bob into a group of A's not shared with it.
    status, _ = await a.call("POST", "/api/v1/groups", {"name": "payroll-team", "title": "P",
                             "visibility": "private"}, token=alice)  # fmt: skip
    other = f"{a.url}/groups/payroll-team"
    status, _, _ = await post(a, *signed_post(b, a, member_write(b, other, "bob", 5)))
    assert status == 403
    assert (await a.count("posts"), await a.count("members")) == before
    # A genuine write of bob's, then its replay: stored once.
    headers, body = signed_post(b, a, member_write(b, url, "bob", 6))
    assert (await post(a, headers, body))[0] in (200, 202)
    assert (await post(a, headers, body))[0] == 401
    assert await a.count("posts") == before[0] + 1


async def answer_held_on_b(a, b, address, alice, bob, text):
    """alice asks on A; bob answers on B, where his answer stays (pending) until the test
    drains B's worker: (the question on A, bob's answer on B)."""
    status, question = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                    {"kind": "question", "title": QUESTION, "body": "?"},
                                    token=alice)  # fmt: skip
    assert status == 201, question
    await drain(a, b)
    status, body = await b.call("GET", f"/api/v1/groups/{address}/posts", token=bob)
    (copy,) = body["items"]
    b.fed.wake_worker.clear()  # the write does not wake B's worker: drain() sends it
    status, answered = await b.call("POST", f"/api/v1/groups/{address}/replies",
                                    {"in_reply_to": copy["id"], "body": text},
                                    token=bob)  # fmt: skip
    assert status == 202, answered
    return question, answered


async def test_a_write_the_host_refuses_is_marked_refused_for_its_writer(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    question, _ = await answer_held_on_b(a, b, address, alice, bob, ANSWER)
    # The question is gone on A before bob's answer reaches it, and A's Delete has not reached
    # B yet (removed in A's database directly, so that no Delete is queued for B).
    async with a.services.db.write() as conn:
        await conn.execute("DELETE FROM posts WHERE id = ?", (question["id"],))
    await drain(b)
    status, body = await b.call("GET", f"/api/v1/groups/{address}/posts", token=bob)
    (mine,) = [p for p in body["items"] if p["kind"] == "answer"]
    assert ANSWER in mine["body_html"] and mine["state"] == "refused"
    # Only bob sees his refused answer; he removes it, at once (it never left B).
    status, body = await b.call("GET", f"/api/v1/groups/{address}/posts", token=carol)
    assert ANSWER not in json.dumps(body)
    status, body = await b.call("POST", f"/api/v1/groups/{address}/deletions",
                                {"post_id": mine["id"]}, token=bob)  # fmt: skip
    assert status == 202 and body["state"] == "deleted"
    assert ANSWER not in json.dumps(await copy_posts(b, address, bob))
    assert await a.count("posts") == 0


async def topics(node, username, token=None):
    status, body = await node.call("GET", f"/api/v1/members/{username}/profile", token=token)
    assert status == 200, body
    return {t["topic"]: t["score"] for t in body["topics"]}


async def copy_posts(node, address, token):
    status, body = await node.call("GET", f"/api/v1/groups/{address}/posts", token=token)
    assert status == 200, body
    return body["items"]


async def test_answers_accepted_across_servers_count_where_their_authors_live(trio, tmp_path):
    """The whole flow: bob (B) asks, alice (A) answers, bob accepts on B and alice earns the
    evidence on A; newsboat reads the thread in B's feed of the group; carol (B) answers
    alice's question, alice accepts on A and carol earns it on B. Narrowed to private, the
    group leaves nothing readable on B."""
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    status, group = await b.call("GET", f"/api/v1/groups/{address}", token=bob)
    feed_url = group["feed_url"]
    async with aiohttp.ClientSession() as session, session.get(feed_url) as resp:
        assert QUESTION not in await resp.text()  # pending: not in the group's feed yet
    await drain(a, b)
    status, listed = await a.call("GET", "/api/v1/groups/payroll-pros/posts", token=alice)
    question_on_a = listed["items"][0]["id"]
    status, answer_on_a = await a.call("POST", f"/api/v1/posts/{question_on_a}/replies",
                                       {"body": ANSWER}, token=alice)  # fmt: skip
    await drain(a, b)
    (alices,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "answer"]
    async with aiohttp.ClientSession() as session, session.get(feed_url) as resp:
        text = await resp.text()
    assert QUESTION in text and ANSWER in text
    if NEWSBOAT is not None:  # a real reader sees the thread: the question and its answer
        reader = tmp_path / "newsboat"
        reader.mkdir()
        assert await _unread(reader, feed_url) == 2
    # carol (not the asker, a plain member) may not accept it; bob, the asker, may.
    accept = f"/api/v1/groups/{address}/accept"
    status, _ = await b.call("POST", accept, {"answer_id": alices["id"]}, token=carol)
    assert status == 403
    assert "payroll" not in await topics(a, "alice", alice)
    status, body = await b.call("POST", accept, {"answer_id": alices["id"]}, token=bob)
    assert status == 202, body
    await drain(a, b)
    status, thread = await a.call("GET", f"/api/v1/posts/{question_on_a}", token=alice)
    assert thread["post"]["accepted_answer_id"] == answer_on_a["id"]
    assert "payroll" in await topics(a, "alice", alice)  # alice's expertise, on A
    (question,) = [p for p in await copy_posts(b, address, bob) if p["kind"] == "question"]
    assert question["accepted_answer_id"] == alices["id"]
    # carol answers alice's question from B; alice accepts it on A.
    status, second = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                                  {"kind": "question", "title": "Which payroll calendar?",
                                   "body": "?", "tags": ["payroll"]}, token=alice)  # fmt: skip
    await drain(a, b)
    second_copy = f"{a.url}/posts/{second['id']}"
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": second_copy, "body": "The 2026 one"},
                             token=carol)  # fmt: skip
    assert status == 202
    await drain(a, b)
    assert "payroll" not in await topics(b, "carol")
    status, thread = await a.call("GET", f"/api/v1/posts/{second['id']}", token=alice)
    (carols,) = thread["items"]
    status, _ = await a.call("POST", f"/api/v1/posts/{carols['id']}/accept", token=alice)
    assert status == 200
    await drain(a, b)
    # carol's expertise, on B (her own server), and none for her account on A. It is tied to
    # no group of B's: it names its topic to B's admins and the group's members on B
    # (test_shared_group_evidence.py), and counts for everyone.
    assert "payroll" in await topics(b, "carol")
    status, body = await a.call("GET", "/api/v1/experts?topic=payroll", token=alice)
    assert f"carol@{b.host}" not in json.dumps(body)
    # The choice withdrawn on A: the evidence on B goes with it.
    status, _ = await a.call("DELETE", f"/api/v1/posts/{carols['id']}/accept", token=alice)
    assert status == 200
    await drain(a, b)
    assert "payroll" not in await topics(b, "carol")
    # C saw nothing of it; narrowed to private, B keeps nothing of it.
    assert QUESTION not in await dump(c)
    status, _ = await a.call("PATCH", "/api/v1/groups/payroll-pros", {"visibility": "private"},
                             token=alice)  # fmt: skip
    await drain(a, b)
    assert await b.count("cached_posts") == 0 and QUESTION not in await dump(b)


async def test_members_on_b_remove_posts_through_the_host(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    assert await a.count("posts") == 2
    deletions = f"/api/v1/groups/{address}/deletions"
    # carol, a plain member, may not remove bob's question: B says so, and so would A.
    status, _ = await b.call("POST", deletions, {"post_id": asked["id"]}, token=carol)
    assert status == 403
    forged = {
        "@context": OBJECT_CONTEXT, "id": f"{b.url}/activities/forged-delete", "type": "Delete",
        "actor": f"{b.url}/users/carol", "audience": f"{a.url}/groups/payroll-pros",
        "object": asked["id"],
    }  # fmt: skip
    status, _, _ = await post(a, *signed_post(b, a, forged))
    assert status == 403 and await a.count("posts") == 2
    # carol removes her own answer; bob his question: A removes each, and B's copy follows.
    status, body = await b.call("POST", deletions, {"post_id": answered["id"]}, token=carol)
    assert status == 202 and body["state"] == "pending"
    await drain(a, b)
    assert await a.count("posts") == 1
    assert [p["kind"] for p in await copy_posts(b, address, bob)] == ["question"]
    status, _ = await b.call("POST", deletions, {"post_id": asked["id"]}, token=bob)
    assert status == 202
    await drain(a, b)
    assert await a.count("posts") == 0 and await copy_posts(b, address, bob) == []
    assert QUESTION not in await dump(b)


async def test_members_on_b_mark_posts_helpful_through_the_host(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    status, tip = await a.call("POST", "/api/v1/groups/payroll-pros/posts",
                               {"kind": "tip", "title": "Close the period first", "body": "x",
                                "tags": ["payroll"]}, token=alice)  # fmt: skip
    await drain(a, b)
    (copy,) = await copy_posts(b, address, bob)
    helpful = f"/api/v1/groups/{address}/helpful"
    status, body = await b.call("POST", helpful, {"post_id": copy["id"]}, token=bob)
    assert status == 202 and body == {"post_id": copy["id"], "helpful": True, "state": "pending"}
    await drain(a, b)
    status, shown = await a.call("GET", f"/api/v1/posts/{tip['id']}", token=alice)
    assert shown["post"]["helpful_count"] == 1
    assert "payroll" in await topics(a, "alice", alice)  # evidence for alice, on A
    status, _ = await b.call("POST", helpful, {"post_id": copy["id"], "helpful": False},
                             token=bob)  # fmt: skip
    await drain(a, b)
    status, shown = await a.call("GET", f"/api/v1/posts/{tip['id']}", token=alice)
    assert shown["post"]["helpful_count"] == 0
    # Nobody marks their own post helpful: B says so before sending anything.
    status, mine = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                {"kind": "tip", "title": "Mine", "body": "x"},
                                token=bob)  # fmt: skip
    await drain(a, b)
    status, _ = await b.call("POST", helpful, {"post_id": mine["id"]}, token=bob)
    assert status == 409


async def test_members_on_b_edit_their_posts_through_the_host(trio):
    a, b, c = trio
    alice, bob, carol, address = await shared_group_with_bob_and_carol(a, b, c)
    asked, answered = await bob_asks_carol_answers(a, b, address, bob, carol)
    edits = f"/api/v1/groups/{address}/edits"
    # Only the author edits; a reply has only a body.
    status, _ = await b.call("POST", edits, {"post_id": asked["id"], "body": "x"}, token=carol)
    assert status == 403
    status, _ = await b.call("POST", edits, {"post_id": answered["id"], "title": "T"},
                             token=carol)  # fmt: skip
    assert status == 422
    # B signing carol's new version of bob's question: A refuses it.
    obj = dict(asked_object := (await copy_objects(b))[asked["id"]])
    obj.pop("proof")
    obj.update(attributedTo=f"{b.url}/users/carol", name="Hijacked", updated="2030-01-01T00:00:00Z")
    forged = {
        "@context": OBJECT_CONTEXT, "id": f"{b.url}/activities/forged-update", "type": "Update",
        "actor": f"{b.url}/users/carol", "audience": asked_object["audience"],
        "object": sign_object(obj, b.key, b.key_id),
    }  # fmt: skip
    status, _, _ = await post(a, *signed_post(b, a, forged))
    assert status == 403
    # bob's new version: A keeps the revision, B's copy shows it.
    status, body = await b.call("POST", edits, {"post_id": asked["id"],
                                "title": "How do I back-date a run?", "body": "Which menu?",
                                "tags": ["payroll", "deadlines"]}, token=bob)  # fmt: skip
    assert status == 202 and body["state"] == "pending"
    status, _ = await b.call("POST", edits, {"post_id": answered["id"], "body": "Ask ops"},
                             token=carol)  # fmt: skip
    assert status == 202
    await drain(a, b)
    on_a = await a_posts(a)
    assert on_a[0][:4] == ("question", "How do I back-date a run?", "Which menu?", f"bob@{b.host}")
    assert on_a[1][2] == "Ask ops"
    question_id = on_a[1][4]
    status, revisions = await a.call("GET", f"/api/v1/posts/{question_id}/revisions", token=alice)
    assert status == 200 and len(revisions["items"]) == 2
    shown = {p["kind"]: p for p in await copy_posts(b, address, bob)}
    assert shown["question"]["title"] == "How do I back-date a run?"
    assert shown["question"]["tags"] == ["payroll", "deadlines"]
    assert "Ask ops" in shown["answer"]["body_html"]


async def copy_objects(node):
    async with node.services.db.read() as conn:
        found = await conn.execute_fetchall("SELECT object_id, object FROM cached_posts")
    return {row[0]: json.loads(row[1]) for row in found}
