"""GET /api/v1/me/export: the member's own profile, posts, answers and FAQ revisions as JSON
and Markdown in a zip, and nothing of anyone else's (a question they answered but may no
longer read is named by id only)."""

from __future__ import annotations

import io
import json
import zipfile

from tests.conftest import Api


async def _zip(api: Api) -> zipfile.ZipFile:
    async with api.client.get(
        "/api/v1/me/export", headers={"Authorization": f"Bearer {api.token}"}
    ) as resp:
        assert resp.status == 200, await resp.text()
        assert resp.content_type == "application/zip"
        assert "attachment" in resp.headers["Content-Disposition"]
        return zipfile.ZipFile(io.BytesIO(await resp.read()))


async def _group(admin: Api, name: str, *members: str) -> None:
    status, _ = await admin.post("/api/v1/groups", {"name": name, "title": name.title(),
                                                    "visibility": "private"})  # fmt: skip
    assert status == 201
    for username in members:
        status, _ = await admin.put(f"/api/v1/groups/{name}/members/{username}", {})
        assert status in (200, 201)


async def test_export_holds_own_content_only(admin: Api) -> None:
    lena = await admin.add_member("lena")
    await admin.add_member("max")
    await _group(admin, "eng", "lena", "max")
    await _group(admin, "secret", "lena")
    status, _ = await lena.put("/api/v1/members/lena/profile", {
        "headline": "Rust person", "topics": [{"topic": "rust", "level": "expert"}],
    })  # fmt: skip
    assert status == 200
    status, mine = await lena.post("/api/v1/groups/eng/posts", {
        "kind": "tip", "title": "Lena's tip", "body": "Use *cargo*.", "tags": ["rust"],
    })  # fmt: skip
    assert status == 201
    status, theirs = await admin.post("/api/v1/groups/secret/posts", {
        "kind": "question", "title": "Hidden question", "body": "Admin's words.", "tags": [],
    })  # fmt: skip
    status, answer = await lena.post(f"/api/v1/posts/{theirs['id']}/replies", {"body": "Mine."})
    assert status == 201
    status, _ = await admin.post("/api/v1/groups/eng/posts", {
        "kind": "note", "title": "Admin note", "body": "Not Lena's.", "tags": [],
    })  # fmt: skip
    status, _ = await lena.put(
        "/api/v1/groups/eng/pages/setup", {"title": "Setup", "body": "Lena's page."}
    )
    assert status in (200, 201)

    z = await _zip(lena)
    names = set(z.namelist())
    assert {"profile.json", "profile.md", "posts.json", "answers.json", "pages.json"} <= names
    assert f"posts/{mine['id']}.md" in names and f"answers/{answer['id']}.md" in names
    assert "pages/eng/setup-r1.md" in names
    profile = json.loads(z.read("profile.json"))
    assert profile["username"] == "lena" and profile["headline"] == "Rust person"
    posts = json.loads(z.read("posts.json"))
    assert [p["title"] for p in posts] == ["Lena's tip"]
    assert "Use *cargo*." in z.read(f"posts/{mine['id']}.md").decode()
    (reply,) = json.loads(z.read("answers.json"))
    assert reply["in_reply_to"] == {"id": theirs["id"], "title": "Hidden question"}
    (page,) = json.loads(z.read("pages.json"))
    assert page["body"] == "Lena's page."
    everything = b"".join(z.read(n) for n in names)
    assert b"Admin's words." not in everything and b"Not Lena's." not in everything

    # She leaves the private group: the question's title is no longer hers to read.
    status, _ = await lena.delete("/api/v1/groups/secret/members/lena")
    assert status == 204
    z = await _zip(lena)
    (reply,) = json.loads(z.read("answers.json"))
    assert reply["in_reply_to"] == {"id": theirs["id"], "title": None}
    assert b"Hidden question" not in b"".join(z.read(n) for n in z.namelist())


async def test_export_needs_a_signed_in_member(admin: Api) -> None:
    status, body = await admin.as_(None).get("/api/v1/me/export")
    assert status == 401 and body["type"] == "/problems/unauthorized"
