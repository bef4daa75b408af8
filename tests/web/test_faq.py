"""FAQ pages on the web: create, read, edit with conflicts shown, history, locks, promotion."""

from __future__ import annotations

from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import answered, group_with

HOSTILE = '<script>alert("x")</script>'


async def test_create_edit_history_and_revisions(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    alice = await browser_for("alice", create=False)
    status, html = await alice.submit(
        "/groups/payroll/pages", "/groups/payroll/pages",
        {"title": "Late checks", "slug": "", "body": "First **text**.", "tags": "payroll"},
    )  # fmt: skip
    assert status == 200 and "<strong>text</strong>" in html and "revision 1" in html
    status, html = await alice.submit(
        "/groups/payroll/pages/late-checks/edit", "/groups/payroll/pages/late-checks/edit",
        {"base_revision": "1", "title": "Late checks", "body": "Second text.", "tags": "payroll"},
    )  # fmt: skip
    assert status == 200 and "Second text." in html and "revision 2" in html
    status, html = await alice.get("/groups/payroll/pages")
    assert "Late checks" in html
    status, html = await alice.get("/groups/payroll/pages/late-checks/revisions")
    assert status == 200 and "Revision 2" in html and "Revision 1" in html
    status, html = await alice.get("/groups/payroll/pages/late-checks/revisions/1")
    assert status == 200 and "First **text**." in html  # the source as it was
    status, _ = await alice.get("/groups/payroll/pages/late-checks/revisions/9")
    assert status == 404
    # A second page with the same address is refused and the form keeps the text.
    status, html = await alice.submit(
        "/groups/payroll/pages", "/groups/payroll/pages",
        {"title": "Late checks", "slug": "late-checks", "body": "Dup body", "tags": ""},
    )  # fmt: skip
    assert status == 409 and "Dup body" in html and "already a page" in html


async def test_conflict_shows_both_texts_and_loses_nothing(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await admin.add_member("bob")
    await group_with(alice_api, "payroll", {"bob": "member"})
    status, _ = await alice_api.put(
        "/api/v1/groups/payroll/pages/cutoffs", {"title": "Cutoffs", "body": "Original."}
    )
    assert status == 201
    alice = await browser_for("alice", create=False)
    bob = await browser_for("bob", create=False)
    edit = "/groups/payroll/pages/cutoffs/edit"
    _, alice_form = await alice.get(edit)  # both open the editor at revision 1
    assert 'name="base_revision" value="1"' in alice_form
    status, _ = await bob.submit(edit, edit, {"base_revision": "1", "title": "Cutoffs",
                                              "body": "Bob's version.", "tags": ""})  # fmt: skip
    assert status == 200
    async with alice.client.post(edit, data={
        "csrf": csrf_of(alice_form), "base_revision": "1", "title": "Cutoffs (Alice)",
        "body": "Alice's <b>careful</b> version.", "tags": "",
    }) as resp:  # fmt: skip
        assert resp.status == 409
        html = await resp.text()
    assert "Current text (revision 2)" in html
    assert "Bob&#39;s version." in html  # the current text…
    assert "Alice&#39;s &lt;b&gt;careful&lt;/b&gt; version." in html  # …beside hers, escaped
    assert 'value="Cutoffs (Alice)"' in html
    assert 'name="base_revision" value="2"' in html  # saving again is based on what she saw
    status, body = await alice_api.get("/api/v1/groups/payroll/pages/cutoffs")
    assert body["revision"] == 2 and body["body"] == "Bob's version."
    async with alice.client.post(edit, data={
        "csrf": csrf_of(html), "base_revision": "2", "title": "Cutoffs",
        "body": "Bob's version.\n\nAlice's careful version.", "tags": "",
    }) as resp:  # fmt: skip
        assert resp.status == 200
    status, body = await alice_api.get("/api/v1/groups/payroll/pages/cutoffs")
    assert body["revision"] == 3 and "Alice's careful" in body["body"]


async def test_locks_for_owners_and_mentors(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await admin.add_member("bob")
    await admin.add_member("mia")
    await group_with(alice_api, "payroll", {"bob": "member", "mia": "mentor"})
    await alice_api.put("/api/v1/groups/payroll/pages/rules", {"title": "Rules", "body": "R."})
    bob = await browser_for("bob", create=False)
    mia = await browser_for("mia", create=False)
    page = "/groups/payroll/pages/rules"
    status, html = await bob.get(page)
    assert "Edit page" in html and "Lock" not in html
    _, bob_form = await bob.get(f"{page}/edit")
    status, html = await mia.submit(page, f"{page}/lock", {})
    assert status == 200 and "Unlock" in html
    status, html = await bob.get(page)
    assert "Edit page" not in html and "This page is locked" in html
    async with bob.client.post(f"{page}/edit", data={
        "csrf": csrf_of(bob_form), "base_revision": "1", "title": "Rules", "body": "Bob's edit",
    }) as resp:  # fmt: skip
        html = await resp.text()
        assert resp.status == 403 and "Bob&#39;s edit" in html  # refused, his text kept
    async with bob.client.post(f"{page}/lock", data={"csrf": csrf_of(bob_form)}) as resp:
        assert resp.status == 403
    status, html = await mia.submit(page, f"{page}/lock", {"undo": "1"})
    assert status == 200 and "Edit page" in html


async def test_outsider_cannot_see_faq_pages_of_a_private_group(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "secret", {})
    await alice_api.put("/api/v1/groups/secret/pages/plan", {"title": "Hidden plan", "body": "x"})
    carol = await browser_for("carol")
    for path in ("/groups/secret/pages", "/groups/secret/pages/plan",
                 "/groups/secret/pages/plan/edit", "/groups/secret/pages/plan/revisions",
                 "/groups/secret/pages/plan/revisions/1", "/groups/secret/pages/nope"):  # fmt: skip
        status, html = await carol.get(path)
        assert status == 404, path
        assert "Hidden plan" not in html, path
    _, any_page = await carol.get("/people")
    async with carol.client.post("/groups/secret/pages/plan/edit", data={
        "csrf": csrf_of(any_page), "base_revision": "1", "title": "Mine", "body": "Mine",
    }) as resp:  # fmt: skip
        assert resp.status == 404
    status, body = await alice_api.get("/api/v1/groups/secret/pages/plan")
    assert body["revision"] == 1


async def test_hostile_page_title_is_escaped(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    alice = await browser_for("alice", create=False)
    status, html = await alice.submit(
        "/groups/payroll/pages", "/groups/payroll/pages",
        {"title": f"Page {HOSTILE}", "slug": "hostile", "body": f"Body {HOSTILE}", "tags": ""},
    )  # fmt: skip
    assert status == 200
    for path in ("/groups/payroll/pages", "/groups/payroll/pages/hostile",
                 "/groups/payroll/pages/hostile/edit", "/groups/payroll/pages/hostile/revisions",
                 "/groups/payroll/pages/hostile/revisions/1"):  # fmt: skip
        status, html = await alice.get(path)
        assert status == 200, path
        assert "<script>alert" not in html, path
        assert "&lt;script&gt;" in html, path


async def test_promote_an_answered_question(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await group_with(alice_api, "payroll", {"bob": "member"})
    question = await answered(alice_api, bob_api, "payroll", "When is the cutoff?", ["payroll"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.get(f"/posts/{question}")
    assert "Turn into a FAQ page" in html
    status, html = await alice.submit(f"/posts/{question}", f"/posts/{question}/promote", {})
    assert status == 200 and "When is the cutoff?" in html and "from a question" in html
    # Promoting twice leads to the page it already is.
    status, again = await alice.submit(f"/posts/{question}", f"/posts/{question}/promote", {})
    assert status == 200 and "revision 1" in again
    unanswered = await alice_api.post(
        "/api/v1/groups/payroll/posts", {"kind": "question", "title": "Open?", "body": "b"}
    )
    status, html = await alice.get(f"/posts/{unanswered[1]['id']}")
    assert "Turn into a FAQ page" not in html


async def test_revision_shows_what_changed_and_can_be_restored(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    page = "/api/v1/groups/payroll/pages/cutoffs"
    status, _ = await alice_api.put(page, {"title": "Cutoffs", "body": "Old rule.\nKeep this."})
    assert status == 201
    status, _ = await alice_api.put(
        page, {"title": "Cutoffs", "body": "New rule.\nKeep this.", "base_revision": 1}
    )
    assert status == 200
    alice = await browser_for("alice", create=False)
    old = "/groups/payroll/pages/cutoffs/revisions/1"
    status, html = await alice.get(old)
    assert status == 200
    assert '<del><span class="visually-hidden">removed: </span>− Old rule.</del>' in html
    assert '<ins><span class="visually-hidden">added: </span>+ New rule.</ins>' in html
    assert "  Keep this." in html and "Restore this revision" in html
    status, html = await alice.submit(old, f"{old}/restore", {"base_revision": "2"})
    assert status == 200 and "Old rule." in html and "revision 3" in html
    # Restoring from a page that was stale meanwhile is a conflict, shown on the page.
    status, html = await alice.submit(old, f"{old}/restore", {"base_revision": "2"})
    assert status == 409 and "it is at revision 3" in html and 'role="alert"' in html
    status, html = await alice.get("/groups/payroll/pages/cutoffs/revisions/3")
    assert "Restore this revision" not in html  # the current one
