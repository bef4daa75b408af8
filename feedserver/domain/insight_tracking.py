"""Keeps the insight figures (store/insight_days.py) up to date, subscribed to the domain's
events: each runs inside the write transaction of the question, answer, accept, ask, mark or
page revision that caused it, so the figures commit or roll back with it.

A question's contribution is computed from its facts (store/insight_facts.py); any change
takes the old contribution back and adds the new one, so edits, retags and deletions stay
exact."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from feedserver.domain.events import (
    AnswerAccepted,
    HelpfulMarked,
    PageRevised,
    PostDeleted,
    PostWritten,
    QuestionRouted,
)
from feedserver.domain.insight_buckets import day_of, delay_bucket
from feedserver.domain.services import Services
from feedserver.models import Post
from feedserver.store import insight_days as days
from feedserver.store import insight_facts as facts
from feedserver.store import insight_pages
from feedserver.store import posts as post_store
from feedserver.store.db import Connection
from feedserver.store.insight_days import SERVER, Key
from feedserver.store.insight_facts import AskFacts, QuestionFacts


def group_keys(group_id: str, tags: tuple[str, ...]) -> list[Key]:
    keys: list[Key] = [("", group_id, ""), ("", SERVER, "")]
    for tag in tags:
        keys += [("", group_id, tag), ("", SERVER, tag)]
    return keys


def _question_deltas(q: QuestionFacts) -> dict[str, int]:
    """What one question adds to the row of the day it was asked."""
    deltas = {"asked": 1}
    if q.first_answer_at is not None:
        deltas["answered"] = 1
        deltas["answered_in_week"] = int(q.first_answer_at - q.asked_at <= timedelta(days=7))
        column = days.histogram_column("first_delay", delay_bucket(q.asked_at, q.first_answer_at))
        deltas[column] = 1
    if q.accepted_at is not None:
        deltas["accepted"] = 1
        column = days.histogram_column("accept_delay", delay_bucket(q.asked_at, q.accepted_at))
        deltas[column] = 1
    return deltas


def _question_keys(q: QuestionFacts) -> list[Key]:
    return [*group_keys(q.group_id, q.tags), (q.asker_id, q.group_id, "")]


async def apply_question(conn: Connection, q: QuestionFacts, sign: int) -> None:
    deltas = {column: sign * n for column, n in _question_deltas(q).items()}
    await days.add(conn, _question_keys(q), day_of(q.asked_at), deltas)


async def apply_ask(conn: Connection, a: AskFacts, tags: tuple[str, ...], sign: int) -> None:
    deltas = {"routed": sign}
    if a.answered_at is not None:
        deltas["routed_answered"] = sign
        index = delay_bucket(a.asked_at, a.answered_at)
        deltas[days.histogram_column("routed_delay", index)] = sign
    await days.add(conn, group_keys(a.group_id, tags), day_of(a.asked_at), deltas)


async def _replace_question(conn: Connection, old: QuestionFacts, new: QuestionFacts) -> None:
    """Take the old contribution back and add the new one: only the difference is written
    when the question stays on the same rows (an answer, an accept), both when it moves (a
    retag)."""
    await facts.put_question(conn, new)
    if _question_keys(old) != _question_keys(new):
        await apply_question(conn, old, -1)
        await apply_question(conn, new, +1)
        return
    deltas = _question_deltas(new)
    for column, n in _question_deltas(old).items():
        deltas[column] = deltas.get(column, 0) - n
    await days.add(conn, _question_keys(new), day_of(new.asked_at), deltas)


async def replace_ask(
    conn: Connection, old: AskFacts, new: AskFacts, tags: tuple[str, ...]
) -> None:
    await facts.put_ask(conn, new)
    await apply_ask(conn, old, tags, -1)
    await apply_ask(conn, new, tags, +1)


async def _member_answer(conn: Connection, answer: Post, column: str, sign: int) -> None:
    key: Key = (answer.author_id, answer.group_id, "")
    await days.add(conn, [key], day_of(answer.created_at), {column: sign})


def subscribe(services: Services) -> None:
    events = services.events

    async def written(conn: Connection, event: PostWritten) -> None:
        post = event.post
        if post.kind == "question" and post.parent_id is None:
            old = await facts.question(conn, post.id)
            if old is None and event.created:
                new = QuestionFacts(post.id, post.group_id, post.author_id, post.tags,
                                    post.created_at)  # fmt: skip
                await facts.put_question(conn, new)
                await apply_question(conn, new, +1)
            elif old is not None and old.tags != post.tags:  # a retag moves its figures
                await _replace_question(conn, old, replace(old, tags=post.tags))
                for ask in await facts.asks(conn, post.id):
                    await apply_ask(conn, ask, old.tags, -1)
                    await apply_ask(conn, ask, post.tags, +1)
        elif post.kind == "answer" and event.created and post.parent_id is not None:
            await _member_answer(conn, post, "answers_given", +1)
            old = await facts.question(conn, post.parent_id)
            if old is None:
                return
            if old.first_answer_at is None:
                await _replace_question(conn, old, replace(old, first_answer_at=post.created_at))
            for ask in await facts.asks(conn, old.question_id):
                if ask.expert_id == post.author_id and ask.answered_at is None:
                    answered = replace(ask, answered_at=post.created_at)
                    await replace_ask(conn, ask, answered, old.tags)

    async def accepted(conn: Connection, event: AnswerAccepted) -> None:
        for answer_id, sign in ((event.previous_id, -1), (event.answer_id, +1)):
            answer = await post_store.get(conn, answer_id) if answer_id else None
            if answer is not None:
                await _member_answer(conn, answer, "answers_accepted", sign)
        old = await facts.question(conn, event.question.id)
        if old is not None:
            at = services.clock() if event.answer_id else None
            if event.answer_id and old.accepted_at is not None:
                at = old.accepted_at  # another choice: the question was resolved back then
            await _replace_question(conn, old, replace(old, accepted_at=at))

    async def routed(conn: Connection, event: QuestionRouted) -> None:
        question = event.question
        ask = AskFacts(question.id, event.expert_id, question.group_id, services.clock())
        await facts.put_ask(conn, ask)
        await apply_ask(conn, ask, question.tags, +1)

    async def deleted(conn: Connection, event: PostDeleted) -> None:
        post = event.post
        if post.kind == "answer":
            await _member_answer(conn, post, "answers_given", -1)
            if post.helpful_count:
                await days.add(conn, group_keys(post.group_id, ()), day_of(post.created_at),
                               {"helpful": -post.helpful_count})  # fmt: skip
            return
        old = await facts.question(conn, post.id)
        if old is None:
            return
        await apply_question(conn, old, -1)
        for ask in await facts.asks(conn, post.id):
            await apply_ask(conn, ask, old.tags, -1)
        await facts.delete_asks(conn, post.id)
        await facts.delete_question(conn, post.id)

    async def helpful(conn: Connection, event: HelpfulMarked) -> None:
        # Counted on the answer's day, so taking a mark back undoes exactly what it added.
        if event.post.kind == "answer":
            keys = group_keys(event.post.group_id, ())
            await days.add(conn, keys, day_of(event.post.created_at),
                           {"helpful": 1 if event.helpful else -1})  # fmt: skip

    async def revised(conn: Connection, event: PageRevised) -> None:
        page, day = event.page, day_of(event.page.updated_at)
        await days.add(conn, group_keys(page.group_id, ()), day, {"page_edits": 1})
        await insight_pages.add_edits(conn, page.id, page.group_id, day, 1)

    events.subscribe(PostWritten, written)
    events.subscribe(AnswerAccepted, accepted)
    events.subscribe(QuestionRouted, routed)
    events.subscribe(PostDeleted, deleted)
    events.subscribe(HelpfulMarked, helpful)
    events.subscribe(PageRevised, revised)
