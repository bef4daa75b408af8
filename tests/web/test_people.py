"""People pages: the directory with explanations, profiles (view, edit, sharing), endorsing."""

from __future__ import annotations

from feedserver import appkeys
from feedserver.models import Partner
from feedserver.store import federation as fed_store
from feedserver.store import federation_inbox as inbox_store
from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import answered, group_with

HOSTILE = '<script>alert("x")</script>'


async def test_directory_explains_without_naming_private_evidence(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await group_with(alice_api, "payroll-team", {"bob": "member"})
    await answered(alice_api, bob_api, "payroll-team", "The secret cutoff question", ["payroll"])
    alice = await browser_for("alice", create=False)
    carol = await browser_for("carol")

    status, html = await alice.get("/people?topic=payroll")
    assert status == 200
    assert "Bob" in html and "1 accepted answer on #payroll" in html
    assert "The secret cutoff question" in html  # alice reads the group: the evidence is named

    status, html = await carol.get("/people?topic=%23Payroll")
    assert status == 200
    assert "1 accepted answer on #payroll" in html  # counted for carol too…
    assert "The secret cutoff question" not in html  # …but never described
    assert "payroll-team" not in html
    assert "1 more in groups you cannot see" in html

    status, html = await carol.get("/people?topic=no%20such%20%2F%2F")
    assert status == 200 and "A topic is one tag" in html


async def test_private_profile_is_404_to_others_and_leaves_the_directory(browser_for, admin: Api):
    bob = await browser_for("bob")
    carol = await browser_for("carol")
    status, html = await bob.submit(
        "/people/bob/edit", "/people/bob/edit",
        {"headline": "Payroll person", "sharing": "private", "weekly_ask_cap": "3",
         "topic-0": "payroll", "level-0": "expert"},
    )  # fmt: skip
    assert status == 200 and "Payroll person" in html and "only you and admins" in html
    status, html = await carol.get("/people/bob")
    assert status == 404 and "Payroll person" not in html
    status, html = await carol.get("/people/bob/edit")
    assert status == 404
    status, html = await carol.get("/people?topic=payroll")
    assert "@bob" not in html
    status, html = await bob.get("/people?topic=payroll")
    assert "@bob" in html and "declared" in html  # he still sees himself
    status, body = await admin.get("/api/v1/members/bob/profile")
    assert status == 200 and body["sharing"] == "private"  # admins still see it


async def test_edit_profile_escapes_and_keeps_what_was_typed(browser_for, admin: Api):
    alice = await browser_for("alice")
    carol = await browser_for("carol")
    status, html = await alice.submit(
        "/people/alice/edit", "/people/alice/edit",
        {"headline": f"Hi {HOSTILE}", "field": "Finance", "team": "Payroll", "location": "Oslo",
         "sharing": "org", "weekly_ask_cap": "5", "topic-0": "#Payroll", "level-0": "expert",
         "topic-1": "", "level-1": "learning", "topic-2": "taxes", "level-2": "learning"},
    )  # fmt: skip
    assert status == 200
    for page in ("/people/alice", "/people?topic=payroll"):
        status, html = await carol.get(page)
        assert status == 200
        assert "<script>alert" not in html
        assert "Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
        assert "Finance · Payroll · Oslo" in html
    status, body = await admin.get("/api/v1/members/alice/profile")
    assert [(t["topic"], t["level"]) for t in body["declared"]] == [
        ("payroll", "expert"), ("taxes", "learning")
    ]  # fmt: skip

    # Bad input: 422, everything typed comes back, nothing changes.
    status, html = await alice.submit(
        "/people/alice/edit", "/people/alice/edit",
        {"headline": "Changed", "sharing": "org", "weekly_ask_cap": "many",
         "topic-0": "payroll", "level-0": "expert"},
    )  # fmt: skip
    assert status == 422 and 'value="Changed"' in html and "a whole number" in html
    status, html = await alice.submit(
        "/people/alice/edit", "/people/alice/edit",
        {"headline": "Changed", "sharing": "everyone", "weekly_ask_cap": "5"},
    )  # fmt: skip
    assert status == 422 and 'value="Changed"' in html
    status, body = await admin.get("/api/v1/members/alice/profile")
    assert body["headline"] == f"Hi {HOSTILE}"


async def test_only_the_owner_edits_and_forms_need_csrf(browser_for, admin: Api):
    await browser_for("alice")
    carol = await browser_for("carol")
    status, html = await carol.get("/people/alice/edit")  # shown the profile instead
    assert status == 200 and "Edit profile" not in html and "Save profile" not in html
    _, page = await carol.get("/people/alice")
    async with carol.client.post(
        "/people/alice/edit", data={"csrf": csrf_of(page), "headline": "hacked", "sharing": "org",
                                    "weekly_ask_cap": "5"},
    ) as resp:  # fmt: skip
        assert resp.status == 403
    alice = await browser_for("alice", create=False)
    async with alice.client.post(
        "/people/alice/edit", data={"headline": "no token", "sharing": "org", "weekly_ask_cap": "5"}
    ) as resp:
        assert resp.status == 403 and "did not come from this site" in await resp.text()
    status, body = await admin.get("/api/v1/members/alice/profile")
    assert body["headline"] == ""


async def test_endorse_and_withdraw(browser_for, admin: Api):
    bob = await browser_for("bob")
    await bob.submit(
        "/people/bob/edit", "/people/bob/edit",
        {"sharing": "org", "weekly_ask_cap": "5", "topic-0": "payroll", "level-0": "expert"},
    )  # fmt: skip
    carol = await browser_for("carol")
    status, html = await carol.submit("/people/bob", "/people/bob/endorse", {"topic": "payroll"})
    assert status == 200 and "1 endorsement" in html and "Endorsed · withdraw" in html
    assert "endorsed by 1 on #payroll" in html
    status, html = await carol.submit(
        "/people/bob", "/people/bob/endorse", {"topic": "payroll", "undo": "1"}
    )
    assert status == 200 and "Endorse on #payroll" in html and "1 endorsement" not in html
    status, html = await carol.submit("/people/bob", "/people/bob/endorse", {"topic": "taxes"})
    assert status == 200 and "#taxes" in html
    status, html = await bob.get("/people/bob")
    assert "Endorse on" not in html  # no button for yourself…
    _, page = await bob.get("/people/bob")
    async with bob.client.post(
        "/people/bob/endorse", data={"csrf": csrf_of(page), "topic": "payroll"}
    ) as resp:
        assert resp.status == 409 and "cannot endorse yourself" in await resp.text()
    status, html = await carol.get("/members/bob")  # feeds link authors here
    assert status == 200 and "<h1>Bob" in html


async def test_directory_lists_partners_experts_after_ours_with_their_organization(
    browser_for, admin: Api
):
    # A partner's cached profile, stored as the inbox stores one (the inbox itself is tested
    # with real servers in tests/federation): this page must list it, escaped, after ours.
    services = admin.client.app[appkeys.SERVICES]
    now = services.clock()
    partner = Partner(host="partner.example", base_url="https://partner.example",
                      actor_id="https://partner.example/actor",
                      inbox_url="https://partner.example/inbox", name=f"Org {HOSTILE}",
                      profiles=True, created_at=now)  # fmt: skip
    async with services.db.write() as conn:
        await fed_store.upsert_partner(conn, partner)
    await services.db.write_grouped(lambda conn: inbox_store.put_partner_profile(
        conn, object_id="https://partner.example/users/pat/profile", host=partner.host,
        actor_id="https://partner.example/users/pat", name=f"Pat {HOSTILE}",
        summary="Runs payroll at the partner", topics=["payroll"], obj={}, updated=now, now=now,
        counts={"payroll": 4},
    ))  # fmt: skip
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await group_with(alice_api, "payroll-team", {"bob": "member"})
    await answered(alice_api, bob_api, "payroll-team", "A cutoff question", ["payroll"])
    carol = await browser_for("carol")

    status, html = await carol.get("/people?topic=payroll")
    assert status == 200
    assert "@bob" in html and "Runs payroll at the partner" in html
    assert html.index("@bob") < html.index("Runs payroll at the partner")  # ours first
    assert "4 pieces of evidence" in html and 'href="https://partner.example"' in html
    assert HOSTILE not in html and "Pat &lt;script&gt;" in html and "Org &lt;script&gt;" in html

    # The partnership ends (as the inbox ends it, on either engine): its people leave the page.
    await services.db.write_grouped(lambda conn: inbox_store.delete_partner(conn, partner.host))
    status, html = await carol.get("/people?topic=payroll")
    assert "Runs payroll at the partner" not in html and "@bob" in html
