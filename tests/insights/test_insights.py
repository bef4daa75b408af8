"""Learning insights end to end: questions answered after known delays (B's clock moved by
the test), an unanswered one, a routed one, a topic nobody here knows but a partner's expert
does, and searches that found nothing by five members and by one. The group's, the server's
and a member's figures are exactly the expected ones; the term one member searched is shown
nowhere; whoever does not lead the group is told it does not exist."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import aiohttp

from feedserver.federation import profiles
from tests.federation.test_shared_profiles import login
from tests.insights.sketch import salt_without_collisions

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
PERIOD = {"from": "2026-11-01", "to": "2026-11-12"}


async def _post(node, token, group, title, tags):
    status, body = await node.call(
        "POST", f"/api/v1/groups/{group}/posts",
        {"kind": "question", "title": title, "body": "How?", "tags": tags}, token=token,
    )  # fmt: skip
    assert status == 201, body
    return body["id"]


async def _reply(node, token, post_id):
    status, body = await node.call(
        "POST", f"/api/v1/posts/{post_id}/replies", {"body": "Like so."}, token=token
    )
    assert status == 201, body
    return body["id"]


async def _insights(node, token, scope, **params):
    status, body = await node.call(
        "GET", "/api/v1/insights", token=token, params={"scope": scope, **PERIOD, **params}
    )
    assert status == 200, body
    return body


async def _build(a, b, clock):
    """The server of the scenario (see the module's docstring); returns the tokens."""
    # A shares Vera's profile (evidence on visas) with B, through real federation.
    vera = await a.add_member("vera")
    async with a.services.db.write() as conn:
        await profiles.share(conn, a.services, vera, summary="Visa paperwork",
                             topics=["visas"], evidence={"visas": 4})  # fmt: skip
    assert await a.fed.worker.run_once() == 1
    t = {n: await login(b, n) for n in ("olga", "mia", "alice", "bob", "carl", "dave")}
    clock.now = T0
    for group, owner, members in (("payroll-help", "olga", ("mia", "alice", "bob", "carl")),
                                  ("travel", "dave", ("carl",))):  # fmt: skip
        status, _ = await b.call(
            "POST",
            "/api/v1/groups",
            {"name": group, "title": group.title(), "visibility": "private"},
            token=t[owner],
        )
        assert status == 201
        for name in members:
            status, _ = await b.call("PUT", f"/api/v1/groups/{group}/members/{name}",
                                     {"role": "member"}, token=t[owner])  # fmt: skip
            assert status in (200, 201)
    q1 = await _post(b, t["alice"], "payroll-help", "Payroll cut-off?", ["payroll"])
    q2 = await _post(b, t["alice"], "payroll-help", "Payroll corrections?", ["payroll"])
    await _post(b, t["alice"], "payroll-help", "Tax forms?", ["taxes"])  # never answered
    q4 = await _post(b, t["carl"], "payroll-help", "Payroll for contractors?", ["payroll"])
    status, _ = await b.call("POST", f"/api/v1/posts/{q4}/ask/bob", token=t["carl"])
    assert status == 201
    for n in range(3):  # nobody here knows visas; a partner's expert does
        await _post(b, t["carl"], "travel", f"Visa question {n}", ["visas"])
    clock.now = T0 + timedelta(minutes=30)
    a1 = await _reply(b, t["bob"], q1)
    clock.now = T0 + timedelta(hours=2)
    assert (await b.call("POST", f"/api/v1/posts/{a1}/accept", token=t["alice"]))[0] == 200
    clock.now = T0 + timedelta(hours=3)
    a2 = await _reply(b, t["carl"], q2)
    assert (await b.call("PUT", f"/api/v1/posts/{a2}/helpful", token=t["alice"]))[0] == 200
    clock.now = T0 + timedelta(days=1)
    await _reply(b, t["bob"], q4)
    # Searches that found nothing: one term by five members (one of them twice), the same
    # "who knows" topic by five, and one term by a single member.
    await salt_without_collisions(b.services, ["olga", "mia", "alice", "bob", "carl"])
    for name in ("olga", "mia", "alice", "bob", "carl", "alice"):
        status, body = await b.call("GET", "/api/v1/search", token=t[name],
                                    params={"q": "Kerberos  TICKETS?"})  # fmt: skip
        assert status == 200 and body["items"] == []
    for name in ("olga", "mia", "alice", "bob", "carl"):
        status, body = await b.call("GET", "/api/v1/experts", token=t[name],
                                    params={"topic": "cobol"})  # fmt: skip
        assert status == 200 and body["items"] == []
    for _ in range(7):
        status, body = await b.call("GET", "/api/v1/search", token=t["dave"],
                                    params={"q": "zanzibar"})  # fmt: skip
        assert status == 200 and body["items"] == []
    return t


async def test_insights_show_exactly_the_expected_figures_to_those_who_may_see_them(pair):
    a, b, clock = pair
    t = await _build(a, b, clock)
    # A day after the questions: Bob's load this week against his cap, for the group's owner.
    clock.now = T0 + timedelta(days=1, minutes=1)
    early = await _insights(b, t["olga"], "group:payroll-help")
    assert early["experts"] == [
        {"username": "bob", "display_name": "Bob", "asks_last_7_days": 1, "weekly_cap": 5}
    ]
    clock.now = T0 + timedelta(days=10)

    group = await _insights(b, t["olga"], "group:payroll-help")
    assert group["questions"] == {
        "asked": 4, "answered": 3, "accepted": 1,
        "first_answer": {"median_seconds": 3 * 3600, "p90_seconds": 86400, "within_hour": 1,
                         "within_day": 3, "share_within_hour": 0.25, "share_within_day": 0.75},
        "accepted_answer": {"median_seconds": 7200, "p90_seconds": 7200},
        "unanswered": {"asked_7_days_ago_or_more": 4, "open_after_7_days": 1, "share": 0.25},
    }  # fmt: skip
    assert group["weeks"] == [
        {"week": "2026-11-02", "asked": 4, "answered": 3, "median_first_answer_seconds": 10800}
    ]
    assert group["routed"] == {"asked": 1, "answered_by_person_asked": 1, "share_answered": 1.0,
                               "median_seconds": 86400, "p90_seconds": 86400}  # fmt: skip
    assert group["experts"] == []  # the ask is more than a week old now
    assert group["gaps"] == []  # payroll has Bob (an accepted answer); taxes was asked once
    assert group["reuse"] == {"faq_page_edits": 0, "helpful_marks_on_answers": 1, "faq_pages": []}
    assert group["searches_without_results"] == []

    server = await _insights(b, b.admin_token, "server")
    assert server["questions"]["asked"] == 7 and server["questions"]["answered"] == 3
    assert server["questions"]["first_answer"]["share_within_day"] == round(3 / 7, 4)
    assert server["questions"]["unanswered"] == {
        "asked_7_days_ago_or_more": 7,
        "open_after_7_days": 4,
        "share": round(4 / 7, 4),
    }
    assert server["gaps"] == [{
        "topic": "visas", "questions": 3, "best_local_score": 0.0,
        "partners": [{"organization": "Org A", "server": a.url, "experts": 1}],
        "directory": "/people?topic=visas",
    }]  # fmt: skip
    assert server["searches_without_results"] == [
        {"term": "kerberos tickets", "kind": "search", "searches": 6},
        {"term": "cobol", "kind": "experts", "searches": 5},
    ]

    alice = await _insights(b, t["alice"], "me")
    assert alice["questions"] == {
        "asked": 3, "answered": 2, "accepted": 1,
        "first_answer": {"median_seconds": 1800, "p90_seconds": 10800, "within_hour": 1,
                         "within_day": 2, "share_within_hour": 0.3333,
                         "share_within_day": 0.6667},
        "accepted_answer": {"median_seconds": 7200, "p90_seconds": 7200},
        "unanswered": {"asked_7_days_ago_or_more": 3, "open_after_7_days": 1,
                       "share": 0.3333},
    }  # fmt: skip
    assert alice["answers"] == {"given": 0, "accepted": 0}
    bob = await _insights(b, t["bob"], "me")
    assert bob["questions"]["asked"] == 0 and bob["answers"] == {"given": 2, "accepted": 1}

    # The term one member searched appears nowhere, in JSON or CSV, whoever asks.
    for token, scope in ((b.admin_token, "server"), (t["olga"], "group:payroll-help"),
                         (t["dave"], "group:travel"), (t["dave"], "me"),
                         (b.admin_token, "tag:payroll")):  # fmt: skip
        for accept in ("application/json", "text/csv"):
            status, body = await b.call("GET", "/api/v1/insights", token=token,
                                        params={"scope": scope, **PERIOD},
                                        headers={"Accept": accept})  # fmt: skip
            assert status == 200, body
            assert "zanzibar" not in str(body)
    # Nothing stored says who searched: the week closed, its sketches and salt are gone.
    async with b.services.db.read() as conn:
        async with conn.execute("SELECT count(*) FROM insight_search_misses"
                                " WHERE sketch IS NOT NULL") as cur:  # fmt: skip
            assert (await cur.fetchone())[0] == 0
        async with conn.execute("SELECT count(*) FROM insight_salts") as cur:
            assert (await cur.fetchone())[0] == 0

    # Who is not an owner or mentor of the group is told it does not exist; others neither.
    for name in ("mia", "bob", "dave"):
        status, body = await b.call("GET", "/api/v1/insights", token=t[name],
                                    params={"scope": "group:payroll-help"})  # fmt: skip
        assert status == 404, (name, body)
        assert body["type"].endswith("not-found")
    status, _ = await b.call("GET", "/api/v1/insights", token=t["mia"], params={"scope": "server"})
    assert status == 403
    async with (
        aiohttp.ClientSession() as anonymous,
        anonymous.get(b.url + "/api/v1/insights?scope=me") as resp,
    ):
        assert resp.status == 401
