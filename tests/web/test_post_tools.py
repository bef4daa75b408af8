"""Editing, deleting and the history of posts; routing a question to an expert; asks on home."""

from __future__ import annotations

from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import answered, group_with, post


async def test_author_edits_and_the_history_keeps_every_revision(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await admin.add_member("bob")
    await group_with(alice_api, "payroll", {"bob": "member"})
    question = await post(alice_api, "payroll", "Old title", ["payroll"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.submit(
        f"/posts/{question}/edit", f"/posts/{question}/edit",
        {"title": "New <i>title</i>", "body": "New body", "tags": "payroll taxes"},
    )  # fmt: skip
    assert status == 200 and "New &lt;i&gt;title&lt;/i&gt;" in html and "#taxes" in html
    assert f'href="/posts/{question}/revisions"' in html
    status, html = await alice.get(f"/posts/{question}/revisions")
    assert status == 200 and "Revision 2" in html and "Old title" in html
    assert "Body of Old title" in html
    # Bad input keeps what was typed and changes nothing.
    status, html = await alice.submit(
        f"/posts/{question}/edit", f"/posts/{question}/edit",
        {"title": "", "body": "Kept body", "tags": ""},
    )  # fmt: skip
    assert status == 422 and "Kept body" in html
    # Not the author: no edit link, the form sends back to the thread, a post is refused.
    bob = await browser_for("bob", create=False)
    status, html = await bob.get(f"/posts/{question}")
    assert f"/posts/{question}/edit" not in html and "Delete…" not in html
    status, html = await bob.get(f"/posts/{question}/edit")
    assert status == 200 and "Save changes" not in html
    async with bob.client.post(
        f"/posts/{question}/edit", data={"csrf": csrf_of(html), "title": "x", "body": "x"}
    ) as resp:
        assert resp.status == 403
    status, body = await alice_api.get(f"/api/v1/posts/{question}")
    assert status == 200, body
    assert body["post"]["title"] == "New <i>title</i>"


async def test_delete_by_author_mentor_not_member(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await admin.add_member("mia")
    await group_with(alice_api, "payroll", {"bob": "member", "mia": "mentor"})
    question = await post(alice_api, "payroll", "Question to remove", ["payroll"])
    status, reply = await bob_api.post(f"/api/v1/posts/{question}/replies", {"body": "Bob says"})
    bob = await browser_for("bob", create=False)
    _, html = await bob.get(f"/posts/{question}")
    assert html.count("Delete…") == 1  # his own answer only
    async with bob.client.post(f"/posts/{question}/delete", data={"csrf": csrf_of(html)}) as resp:
        assert resp.status == 403
    status, html = await bob.submit(f"/posts/{question}", f"/posts/{reply['id']}/delete", {})
    assert status == 200 and "Bob says" not in html and "No answers yet" in html
    async with bob.client.post(f"/posts/{question}/delete", data={}) as resp:
        assert resp.status == 403  # no CSRF token
    mia = await browser_for("mia", create=False)
    status, html = await mia.submit(f"/posts/{question}", f"/posts/{question}/delete", {})
    assert status == 200 and "Question to remove" not in html  # back on the group page
    status, _ = await mia.get(f"/posts/{question}")
    assert status == 404


async def test_suggested_experts_ask_and_asked_of_me(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await admin.add_member("carol")
    await group_with(alice_api, "payroll", {"bob": "member"})
    await answered(alice_api, bob_api, "payroll", "First cutoff question", ["payroll"])
    question = await post(alice_api, "payroll", "Second cutoff question", ["payroll"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.get(f"/posts/{question}")
    assert "People who may know" in html and "Ask Bob" in html
    assert "1 accepted answer on #payroll" in html
    status, html = await alice.submit(f"/posts/{question}", f"/posts/{question}/ask/bob", {})
    assert status == 200 and "Ask Bob" not in html and ">asked<" in html
    bob = await browser_for("bob", create=False)
    status, home = await bob.get("/")
    assert "Asked of you" in home and "Second cutoff question" in home and "@alice asked" in home
    carol = await browser_for("carol", create=False)
    _, carol_home = await carol.get("/")
    assert "Second cutoff question" not in carol_home
    # Someone who cannot read the group is never suggested, and cannot be asked.
    async with alice.client.post(
        f"/posts/{question}/ask/carol", data={"csrf": csrf_of(html)}
    ) as resp:
        assert resp.status == 409 and "cannot read this group" in await resp.text()
