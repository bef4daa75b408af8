"""A member anonymized on their own server, across servers: bob, on B, wrote in A's group,
which B and C both hold a copy of. B's admin deletes him, keeping his posts: B moves his
actor to the new name on A (a `Move` from B's server actor) and sends each of his posts
signed again under it; A renames the account he wrote under and relays the objects, so A,
B and C show his posts under the new name only, in their rows, in the objects they keep,
on their pages, in their feeds and in their search. Forged moves are refused and change
nothing; a resent one changes nothing. Three real servers on loopback."""

from __future__ import annotations

import json

from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.proofs import sign_object
from feedserver.federation.server_keys import actor_url
from tests.federation.test_inbox import post, signed_post

from .test_shared_group_erasure import everything, feed_of, read_feed
from .test_shared_group_flow import drain, login
from .test_shared_group_pages import page_as
from .test_shared_group_search import search
from .test_shared_group_writes import ANSWER, QUESTION, a_posts, copy_objects, copy_posts

REMARK = "Quarterly zebra-kestrel sign-off first"


async def group_on_a_b_and_c(a, b, c):
    """payroll-pros on A, shared with B (bob, carol) and C (erin); bob asks from B, alice
    answers on A, bob remarks on her answer: A, B and C hold all three."""
    alice, bob, carol, erin = (
        await login(a, "alice"), await login(b, "bob"), await login(b, "carol"),
        await login(c, "erin"),
    )  # fmt: skip
    group = {"name": "payroll-pros", "title": "Payroll pros", "visibility": "partners",
             "partners": [b.host, c.host]}  # fmt: skip
    status, body = await a.call("POST", "/api/v1/groups", group, token=alice)
    assert status == 201, body
    for who in (f"bob@{b.host}", f"carol@{b.host}", f"erin@{c.host}"):
        status, _ = await a.call("PUT", f"/api/v1/groups/payroll-pros/members/{who}",
                                 {"role": "member"}, token=alice)  # fmt: skip
        assert status == 200
    await drain(a, b, c)
    address = f"payroll-pros@{a.host}"
    status, asked = await b.call("POST", f"/api/v1/groups/{address}/posts",
                                 {"kind": "question", "title": QUESTION, "body": "?",
                                  "tags": ["payroll"]}, token=bob)  # fmt: skip
    assert status == 202, asked
    await drain(a, b, c)
    (question,) = await a_posts(a)
    status, answer = await a.call("POST", "/api/v1/groups/payroll-pros/posts", {
        "kind": "tip", "title": "Cutover", "body": ANSWER}, token=alice)  # fmt: skip
    assert status == 201, answer
    await drain(a, b, c)
    status, _ = await b.call("POST", f"/api/v1/groups/{address}/replies",
                             {"in_reply_to": f"{a.url}/posts/{answer['id']}", "body": REMARK},
                             token=bob)  # fmt: skip
    assert status == 202
    await drain(a, b, c)
    assert {p[3] for p in await a_posts(a)} == {f"bob@{b.host}", "alice"}
    return alice, carol, erin, address, question


def move(sender, old, new, n, actor=None):
    return {
        "@context": OBJECT_CONTEXT, "id": f"{sender.url}/activities/move-{n}", "type": "Move",
        "actor": actor or actor_url(sender.config), "object": old, "target": new,
    }  # fmt: skip


def old_names(b) -> tuple[str, ...]:
    return f"bob@{b.host}", f"{b.url}/users/bob"


async def test_a_member_anonymized_on_b_is_anonymous_on_the_host_and_every_copy(trio):
    a, b, c = trio
    alice, carol, erin, address = (await group_on_a_b_and_c(a, b, c))[:4]
    url, before = await feed_of(c, address, erin)
    assert f"bob@{b.host}".encode() in before
    status, gone = await b.call("DELETE", "/api/v1/admin/members/bob?content=anonymize")
    assert status == 200, gone
    new_name = f"{gone['username']}@{b.host}"
    assert new_name.startswith("deleted-")
    await drain(a, b, c)
    # A: his posts stay, under the account's new name; its copies' feeds moved.
    on_a = await a_posts(a)
    assert {(p[1] or p[2], p[3]) for p in on_a} == {
        (QUESTION, new_name),
        ("Cutover", "alice"),
        (REMARK, new_name),
    }
    status, members = await a.call("GET", "/api/v1/groups/payroll-pros/members", token=alice)
    assert status == 200 and new_name in json.dumps(members)
    status, html = await page_as(a, "alice", "/groups/payroll-pros")
    assert status == 200 and QUESTION in html and new_name in html
    url, body = await feed_of(a, "payroll-pros", alice)
    read_feed(url, body)
    status, text, found = await search(a, "back-date", alice)
    assert status == 200 and found["items"], text
    for where in (html, body.decode(), text, json.dumps(members), await everything(a)):
        for old in old_names(b):
            assert old not in where
    # B and C: each copy shows the new name, in its rows and the objects it keeps.
    for node, token in ((b, carol), (c, erin)):
        authors = {p["title"] or p["body_html"]: p["author"]["username"]
                   for p in await copy_posts(node, address, token)}  # fmt: skip
        assert authors[QUESTION] == new_name and authors["Cutover"] == f"alice@{a.host}"
        assert [k for k, v in authors.items() if REMARK in k and v == new_name]
        objects = json.dumps(await copy_objects(node))
        url, body = await feed_of(node, address, token)
        read_feed(url, body)
        status, html = await page_as(node, "erin" if node is c else "carol", f"/groups/{address}")
        assert status == 200 and QUESTION in html and new_name in html
        status, text, _ = await search(node, "back-date", token)
        assert status == 200 and QUESTION in text
        for where in (objects, body.decode(), html, text):
            for old in old_names(b):
                assert old not in where
    for old in old_names(b):
        assert old not in await everything(c)
    # A resend of the Move, once applied, changes nothing.
    moved = move(b, f"{b.url}/users/bob", f"{b.url}/users/{gone['username']}", 1)
    status, _, text = await post(a, *signed_post(b, a, moved))
    assert status == 202, text
    assert await a_posts(a) == on_a


