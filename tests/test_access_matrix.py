"""The access matrix: viewer kind × group visibility × path → status, with no private text in
any response the viewer should not get (docs/architecture.md, Access policy)."""

from __future__ import annotations

import pytest

from tests.conftest import Api

SECRET_TITLE = "Quarterly bonus miscalculated zanzibar"
SECRET_ANSWER = "Recalculate with the xylophone sheet"

VIEWERS = ("anonymous", "outsider", "member", "mentor", "owner", "admin")

# status for: group, post list, post (with replies), reply, accept, search finds it
EXPECTED = {
    "private": {
        "anonymous": (401, 401, 401, 401, 401, 401),
        "outsider": (404, 404, 404, 404, 404, "none"),
        "member": (200, 200, 200, 201, 403, "hit"),
        "mentor": (200, 200, 200, 201, 200, "hit"),
        "owner": (200, 200, 200, 201, 200, "hit"),
        "admin": (200, 200, 200, 403, 200, "hit"),
    },
    "org": {
        "anonymous": (401, 401, 401, 401, 401, 401),
        "outsider": (200, 200, 200, 403, 403, "hit"),
        "member": (200, 200, 200, 201, 403, "hit"),
        "mentor": (200, 200, 200, 201, 200, "hit"),
        "owner": (200, 200, 200, 201, 200, "hit"),
        "admin": (200, 200, 200, 403, 200, "hit"),
    },
}


async def _world(admin: Api, visibility: str) -> tuple[dict[str, Api], str, str]:
    owner = await admin.add_member("olive")
    mentor = await admin.add_member("mentor")
    member = await admin.add_member("mark")
    asker = await admin.add_member("asker")
    answerer = await admin.add_member("answerer")
    outsider = await admin.add_member("otto")
    status, _ = await owner.post(
        "/api/v1/groups", {"name": "team", "title": "Team", "visibility": visibility}
    )
    assert status == 201
    for name, role in (("mentor", "mentor"), ("mark", "member"), ("asker", "member"),
                       ("answerer", "member")):  # fmt: skip
        status, _ = await owner.put(f"/api/v1/groups/team/members/{name}", {"role": role})
        assert status == 200
    status, question = await asker.post(
        "/api/v1/groups/team/posts",
        {"kind": "question", "title": SECRET_TITLE, "body": "Who knows?", "tags": ["bonus"]},
    )
    assert status == 201
    status, answer = await answerer.post(
        f"/api/v1/posts/{question['id']}/replies", {"body": SECRET_ANSWER}
    )
    assert status == 201
    viewers = {
        "anonymous": admin.as_(None),
        "outsider": outsider,
        "member": member,
        "mentor": mentor,
        "owner": owner,
        "admin": admin,
    }
    return viewers, question["id"], answer["id"]


def _no_secret(body: object) -> None:
    text = str(body)
    assert SECRET_TITLE not in text and SECRET_ANSWER not in text and "zanzibar" not in text


@pytest.mark.parametrize("visibility", ["private", "org"])
async def test_access_matrix(admin: Api, visibility: str) -> None:
    viewers, question_id, answer_id = await _world(admin, visibility)
    for kind in VIEWERS:
        api = viewers[kind]
        group_s, list_s, post_s, reply_s, accept_s, search = EXPECTED[visibility][kind]
        checks = [
            ("group", await api.get("/api/v1/groups/team"), group_s),
            ("list", await api.get("/api/v1/groups/team/posts"), list_s),
            ("post", await api.get(f"/api/v1/posts/{question_id}"), post_s),
            ("answer", await api.get(f"/api/v1/posts/{answer_id}"), post_s),
            ("reply", await api.post(f"/api/v1/posts/{question_id}/replies", {"body": "me too"}),
             reply_s),
            ("accept", await api.post(f"/api/v1/posts/{answer_id}/accept"), accept_s),
        ]  # fmt: skip
        for path, (status, body), expected in checks:
            assert status == expected, (visibility, kind, path, status, body)
            if status >= 400:
                _no_secret(body)
                assert body["status"] == status and body["type"].startswith("/problems/")
            if path == "list" and status == 200:
                assert [p["title"] for p in body["items"]] == [SECRET_TITLE]

        status, found = await api.get("/api/v1/search", params={"q": "zanzibar"})
        if search == 401:
            assert status == 401
            _no_secret(found)
        else:
            assert status == 200
            hits = [h["post"]["id"] for h in found["items"]]
            assert hits == ([question_id] if search == "hit" else []), (visibility, kind)
            if search == "none":
                _no_secret(found)

        status, listed = await api.get("/api/v1/groups")
        if kind == "anonymous":
            assert status == 401
        else:
            names = [g["name"] for g in listed["items"]]
            assert names == (["team"] if group_s == 200 else []), (visibility, kind)


async def test_answer_search_respects_access(admin: Api) -> None:
    viewers, _, _ = await _world(admin, "private")
    status, found = await viewers["outsider"].get("/api/v1/search", params={"q": "xylophone"})
    assert status == 200 and found["items"] == []
    status, found = await viewers["member"].get("/api/v1/search", params={"q": "xylophone"})
    assert status == 200 and len(found["items"]) == 1


async def test_removed_member_loses_access(admin: Api) -> None:
    viewers, question_id, _ = await _world(admin, "private")
    status, _ = await viewers["owner"].delete("/api/v1/groups/team/members/mark")
    assert status == 204
    status, body = await viewers["member"].get(f"/api/v1/posts/{question_id}")
    assert status == 404
    _no_secret(body)
    status, found = await viewers["member"].get("/api/v1/search", params={"q": "zanzibar"})
    assert found["items"] == []
