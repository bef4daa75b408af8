"""The directory, profiles and explanations respect every sharing level, and an explanation
never names a post the viewer may not read (it only counts it)."""

from __future__ import annotations

from tests.conftest import Api
from tests.expertise.conftest import experts, make_group, solved
from tests.mentoring.conftest import as_mentee, as_mentor, new_program, propose, publish

SECRET = "Secret merger payroll question"


async def test_explanations_count_but_never_name_private_evidence(xadmin: Api) -> None:
    alice, bob = await xadmin.add_member("alice"), await xadmin.add_member("bob")
    carol, dave = await xadmin.add_member("carol"), await xadmin.add_member("dave")
    await make_group(alice, "secret-ops", "private", "bob", "carol")
    await make_group(alice, "finance", "org", "bob", "carol")
    secret_q = await solved(bob, carol, "secret-ops", SECRET, ["payroll"])
    public_q = await solved(bob, carol, "finance", "Public cutoff question", ["payroll"])

    # dave may not read secret-ops: the evidence counts, shows as a number, never a title.
    [entry] = await experts(dave, "payroll")
    why = entry["explanation"]
    assert why["counts"] == {"accepted_answer": 2}
    assert why["hidden"] == 1
    assert [e["title"] for e in why["evidence"]] == ["Public cutoff question"]
    assert why["evidence"][0]["post"] == f"/api/v1/posts/{public_q}"
    status, text = await dave.get("/api/v1/experts", params={"topic": "payroll"})
    status2, profile = await dave.get("/api/v1/members/carol/profile")
    status3, suggested = await dave.get(f"/api/v1/posts/{public_q}/suggested-experts")
    assert (status, status2, status3) == (200, 200, 200)
    for doc in (text, profile, suggested):
        assert "Secret merger" not in str(doc)
        assert "secret-ops" not in str(doc)
        assert secret_q not in str(doc)

    # bob reads both groups and sees both titles.
    [entry] = await experts(bob, "payroll")
    assert entry["explanation"]["hidden"] == 0
    assert {e["title"] for e in entry["explanation"]["evidence"]} == {
        SECRET,
        "Public cutoff question",
    }

    # Losing access hides the title again.
    status, _ = await alice.delete("/api/v1/groups/secret-ops/members/bob")
    assert status == 204
    [entry] = await experts(bob, "payroll")
    assert entry["explanation"]["hidden"] == 1
    assert SECRET not in str(entry)


async def test_directory_respects_every_sharing_level(xadmin: Api) -> None:
    asker = await xadmin.add_member("asker")
    people = {}
    for name in ("priv", "orgy", "part"):
        people[name] = await xadmin.add_member(name)
    viewer = await xadmin.add_member("viewer")
    await make_group(asker, "finance", "org", *people)
    for name, sharing in (("priv", "private"), ("orgy", "org"), ("part", "partners")):
        status, body = await people[name].put(
            f"/api/v1/members/{name}/profile", {"headline": f"{name} here", "sharing": sharing}
        )
        assert status == 200 and body["sharing"] == sharing
        await solved(asker, people[name], "finance", f"Question for {name}", ["payroll"])

    def names(items: list[dict]) -> set[str]:
        return {e["username"] for e in items}

    assert names(await experts(viewer, "payroll")) == {"orgy", "part"}
    assert names(await experts(people["priv"], "payroll")) == {"priv", "orgy", "part"}
    assert names(await experts(xadmin, "payroll")) == {"priv", "orgy", "part"}

    assert (await viewer.get("/api/v1/members/priv/profile"))[0] == 404
    assert (await viewer.post("/api/v1/members/priv/endorsements/payroll"))[0] == 404
    status, own = await people["priv"].get("/api/v1/members/priv/profile")
    assert status == 200 and own["sharing"] == "private"
    status, seen = await xadmin.get("/api/v1/members/priv/profile")
    assert status == 200 and seen["headline"] == "priv here"
    status, other = await viewer.get("/api/v1/members/orgy/profile")
    assert status == 200 and "sharing" not in other and "weekly_ask_cap" not in other

    # Someone else's profile cannot be written; a private one does not even exist for them.
    assert (await viewer.put("/api/v1/members/orgy/profile", {"headline": "x"}))[0] == 403
    assert (await viewer.put("/api/v1/members/priv/profile", {"headline": "x"}))[0] == 404
    # Suggestions follow the same rule.
    qid = await solved(asker, people["orgy"], "finance", "Another", ["payroll"])
    status, found = await viewer.get(f"/api/v1/posts/{qid}/suggested-experts")
    assert status == 200 and "priv" not in {s["username"] for s in found["items"]}


async def test_free_text_narrows_the_directory(xadmin: Api) -> None:
    asker = await xadmin.add_member("asker")
    ann, ben = await xadmin.add_member("ann"), await xadmin.add_member("ben")
    await make_group(asker, "finance", "org", "ann", "ben")
    await ann.put("/api/v1/members/ann/profile", {"team": "Payroll Berlin"})
    await ben.put("/api/v1/members/ben/profile", {"team": "Tax Lisbon"})
    await solved(asker, ann, "finance", "Q1", ["payroll"])
    await solved(asker, ben, "finance", "Q2", ["payroll"])
    assert [e["username"] for e in await experts(asker, "payroll", q="berlin")] == ["ann"]
    assert [e["username"] for e in await experts(asker, "payroll", q="lisbon tax")] == ["ben"]
    assert await experts(asker, "payroll", q="100%_") == []