async def test_forged_moves_are_refused_and_change_nothing(trio):
    a, b, c = trio
    alice, carol, erin, address, question = await group_on_a_b_and_c(a, b, c)
    before = await a_posts(a), await everything(a)
    forged = [
        # C, a partner of A's too, moves an actor of B's.
        (c, move(c, f"{b.url}/users/bob", f"{b.url}/users/deleted-00", 1), 403),
        # B moves an actor of A's, or moves its member to an actor on C.
        (b, move(b, f"{a.url}/users/alice", f"{a.url}/users/deleted-00", 2), 403),
        (b, move(b, f"{b.url}/users/bob", f"{c.url}/users/deleted-00", 3), 403),
        # A member of B's (not its server) moves themselves.
        (
            b,
            move(
                b, f"{b.url}/users/bob", f"{b.url}/users/deleted-00", 4, actor=f"{b.url}/users/bob"
            ),
            403,
        ),  # fmt: skip
        # B moves bob onto carol, whom A knows already.
        (b, move(b, f"{b.url}/users/bob", f"{b.url}/users/carol", 5), 422),
        # Not a member's actor at all.
        (b, move(b, f"{b.url}/users/bob", f"{b.url}/groups/x", 6), 422),
    ]
    for sender, activity, expected in forged:
        status, _, text = await post(a, *signed_post(sender, a, activity))
        assert status == expected, (activity, text)
    assert await a_posts(a) == before[0]
    for old in old_names(b):
        assert old in await everything(a)  # still known by his name
    # An actor A never knew: accepted, nothing changes; its replay is refused.
    headers, body = signed_post(b, a, move(b, f"{b.url}/users/dave", f"{b.url}/users/d2", 7))
    assert (await post(a, headers, body))[0] == 202
    assert (await post(a, headers, body))[0] == 401
    assert await a_posts(a) == before[0]


async def test_a_member_who_left_the_group_is_anonymous_in_it_too(trio):
    """bob wrote in the group, then was removed from it: his posts stay, and once B deletes
    him, keeping them, A takes them signed again under the new name (their text unchanged)
    and every copy shows it; an edit under cover of it is refused."""
    a, b, c = trio
    alice, carol, erin, address = (await group_on_a_b_and_c(a, b, c))[:4]
    status, _ = await a.call(
        "DELETE", f"/api/v1/groups/payroll-pros/members/bob@{b.host}", token=alice
    )
    assert status in (200, 204)
    await drain(a, b, c)
    held = {k: v for k, v in (await copy_objects(c)).items() if v.get("name") == QUESTION}
    ((object_id, question),) = held.items()
    status, gone = await b.call("DELETE", "/api/v1/admin/members/bob?content=anonymize")
    assert status == 200, gone
    await drain(a, b, c)
    new_name = f"{gone['username']}@{b.host}"
    assert {p[3] for p in await a_posts(a)} == {new_name, "alice"}
    for node, token in ((b, carol), (c, erin)):
        authors = {p["author"]["username"] for p in await copy_posts(node, address, token)}
        assert authors == {new_name, f"alice@{a.host}"}
        for old in old_names(b):
            assert old not in json.dumps(await copy_objects(node))
    for old in old_names(b):
        assert old not in await everything(a)
    # B (or whoever holds its key) cannot change a former member's words this way.
    edited = {k: v for k, v in (await copy_objects(c))[object_id].items() if k != "proof"}
    edited.update(name="Hijacked", updated="2030-01-01T00:00:00Z")
    forged = {
        "@context": OBJECT_CONTEXT, "id": f"{b.url}/activities/former-edit", "type": "Update",
        "actor": edited["attributedTo"], "audience": question["audience"],
        "object": sign_object(edited, b.key, b.key_id),
    }  # fmt: skip
    status, _, _ = await post(a, *signed_post(b, a, forged))
    assert status == 403
    assert "Hijacked" not in json.dumps(await a_posts(a))
