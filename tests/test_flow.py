"""The issue's end-to-end flow over HTTP: an admin, three members, a private group, a question
answered and accepted, and an outsider who sees none of it."""

from __future__ import annotations

from tests.conftest import Api


async def test_private_group_question_flow(admin: Api) -> None:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    carol = await admin.add_member("carol")

    status, group = await alice.post(
        "/api/v1/groups",
        {"name": "new-hires", "title": "New hires", "visibility": "private"},
    )
    assert status == 201, group
    assert group["role"] == "owner"
    status, _ = await alice.put("/api/v1/groups/new-hires/members/bob", {"role": "member"})
    assert status == 200

    status, question = await bob.post(
        "/api/v1/groups/new-hires/posts",
        {
            "kind": "question",
            "title": "Hey Joe, what do I do if the check is cut after the deadline?",
            "body": "The **payroll** cutoff passed yesterday.",
            "tags": ["Payroll"],
        },
    )
    assert status == 201, question
    assert question["tags"] == ["payroll"]
    assert "<strong>payroll</strong>" in question["body_html"]

    status, answer = await alice.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": "File a late-pay form with HR."}
    )
    assert status == 201, answer
    assert answer["kind"] == "answer"

    status, accepted = await bob.post(f"/api/v1/posts/{answer['id']}/accept")
    assert status == 200, accepted
    assert accepted["accepted_answer_id"] == answer["id"]

    # carol is a member of the organization but not of the group: it does not exist for her.
    for path in (
        "/api/v1/groups/new-hires",
        "/api/v1/groups/new-hires/posts",
        f"/api/v1/posts/{question['id']}",
        f"/api/v1/posts/{answer['id']}",
    ):
        status, body = await carol.get(path)
        assert status == 404, (path, body)
        assert "check is cut" not in str(body)
    status, groups = await carol.get("/api/v1/groups")
    assert status == 200 and groups["items"] == []

    status, found = await carol.get("/api/v1/search", params={"q": "check cut deadline"})
    assert status == 200 and found["items"] == []
    status, found = await bob.get("/api/v1/search", params={"q": "check cut deadline"})
    assert status == 200
    assert [hit["post"]["id"] for hit in found["items"]] == [question["id"]]
    assert "<mark>" in found["items"][0]["snippet_html"]

    status, thread = await bob.get(f"/api/v1/posts/{question['id']}")
    assert status == 200
    assert thread["post"]["accepted_answer_id"] == answer["id"]
    assert [r["id"] for r in thread["items"]] == [answer["id"]]
