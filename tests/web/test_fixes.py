"""Steps that broke on the pages: each test here failed before its fix."""

from __future__ import annotations

import re

from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import answered, group_with, post


async def test_promoted_page_links_to_the_thread_page_not_the_api(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await group_with(alice_api, "payroll", {"bob": "member"})
    question = await answered(alice_api, bob_api, "payroll", "When is the cutoff?", ["payroll"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.submit(f"/posts/{question}", f"/posts/{question}/promote", {})
    assert status == 200
    assert f'href="http://127.0.0.1:8080/posts/{question}"' in html
    assert "/api/v1/" not in html


async def test_web_search_finds_faq_pages_too(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    status, _ = await alice_api.put(
        "/api/v1/groups/payroll/pages/reimbursements",
        {"title": "Reimbursements", "body": "Mileage claims go through the portal."},
    )
    assert status == 201
    await post(alice_api, "payroll", "Portal login trouble", ["it"])
    alice = await browser_for("alice", create=False)
    status, html = await alice.get("/search?q=mileage")
    assert status == 200
    assert 'href="/groups/payroll/pages/reimbursements"' in html and "FAQ page" in html
    status, html = await alice.get("/search?q=portal")  # pages and posts in one list
    assert "/groups/payroll/pages/reimbursements" in html and "Portal login trouble" in html
    # Both search landmarks carry a name of their own.
    assert 'aria-label="Search from any page"' in html
    assert 'aria-label="Search this site"' in html


async def test_people_who_may_know_leave_out_the_viewer_and_who_answered(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    carl_api = await admin.add_member("carl")
    await group_with(alice_api, "payroll", {"bob": "member", "carl": "member"})
    # bob and carl both know payroll (an accepted answer each).
    await answered(alice_api, bob_api, "payroll", "First cutoff question", ["payroll"])
    await answered(alice_api, carl_api, "payroll", "Second cutoff question", ["payroll"])
    question = await post(alice_api, "payroll", "Third cutoff question", ["payroll"])
    bob = await browser_for("bob", create=False)
    _, html = await bob.get(f"/posts/{question}")
    assert "Ask Carl" in html
    assert 'href="/people/bob">' not in html.split('id="experts"')[1].split("</section>")[0]
    assert "Ask Bob" not in html  # never oneself
    # bob cannot route it to himself through the form either.
    async with bob.client.post(f"/posts/{question}/ask/bob", data={"csrf": csrf_of(html)}) as r:
        assert r.status == 409 and "yourself" in await r.text()
    # Once carl has answered, asking him is pointless: he drops out of the list.
    status, _ = await carl_api.post(f"/api/v1/posts/{question}/replies", {"body": "See HR."})
    assert status == 201
    alice = await browser_for("alice", create=False)
    _, html = await alice.get(f"/posts/{question}")
    assert "Ask Bob" in html and "Ask Carl" not in html


async def test_form_mistakes_show_next_to_the_field_and_keep_the_page(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    alice = await browser_for("alice", create=False)
    status, html = await alice.submit(
        "/groups/payroll", "/groups/payroll/members", {"username": "nobody", "role": "mentor"}
    )
    assert status == 404
    assert '<p class="field-error" id="err-username">No such member</p>' in html
    assert 'value="nobody"' in html and '<option value="mentor" selected>' in html
    assert "Ask a question" in html  # the group page, not an error page
    # The sole owner leaving: the reason is beside the button, the page stays.
    status, html = await alice.submit("/groups/payroll", "/groups/payroll/leave", {})
    assert status == 409 and 'id="err-leave"' in html and "Leave group" in html


async def test_name_links_to_own_profile_and_is_not_inside_log_out(browser_for, admin: Api):
    await admin.add_member("alice")
    alice = await browser_for("alice", create=False)
    _, html = await alice.get("/")
    header = html.split("<header", 1)[1].split("</header>", 1)[0]
    assert 'href="/people/alice"' in header
    assert '<button type="submit" class="link">Log out</button>' in header


async def test_join_request_posts_then_redirects(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await admin.add_member("bob")
    await group_with(alice_api, "closed-door", {})
    bob = await browser_for("bob", create=False)
    status, _ = await bob.submit("/groups", "/groups/closed-door/join", {}, allow_redirects=False)
    assert status == 303  # a reload does not post the request again
    status, html = await bob.submit("/groups", "/groups/closed-door/join", {})
    assert status == 200 and "Request sent" in html


async def test_directory_and_profile_agree_on_a_topic_the_viewer_named(browser_for, admin: Api):
    alice_api, bob_api = await admin.add_member("alice"), await admin.add_member("bob")
    await admin.add_member("carl")
    await group_with(alice_api, "secret", {"bob": "member"})  # carl is not in it
    await answered(alice_api, bob_api, "secret", "Cutoff for bonuses?", ["payroll"])
    carl = await browser_for("carl", create=False)
    # "Who knows" takes a sentence and finds the topic in it.
    status, html = await carl.get("/people?topic=who+knows+%23payroll%3F")
    assert status == 200 and "People who know #payroll" in html
    assert 'href="/people/bob?topic=payroll"' in html  # bob ranks on payroll
    status, html = await carl.get("/people/bob?topic=payroll")
    assert "No topics yet" not in html and "Endorse on #payroll" in html
    assert "Cutoff for bonuses?" not in html  # the evidence stays counted, not described
    status, html = await carl.get("/people/bob")  # not named by carl: still not shown
    assert "#payroll" not in html


async def test_avatars_are_drawn_from_the_name_and_served_here(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    question = await post(alice_api, "payroll", "Avatar check", ["payroll"])
    alice = await browser_for("alice", create=False)
    _, html = await alice.get(f"/posts/{question}")
    assert '<img class="avatar" src="/avatars/alice.svg" alt=""' in html
    async with alice.client.get("/avatars/alice.svg") as resp:
        assert resp.status == 200 and resp.content_type == "image/svg+xml"
        assert resp.headers["Content-Security-Policy"] == "default-src 'none'"
        first = await resp.text()
    async with alice.client.get("/avatars/alice.svg") as resp:
        assert await resp.text() == first  # the same picture every time
    assert ">A</text>" in first
    async with alice.client.get("/avatars/bob.svg") as resp:
        assert ">B</text>" in await resp.text()
    async with alice.client.get("/avatars/%3Cscript%3E.svg") as resp:
        assert resp.status == 404


async def test_group_pages_both_ways_and_more_on_home(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await group_with(alice_api, "payroll", {})
    for n in range(25):
        await post(alice_api, "payroll", f"Question number {n:02d}", ["payroll"])
    alice = await browser_for("alice", create=False)
    _, html = await alice.get("/groups/payroll")
    assert "Question number 24" in html and "Question number 04" not in html
    assert "Newer posts" not in html
    older = re.search(r'href="\?cursor=([^"]+)" rel="next"', html).group(1)
    _, html = await alice.get(f"/groups/payroll?cursor={older}")
    assert "Question number 04" in html and "Question number 05" not in html
    newer = re.search(r'href="\?newer=([^"]+)" rel="prev"', html).group(1)
    _, html = await alice.get(f"/groups/payroll?newer={newer}")
    assert "Question number 05" in html and "Question number 24" in html
    assert "Question number 04" not in html and "Newer posts" not in html  # the newest again
    assert "Older posts" in html

    def activity(page: str) -> str:  # the recent activity column, not the side lists
        return page.split('id="activity-h"')[1].split("<aside")[0]

    _, home = await alice.get("/")
    assert "Question number 24" in activity(home) and "Question number 04" not in activity(home)
    before = re.search(r'href="/\?before=([^"]+)">More activity', home).group(1)
    _, home = await alice.get(f"/?before={before}")
    assert "Question number 04" in activity(home) and "Question number 05" not in activity(home)
    assert "Newest activity" in home and "More activity" not in home
