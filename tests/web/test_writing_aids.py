"""The preview and similar-questions fragments: the same sanitizer as posts, the CSRF check,
and nothing from a group the viewer may not read."""

from __future__ import annotations

from tests.conftest import Api
from tests.web.conftest import csrf_of
from tests.web.scenes import group_with, post


async def test_preview_renders_through_the_sanitizer_and_needs_the_form_token(
    browser_for, admin: Api
):
    await admin.add_member("alice")
    alice = await browser_for("alice", create=False)
    _, home = await alice.get("/")
    body = '**Bold** <script>alert(1)</script><a href="javascript:alert(2)">x</a>'
    async with alice.client.post("/preview", data={"csrf": csrf_of(home), "body": body}) as r:
        assert r.status == 200 and r.content_type == "text/html"
        assert "Content-Security-Policy" in r.headers
        html = await r.text()
    assert "<strong>Bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html
    async with alice.client.post("/preview", data={"body": body}) as r:
        assert r.status == 403  # no token: refused like every form
    async with alice.client.post(
        "/preview", data={"csrf": csrf_of(home), "body": "x" * 100_001}
    ) as r:
        assert r.status == 413


async def test_similar_questions_come_only_from_groups_the_viewer_reads(browser_for, admin: Api):
    alice_api = await admin.add_member("alice")
    await admin.add_member("bob")
    await group_with(alice_api, "secret", {})
    await group_with(alice_api, "open", {"bob": "member"})
    await post(alice_api, "secret", "Overtime rules for the secret project", ["payroll"])
    await post(alice_api, "open", "Who signs off overtime?", ["payroll"])
    await post(alice_api, "open", "Holiday pay in December", ["payroll"], kind="story")
    bob = await browser_for("bob", create=False)
    status, html = await bob.get("/search/similar?q=overtime+approval")
    assert status == 200
    assert "Who signs off overtime?" in html  # any word may match
    assert "secret" not in html
    status, html = await bob.get("/search/similar?q=the+a")
    assert status == 200 and "<li>" not in html
