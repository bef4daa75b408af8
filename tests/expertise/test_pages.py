"""FAQ pages: revisions, edit conflicts, locks, promotion, search and the group's version."""

from __future__ import annotations

from tests.conftest import Api
from tests.expertise.conftest import accept, answer, ask_question, experts, make_group

PAGE = "/api/v1/groups/finance/pages/late-checks"


async def _setup(admin: Api) -> tuple[Api, Api, Api, Api]:
    owner, mentor = await admin.add_member("owner"), await admin.add_member("mentor")
    member, outsider = await admin.add_member("member"), await admin.add_member("outsider")
    await make_group(owner, "finance", "private", "member")
    status, _ = await owner.put("/api/v1/groups/finance/members/mentor", {"role": "mentor"})
    assert status == 200
    return owner, mentor, member, outsider


async def _version(api: Api) -> int:
    return (await api.get("/api/v1/groups/finance"))[1]["version"]


async def test_page_edits_conflict_instead_of_overwriting(xadmin: Api) -> None:
    owner, _, member, outsider = await _setup(xadmin)
    before = await _version(owner)
    status, page = await member.put(
        PAGE, {"title": "Late checks", "body": "Fill in **form 7**.", "tags": ["payroll"]}
    )
    assert status == 201, page
    assert page["revision"] == 1 and "<strong>form 7</strong>" in page["body_html"]
    assert await _version(owner) > before

    status, page = await owner.put(
        PAGE, {"title": "Late checks", "body": "Form 7, then HR.", "base_revision": 1}
    )
    assert status == 200 and page["revision"] == 2 and page["tags"] == ["payroll"]

    # member still edits from revision 1: refused, told the current revision, nothing lost.
    status, problem = await member.put(
        PAGE, {"title": "Late checks", "body": "Mine", "base_revision": 1}
    )
    assert status == 409 and problem["current_revision"] == 2
    status, problem = await member.put(PAGE, {"title": "Late checks", "body": "No base"})
    assert status == 409 and problem["current_revision"] == 2
    status, current = await member.get(PAGE)
    assert status == 200 and current["body"] == "Form 7, then HR." and current["revision"] == 2

    status, revs = await member.get(f"{PAGE}/revisions")
    assert [r["revision"] for r in revs["items"]] == [2, 1]
    status, first = await member.get(f"{PAGE}/revisions/1")
    assert status == 200 and first["body"] == "Fill in **form 7**." and first["editor"] == "member"
    assert (await member.get(f"{PAGE}/revisions/9"))[0] == 404
    assert (await member.get(f"{PAGE}/revisions/x"))[0] == 404

    # Invalid input: a clear 422, nothing changes.
    for body in ({"title": "", "body": "x"}, {"title": "t"}, {"title": "t", "body": "x", "z": 1}):
        assert (await member.put(PAGE, body))[0] == 422
    assert (await member.put("/api/v1/groups/finance/pages/Bad_Slug", {"title": "t", "body": "b"}))[
        0
    ] == 422
    assert (await member.get(PAGE))[1]["revision"] == 2

    # The outsider: the group and its pages do not exist.
    assert (await outsider.get(PAGE))[0] == 404
    assert (await outsider.put(PAGE, {"title": "x", "body": "y", "base_revision": 2}))[0] == 404
    assert (await outsider.get(f"{PAGE}/revisions"))[0] == 404

    # Pages are in search, for those who may read them only.
    status, found = await member.get("/api/v1/search", params={"q": "form"})
    assert status == 200 and [h["page"]["slug"] for h in found["items"]] == ["late-checks"]
    status, found = await outsider.get("/api/v1/search", params={"q": "form"})
    assert found["items"] == []

    # Editing a page is evidence on its tags.
    names = {e["username"] for e in await experts(owner, "payroll")}
    assert names == {"member", "owner"}

    status, listed = await member.get("/api/v1/groups/finance/pages")
    assert [p["slug"] for p in listed["items"]] == ["late-checks"]


async def test_owners_and_mentors_lock_pages(xadmin: Api) -> None:
    owner, mentor, member, _ = await _setup(xadmin)
    await member.put(PAGE, {"title": "Late checks", "body": "v1"})
    assert (await member.put(f"{PAGE}/lock"))[0] == 403
    status, page = await mentor.put(f"{PAGE}/lock")
    assert status == 200 and page["locked"] is True
    status, _ = await member.put(PAGE, {"title": "Late checks", "body": "v2", "base_revision": 1})
    assert status == 403
    status, page = await owner.put(PAGE, {"title": "Late checks", "body": "v2", "base_revision": 1})
    assert status == 200 and page["revision"] == 2
    assert (await owner.delete(f"{PAGE}/lock"))[1]["locked"] is False
    status, _ = await member.put(PAGE, {"title": "Late checks", "body": "v3", "base_revision": 2})
    assert status == 200


async def test_promote_an_answered_question(xadmin: Api) -> None:
    owner, _, member, outsider = await _setup(xadmin)
    qid = await ask_question(member, "finance", "What if the check is cut late?", ["payroll"])
    aid = await answer(owner, qid, "File the late-pay form with HR.")
    status, problem = await member.post(f"/api/v1/posts/{qid}/promote")
    assert status == 409, problem  # not answered yet
    await accept(member, aid)
    assert (await outsider.post(f"/api/v1/posts/{qid}/promote"))[0] == 404
    assert (await member.post(f"/api/v1/posts/{aid}/promote"))[
        0
    ] == 409  # an answer, not a question
    assert (await member.post(f"/api/v1/posts/{qid}/promote", {"slug": "Bad Slug"}))[0] == 422

    status, page = await member.post(f"/api/v1/posts/{qid}/promote")
    assert status == 201, page
    assert page["slug"] == "what-if-the-check-is-cut-late"
    assert page["title"] == "What if the check is cut late?"
    assert "File the late-pay form with HR." in page["body"]
    assert "What if the check is cut late? — details" in page["body"]
    assert f"/posts/{qid}" in page["body_html"] and "/api/v1/" not in page["body_html"]
    assert page["source_post_id"] == qid and page["tags"] == ["payroll"]

    status, problem = await member.post(f"/api/v1/posts/{qid}/promote", {"slug": "again"})
    assert status == 409 and problem["slug"] == page["slug"]
    status, fetched = await member.get(f"/api/v1/groups/finance/pages/{page['slug']}")
    assert status == 200 and fetched["revision"] == 1
