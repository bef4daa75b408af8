"""Insight figures for what a server held before its insights were tracked (migration 0100):
rebuilt once from the posts, asks and page revisions, with the same contributions live
tracking adds (domain/insight_tracking.py), so an upgraded server shows its past.

History is what migration 0160 found (posts and pages up to their seq then) that is older
than 0100; a question already tracked live (it has facts) is left alone. Runs at start-up in
batches of questions, each batch one write transaction that also moves the cursor, so it
resumes after a crash and never counts a question twice; when the questions are done, page
edits are added and the row is marked done for good.

What the posts do not keep is approximated: an accept's time is the question's last change
(exact unless the question was edited or re-accepted after it), a deleted answer is not a
first answer, and marks and edits are counted only when older than 0100 (newer ones were
counted as they happened)."""

from __future__ import annotations

import logging
from typing import Any

from feedserver.domain import insight_tracking as tracking
from feedserver.domain.insight_buckets import day_of
from feedserver.domain.services import Services
from feedserver.store import insight_backfill as store
from feedserver.store import insight_days as days
from feedserver.store import insight_facts as facts
from feedserver.store import insight_pages, rows
from feedserver.store.db import Connection
from feedserver.store.insight_facts import AskFacts, QuestionFacts

BATCH = 200  # questions per write transaction: short enough not to hold writers back
log = logging.getLogger(__name__)


async def run(services: Services) -> int:
    """Rebuild what is left of history; the number of questions this call rebuilt."""
    rebuilt = 0
    while True:
        async with services.db.write() as conn:
            state = await store.claim(conn)
            if state is None:
                return rebuilt
            batch = await store.questions(conn, state.next_post, state.last_post, BATCH)
            for question in batch:
                rebuilt += await _question(conn, state, question)
            if batch:
                await store.advance(conn, int(batch[-1]["seq"]))
                continue
            edits = await store.page_edits(conn, state.last_page, state.tracked_from)
            for page_id, group_id, day, n in edits:
                await days.add(conn, tracking.group_keys(group_id, ()), day, {"page_edits": n})
                await insight_pages.add_edits(conn, page_id, group_id, day, n)
            await store.finish(conn, rows.ts(services.clock()))
        if rebuilt:
            log.info("insights: figures rebuilt for %d questions written before 0100", rebuilt)
        return rebuilt


async def _question(conn: Connection, state: store.State, q: dict[str, Any]) -> int:
    if await facts.question(conn, q["id"]) is not None:
        return 0  # written after 0100: tracked live
    answers = await store.answers(conn, q["id"], state.tracked_from)
    accepted = q["accepted_answer_id"]
    new = QuestionFacts(
        q["id"], q["group_id"], q["author_id"], tuple(q["tags"].split()),
        rows.parse_ts(q["created_at"]),
        rows.parse_ts(answers[0]["created_at"]) if answers else None,
        rows.parse_ts(q["updated_at"]) if accepted else None,
    )  # fmt: skip
    await facts.put_question(conn, new)
    await tracking.apply_question(conn, new, +1)
    accepted_before = accepted is not None and q["updated_at"] < state.tracked_from
    for answer in answers:
        day = day_of(rows.parse_ts(answer["created_at"]))
        if answer["seq"] <= state.last_post and answer["created_at"] < state.tracked_from:
            mine = {"answers_given": 1, "answers_accepted": int(
                accepted_before and answer["id"] == accepted)}  # fmt: skip
            await days.add(conn, [(answer["author_id"], new.group_id, "")], day, mine)
        if answer["marks"]:
            keys = tracking.group_keys(new.group_id, ())
            await days.add(conn, keys, day, {"helpful": int(answer["marks"])})
    await _asks(conn, new, answers)
    return 1


async def _asks(conn: Connection, q: QuestionFacts, answers: list[dict[str, Any]]) -> None:
    """Each ask, answered when the person asked answered after it. Asks made after 0100 were
    counted then, but not their answer (the question had no facts): replaced."""
    live = {ask.expert_id: ask for ask in await facts.asks(conn, q.question_id)}
    for expert_id, asked_at in await store.asks(conn, q.question_id):
        by_expert = (a["created_at"] for a in answers if a["author_id"] == expert_id)
        answered = next((at for at in by_expert if at >= asked_at), None)
        new = AskFacts(q.question_id, expert_id, q.group_id, rows.parse_ts(asked_at),
                       rows.parse_ts(answered) if answered else None)  # fmt: skip
        old = live.get(expert_id)
        if old is None:
            await facts.put_ask(conn, new)
            await tracking.apply_ask(conn, new, q.tags, +1)
        elif old != new:
            await tracking.replace_ask(conn, old, new, q.tags)
