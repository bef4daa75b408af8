"""Group and thread pages over plain HTTP: the ask form, answers, accept, helpful, roles,
join requests; every action goes through the same access policy as the API."""

from __future__ import annotations

import re

from tests.conftest import Api


def _post_id(html: str) -> str:
    found = re.search(r'<article class="thread-head" id="p-([0-9a-z]{26})"', html)
    assert found, html[:300]
    return found.group(1)


async def test_question_answer_accept_helpful(browser_for, admin: Api) -> None:
    alice = await browser_for("alice")
    bob = await browser_for("bob")
    carol = await browser_for("carol")
    await alice.submit("/groups", "/groups", {"name": "payroll", "title": "Payroll",
                                              "visibility": "private"})  # fmt: skip
    status, html = await alice.submit(
        "/groups/payroll", "/groups/payroll/members", {"username": "bob", "role": "member"}
    )
    assert status == 200 and "@bob" in html
    status, html = await alice.submit(
        "/groups/payroll", "/groups/payroll/posts",
        {"kind": "question", "title": "Check cut after the deadline?",
         "body": "The **cutoff** passed.", "tags": "Payroll, deadlines"},
    )  # fmt: skip
    assert status == 200 and "<strong>cutoff</strong>" in html
    question = _post_id(html)
    status, html = await alice.get("/")
    assert "Waiting for an answer" in html and "Check cut after the deadline?" in html

    # carol is not in the group: the thread does not exist for her, nor may she answer.
    status, _ = await carol.get(f"/posts/{question}")
    assert status == 404
    status, _ = await carol.submit("/", f"/posts/{question}/replies", {"body": "spam"})
    assert status == 404

    status, html = await bob.submit(
        f"/posts/{question}", f"/posts/{question}/replies", {"body": "File a *late-pay* form."}
    )
    assert status == 200 and "<em>late-pay</em>" in html
    answer = re.search(r'<article class="reply" id="p-([0-9a-z]{26})"', html).group(1)
    assert "Accept this answer" not in html  # bob did not ask

    status, html = await alice.submit(f"/posts/{question}", f"/posts/{answer}/accept", {})
    assert status == 200
    assert f'<article class="reply accepted" id="p-{answer}"' in html
    assert "Accepted answer" in html and "Unaccept" in html
    status, html = await alice.submit(f"/posts/{question}", f"/posts/{answer}/helpful", {})
    assert "Helpful · 1" in html and 'aria-pressed="true"' in html

    status, html = await bob.submit(f"/posts/{question}", f"/posts/{question}/helpful", {})
    assert status == 200
    status, thread = await admin.get(f"/api/v1/posts/{question}")
    assert thread["post"]["accepted_answer_id"] == answer
    assert thread["post"]["helpful_count"] == 1
    # bob cannot accept on alice's question, even by posting the form by hand.
    status, _ = await bob.submit(f"/posts/{question}", f"/posts/{answer}/accept", {"undo": "1"})
    assert status == 403

    # Group page: by kind and by tag.
    status, html = await alice.get("/groups/payroll?kind=story")
    assert "Check cut" not in html
    status, html = await alice.get("/groups/payroll?tag=deadlines")
    assert "Check cut" in html and "#deadlines" in html
    status, html = await bob.get("/search?q=cutoff")
    assert "Check cut after the deadline?" in html and "<mark>" in html


async def test_empty_question_keeps_the_draft(browser_for) -> None:
    alice = await browser_for("alice")
    await alice.submit("/groups", "/groups", {"name": "g1", "title": "G1",
                                              "visibility": "org"})  # fmt: skip
    status, html = await alice.submit(
        "/groups/g1", "/groups/g1/posts",
        {"kind": "question", "title": "   ", "body": "my long careful text", "tags": "a"},
    )  # fmt: skip
    assert status == 422
    assert "must not be empty" in html and "my long careful text" in html


async def test_roles_and_join_requests(browser_for, admin: Api) -> None:
    alice = await browser_for("alice")
    bob = await browser_for("bob")
    dan = await browser_for("dan")
    await alice.submit("/groups", "/groups", {"name": "mentors", "title": "Mentors",
                                              "visibility": "private"})  # fmt: skip
    await alice.submit("/groups", "/groups", {"name": "everyone", "title": "Everyone",
                                              "visibility": "org"})  # fmt: skip
    # An org group: anyone joins with one click.
    status, html = await dan.submit("/groups/everyone", "/groups/everyone/join", {})
    assert status == 200 and "You are a member here." in html
    # A private group: a request, which the owner sees and approves.
    status, _ = await bob.get("/groups/mentors")
    assert status == 404
    status, html = await bob.submit("/groups", "/groups/mentors/join", {})
    assert status == 200 and "Request sent" in html
    status, html = await alice.get("/groups/mentors")
    assert "Join requests" in html and "@bob" in html
    status, html = await alice.submit("/groups/mentors", "/groups/mentors/requests/bob/approve", {})
    assert status == 200
    status, html = await alice.submit(
        "/groups/mentors", "/groups/mentors/members/bob/role", {"role": "mentor"}
    )
    assert status == 200
    status, html = await bob.get("/groups/mentors")
    assert status == 200 and "You are a mentor here." in html and "Join requests" in html
    assert "Add member" not in html  # mentors moderate; only owners manage roles
    status, _ = await bob.submit(
        "/groups/mentors", "/groups/mentors/members/alice/role", {"role": "member"}
    )
    assert status == 403
    status, html = await alice.submit("/groups/mentors", "/groups/mentors/members/bob/remove", {})
    assert status == 200
    status, _ = await bob.get("/groups/mentors")
    assert status == 404


async def test_logout_ends_the_session(browser_for) -> None:
    alice = await browser_for("alice")
    status, html = await alice.submit("/", "/logout", {})
    assert status == 200 and "<h1>Log in</h1>" in html
    async with alice.client.get("/", allow_redirects=False) as resp:
        assert resp.status == 303
