"""Posts: kinds, tags, replies and answers, acceptance, helpful marks, edits with revisions,
deletion with tombstones, and paging that reads by index range."""

from __future__ import annotations

from feedserver import appkeys
from feedserver.store import posts as post_store
from tests.conftest import Api


async def _setup(admin: Api) -> tuple[Api, Api, Api]:
    alice = await admin.add_member("alice")
    bob = await admin.add_member("bob")
    mia = await admin.add_member("mia")
    await alice.post("/api/v1/groups", {"name": "ops", "title": "Ops"})
    await alice.put("/api/v1/groups/ops/members/bob", {})
    await alice.put("/api/v1/groups/ops/members/mia", {"role": "mentor"})
    return alice, bob, mia


async def _ask(api: Api, title: str = "How do I reset a badge?", **extra) -> dict:
    body = {"kind": "question", "title": title, "body": "It stopped working.", **extra}
    status, post = await api.post("/api/v1/groups/ops/posts", body)
    assert status == 201, post
    return post


async def test_tags_are_normalized_and_filter(admin: Api) -> None:
    alice, bob, _ = await _setup(admin)
    post = await _ask(bob, tags=["#Payroll", "payroll", "Time Off", "time_off"])
    assert post["tags"] == ["payroll", "time-off"]
    await _ask(bob, "Unrelated", tags=["badges"])
    status, listed = await alice.get("/api/v1/groups/ops/posts", params={"tag": "Payroll"})
    assert [p["id"] for p in listed["items"]] == [post["id"]]
    status, body = await bob.post(
        "/api/v1/groups/ops/posts",
        {"kind": "tip", "title": "t", "body": "b", "tags": ["ok", "!!!"]},
    )
    assert status == 422 and body["errors"][0]["field"] == "tags/1"


async def test_kind_filter_and_cursor_paging(admin: Api) -> None:
    alice, bob, _ = await _setup(admin)
    ids = []
    for n in range(7):
        kind = "story" if n % 2 else "tip"
        status, post = await bob.post(
            "/api/v1/groups/ops/posts", {"kind": kind, "title": f"post {n}", "body": "text"}
        )
        ids.append(post["id"])
    seen, cursor = [], None
    while True:
        params = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        status, page = await alice.get("/api/v1/groups/ops/posts", params=params)
        seen += [p["id"] for p in page["items"]]
        if not (cursor := page["next"]):
            break
    assert seen == list(reversed(ids))
    status, stories = await alice.get("/api/v1/groups/ops/posts", params={"kind": "story"})
    assert [p["title"] for p in stories["items"]] == ["post 5", "post 3", "post 1"]
    assert (await alice.get("/api/v1/groups/ops/posts", params={"kind": "answer"}))[0] == 400
    assert (await alice.get("/api/v1/groups/ops/posts", params={"cursor": "%%%"}))[0] == 400
    assert (await alice.get("/api/v1/groups/ops/posts", params={"limit": "0"}))[0] == 400


async def test_accept_change_and_withdraw(admin: Api) -> None:
    alice, bob, mia = await _setup(admin)
    question = await _ask(bob)
    _, first = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": "Try A"})
    _, second = await mia.post(f"/api/v1/posts/{question['id']}/replies", {"body": "Try B"})
    assert first["kind"] == second["kind"] == "answer"
    assert (await bob.post(f"/api/v1/posts/{first['id']}/accept"))[1]["accepted_answer_id"] == (
        first["id"]
    )
    # The asker may change their mind; a mentor may too.
    status, q = await mia.post(f"/api/v1/posts/{second['id']}/accept")
    assert status == 200 and q["accepted_answer_id"] == second["id"]
    status, body = await bob.post(f"/api/v1/posts/{question['id']}/accept")
    assert status == 409  # a question is not an answer
    status, q = await bob.delete(f"/api/v1/posts/{second['id']}/accept")
    assert status == 200 and q["accepted_answer_id"] is None

    _, story = await bob.post(
        "/api/v1/groups/ops/posts", {"kind": "story", "title": "s", "body": "b"}
    )
    _, comment = await alice.post(f"/api/v1/posts/{story['id']}/replies", {"body": "nice"})
    assert comment["kind"] == "reply"
    assert (await bob.post(f"/api/v1/posts/{comment['id']}/accept"))[0] == 409
    assert (await bob.post(f"/api/v1/posts/{comment['id']}/replies", {"body": "x"}))[0] == 409


