"""The insight backfill: a server whose posts were written before its insight tables existed
(the scenario of test_insights, its aggregates then cleared) shows, once rebuilt, exactly
the figures live tracking gave; the rebuild runs once, leaves what was tracked live alone,
and what is written after it stays exact."""

from __future__ import annotations

from datetime import datetime, timedelta

from feedserver.domain import insight_backfill
from feedserver.store.rows import ts
from tests.insights.test_insights import T0, _build, _insights, _reply

SCOPES = (("admin", "server"), ("olga", "group:payroll-help"), ("dave", "group:travel"),
          ("admin", "tag:payroll"), ("alice", "me"), ("bob", "me"), ("carl", "me"))  # fmt: skip


async def _all(b, t) -> dict[tuple[str, str], dict]:
    return {(who, scope): await _insights(b, t[who], scope) for who, scope in SCOPES}


async def _history(b, *, tracked_from: datetime, clear: bool) -> None:
    """Migration 0160 run now over what the database holds, insights having been tracked
    since `tracked_from` (cleared first: as on a server upgraded from before 0100)."""
    async with b.services.db.write() as conn:
        if clear:
            for table in ("insight_days", "insight_questions", "insight_asks", "insight_pages"):
                await conn.execute(f"DELETE FROM {table}")
        await conn.execute(
            "UPDATE insight_backfill SET tracked_from = ?,"
            " last_post = (SELECT coalesce(max(seq), 0) FROM posts),"
            " last_page = (SELECT coalesce(max(seq), 0) FROM pages),"
            " next_post = 0, done_at = NULL",
            (ts(tracked_from),),
        )


async def test_backfill_gives_the_figures_live_tracking_gave(pair, monkeypatch):
    a, b, clock = pair
    t = await _build(a, b, clock)
    t["admin"] = b.admin_token
    clock.now = T0 + timedelta(days=2)
    for base, body in ((0, "File the form."), (1, "File it by the 5th.")):  # two page edits
        status, _ = await b.call(
            "PUT", "/api/v1/groups/payroll-help/pages/cut-off",
            {"title": "Cut-off", "body": body, "base_revision": base}, token=t["olga"],
        )  # fmt: skip
        assert status in (200, 201)
    clock.now = T0 + timedelta(days=10)
    live = await _all(b, t)
    assert live[("olga", "group:payroll-help")]["reuse"] == {
        "faq_page_edits": 2, "helpful_marks_on_answers": 1, "faq_pages": [
            {"group": "payroll-help", "slug": "cut-off", "title": "Cut-off", "readers": 0,
             "views": 0, "edits": 2}]}  # fmt: skip

    # Over a database tracked live from before its first post, the backfill changes nothing.
    await _history(b, tracked_from=T0 - timedelta(days=1), clear=False)
    assert await insight_backfill.run(b.services) == 0
    assert await _all(b, t) == live

    await _history(b, tracked_from=T0 + timedelta(days=30), clear=True)
    assert (await _insights(b, t["admin"], "server"))["questions"]["asked"] == 0
    monkeypatch.setattr(insight_backfill, "BATCH", 3)  # several batches, one cursor
    assert await insight_backfill.run(b.services) == 7
    assert await _all(b, t) == live
    assert await insight_backfill.run(b.services) == 0  # done once, for good
    assert await _all(b, t) == live

    # A rebuilt question goes on live: Carl answers the tax question two days on.
    tax = await _question_id(b, "Tax forms?")
    clock.now = T0 + timedelta(days=2)
    await _reply(b, t["carl"], tax)
    clock.now = T0 + timedelta(days=10)
    group = await _insights(b, t["olga"], "group:payroll-help")
    assert group["questions"]["answered"] == 4
    assert group["questions"]["first_answer"]["within_day"] == 3
    assert group["questions"]["unanswered"]["open_after_7_days"] == 0
    assert (await _insights(b, t["carl"], "me"))["answers"]["given"] == 2


async def _question_id(b, title: str) -> str:
    async with (
        b.services.db.read() as conn,
        conn.execute("SELECT id FROM posts WHERE title = ?", (title,)) as cur,
    ):
        row = await cur.fetchone()
    assert row is not None
    return str(row[0])