async def test_bad_input_is_a_clear_problem_and_changes_nothing(xadmin: Api) -> None:
    ann = await xadmin.add_member("ann")
    await ann.put("/api/v1/members/ann/profile", {"headline": "Before"})
    for body in (
        {"topics": [{"topic": "payroll", "level": "guru"}]},
        {"sharing": "public"},
        {"weekly_ask_cap": -1},
        {"nickname": "x"},
        {"topics": [{"topic": "!!!", "level": "expert"}], "headline": "After"},
    ):
        status, problem = await ann.put("/api/v1/members/ann/profile", body)
        assert status == 422, (body, problem)
        assert problem["type"] == "/problems/validation"
    status, profile = await ann.get("/api/v1/members/ann/profile")
    assert profile["headline"] == "Before" and profile["declared"] == []

    status, problem = await ann.get("/api/v1/experts")
    assert status == 422 and problem["errors"][0]["field"] == "topic"
    status, _ = await ann.get("/api/v1/experts", params={"topic": "payroll", "cursor": "zz"})
    assert status == 400
    status, _ = await ann.get("/api/v1/experts", params={"topic": "payroll", "limit": "0"})
    assert status == 400
    status, _ = await ann.as_(None).get("/api/v1/experts", params={"topic": "payroll"})
    assert status == 401


def _topics(profile: dict) -> set[str]:
    return {t["topic"] for t in profile["topics"]}


async def test_narrowed_group_stops_naming_its_topic_and_posts(xadmin: Api) -> None:
    """Local reads ask the policy live: once a group is private, what it taught is counted
    for outsiders, never named (the partners' copy is pushed again: tests/federation)."""
    alice, bob = await xadmin.add_member("alice"), await xadmin.add_member("bob")
    carol, dave = await xadmin.add_member("carol"), await xadmin.add_member("dave")
    await make_group(alice, "reorg", "org", "bob", "carol")
    qid = await solved(bob, carol, "reorg", "Who goes first", ["layoffs"])
    status, profile = await dave.get("/api/v1/members/carol/profile")
    assert status == 200 and "layoffs" in _topics(profile)
    [entry] = await experts(dave, "layoffs")
    assert [e["title"] for e in entry["explanation"]["evidence"]] == ["Who goes first"]

    status, _ = await alice.patch("/api/v1/groups/reorg", {"visibility": "private"})
    assert status == 200
    status, profile = await dave.get("/api/v1/members/carol/profile")
    assert status == 200 and "layoffs" not in str(profile)
    # dave typed the topic himself: carol's evidence is counted, nothing about it described.
    [entry] = await experts(dave, "layoffs")
    assert entry["explanation"]["hidden"] == 1 and entry["explanation"]["evidence"] == []
    for doc in (entry, profile):
        assert "Who goes first" not in str(doc) and "reorg" not in str(doc)
        assert qid not in str(doc)
    # The group's members still read it, so for them it is named.
    status, profile = await bob.get("/api/v1/members/carol/profile")
    assert "layoffs" in _topics(profile)
    [entry] = await experts(bob, "layoffs")
    assert entry["explanation"]["hidden"] == 0


GOAL = "performance-improvement-plan"


async def test_mentoring_counts_but_never_names_a_mentees_goal(xadmin: Api) -> None:
    """Mentoring evidence is recorded with no group, on the mentee's goals, which only the
    mentee, the mentor and the program's managers see: it adds to the score and is counted
    (hidden), but a topic is named only through other evidence or a declaration. An
    endorsement, also with no group, was typed in the open on the profile: it names."""
    asker, mia = await xadmin.add_member("asker"), await xadmin.add_member("mia")
    ann, dave = await xadmin.add_member("ann"), await xadmin.add_member("dave")
    await make_group(asker, "commons", "org", "mia")
    await solved(asker, mia, "commons", "Cutoff", ["payroll"])
    pid = await new_program(xadmin, name="Growth")
    await as_mentor(mia, pid, ["payroll"], 1)
    await as_mentee(ann, pid, ["payroll", GOAL])
    [pairing] = await publish(xadmin, pid, (await propose(xadmin, pid))["id"])
    status, body = await mia.post(
        f"/api/v1/programs/{pid}/pairings/{pairing['id']}/close", {"outcome": "completed"}
    )
    assert status == 200, body
    assert (await dave.post("/api/v1/members/mia/endorsements/negotiation"))[0] == 201

    status, profile = await dave.get("/api/v1/members/mia/profile")
    assert status == 200 and GOAL not in str(profile)
    assert _topics(profile) == {"payroll", "negotiation"}
    (payroll,) = [t for t in profile["topics"] if t["topic"] == "payroll"]
    assert payroll["explanation"]["counts"] == {"accepted_answer": 1, "mentoring": 1}
    assert payroll["explanation"]["hidden"] == 1  # the mentoring: counted, not described
    # Asked by name, the directory counts it and describes nothing.
    [entry] = await experts(dave, GOAL)
    assert entry["username"] == "mia" and entry["explanation"]["counts"] == {"mentoring": 1}
    assert entry["explanation"]["hidden"] == 1 and entry["explanation"]["evidence"] == []
    # Admins see every pairing, and so the goal named.
    status, profile = await xadmin.get("/api/v1/members/mia/profile")
    assert GOAL in _topics(profile)