async def test_helpful_once_each_never_self(admin: Api) -> None:
    alice, bob, mia = await _setup(admin)
    question = await _ask(bob)
    for _ in range(2):
        status, post = await alice.put(f"/api/v1/posts/{question['id']}/helpful")
        assert status == 200 and post["helpful_count"] == 1 and post["helpful_by_me"]
    status, post = await mia.put(f"/api/v1/posts/{question['id']}/helpful")
    assert post["helpful_count"] == 2
    assert (await bob.put(f"/api/v1/posts/{question['id']}/helpful"))[0] == 409
    status, post = await alice.delete(f"/api/v1/posts/{question['id']}/helpful")
    assert post["helpful_count"] == 1
    status, thread = await mia.get(f"/api/v1/posts/{question['id']}")
    assert thread["post"]["helpful_by_me"] is True


async def test_edit_keeps_revisions_and_id(admin: Api) -> None:
    alice, bob, _ = await _setup(admin)
    question = await _ask(bob, tags=["badges"])
    status, body = await alice.patch(f"/api/v1/posts/{question['id']}", {"title": "hijack"})
    assert status == 403
    status, edited = await bob.patch(
        f"/api/v1/posts/{question['id']}", {"body": "It stopped working *today*."}
    )
    assert status == 200 and edited["id"] == question["id"] and edited["revision"] == 2
    assert "<em>today</em>" in edited["body_html"]
    assert edited["title"] == question["title"] and edited["tags"] == ["badges"]
    status, revs = await alice.get(f"/api/v1/posts/{question['id']}/revisions")
    assert [r["revision"] for r in revs["items"]] == [2, 1]
    assert revs["items"][1]["body"] == "It stopped working."
    status, body = await bob.patch(f"/api/v1/posts/{question['id']}", {})
    assert status == 422


async def test_delete_leaves_tombstones_and_drops_from_search(admin: Api) -> None:
    alice, bob, mia = await _setup(admin)
    question = await _ask(bob, "Obscure quokka question")
    _, answer = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": "quokka!"})
    assert (await bob.delete(f"/api/v1/posts/{answer['id']}"))[0] == 403  # not the author
    assert (await mia.delete(f"/api/v1/posts/{question['id']}"))[0] == 204
    assert (await bob.get(f"/api/v1/posts/{question['id']}"))[0] == 404
    assert (await bob.get(f"/api/v1/posts/{answer['id']}"))[0] == 404
    status, found = await bob.get("/api/v1/search", params={"q": "quokka"})
    assert found["items"] == []
    services = admin.client.app[appkeys.SERVICES]
    async with services.db.read() as conn:
        group_id = (await conn.execute_fetchall("SELECT id FROM groups WHERE name='ops'"))[0][0]
        stones = await post_store.tombstones_since(
            conn, group_id, services.clock().replace(year=2000)
        )
    assert {s.post_id for s in stones} == {question["id"], answer["id"]}


async def test_group_version_counts_every_visible_change(admin: Api) -> None:
    alice, bob, _ = await _setup(admin)

    async def version() -> int:
        return (await alice.get("/api/v1/groups/ops"))[1]["version"]

    before = await version()
    question = await _ask(bob)
    _, answer = await alice.post(f"/api/v1/posts/{question['id']}/replies", {"body": "A"})
    await bob.patch(f"/api/v1/posts/{question['id']}", {"body": "edited"})
    await bob.post(f"/api/v1/posts/{answer['id']}/accept")
    assert (await alice.delete(f"/api/v1/posts/{answer['id']}"))[0] == 204
    assert await version() == before + 5
    await alice.get(f"/api/v1/posts/{question['id']}")  # reads change nothing
    assert await version() == before + 5


async def test_post_ids_are_opaque_and_time_ordered(admin: Api) -> None:
    _, bob, _ = await _setup(admin)
    first, second = await _ask(bob, "one"), await _ask(bob, "two")
    assert len(first["id"]) == 26 and not first["id"].isdigit()
    assert first["id"] < second["id"]
    assert (await bob.get("/api/v1/posts/1"))[0] == 404
