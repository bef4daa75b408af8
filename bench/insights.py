"""GET /api/v1/insights?scope=server at 10,000 and 1,000,000 posts, against a plain indexed
read (GET /api/v1/groups/{name}/posts, a page of 20 by index) in the same run.

    python -m bench.insights

Posts are written in bulk (a quarter questions, the rest answers, a year of them over 20
groups and 50 Zipf-skewed tags, some accepted, some routed) and the insight aggregates are
built by publishing each post's domain events, in time order, to the production subscribers
(domain/insight_tracking.py) - the same code the write transactions run. Generated
databases are kept under bench/.work/ (gitignored) and reused. Both endpoints are timed
through the real app over loopback HTTP, interleaved. Writes its section of bench/results.md;
the target is insights p50 and p99 at 1M / at 10k <= 1.5.
"""

from __future__ import annotations

import asyncio
import os
import random
import sqlite3
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import ClientSession
from aiohttp.test_utils import TestServer

from bench.report import machine, write_section
from feedserver.app import create_app
from feedserver.config import Config
from feedserver.domain import insight_tracking, insights, members
from feedserver.domain import insight_tracking as tracking
from feedserver.domain.events import AnswerAccepted, PostWritten, QuestionRouted
from feedserver.domain.ids import new_id
from feedserver.domain.insight_buckets import day_of, delay_bucket
from feedserver.domain.services import Services
from feedserver.models import Member, Post, Viewer
from feedserver.store import groups as group_store
from feedserver.store import insight_days
from feedserver.store.db import Database
from feedserver.store.insight_facts import AskFacts, QuestionFacts
from feedserver.store.rows import ts

WORK = Path(__file__).resolve().parent / ".work"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
DAYS, GROUPS, MEMBERS = 365, 20, 2000
TAGS = [f"topic-{i}" for i in range(50)]
REQUESTS = int(os.environ.get("BENCH_INSIGHTS_REQUESTS", "300"))
PASSWORD = "bench password 1"
TITLE = "Learning insights (bench/insights.py)"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def _post(pid: str, gid: str, parent: str | None, kind: str, author: str, tags: tuple[str, ...],
          at: datetime) -> Post:  # fmt: skip
    return Post(pid, gid, "", parent, kind, author, "", "", "Q?" if not parent else "",  # type: ignore[arg-type]
                "How?", "<p>How?</p>", tags, at, at, 1)  # fmt: skip


def _scene(n: int, rng: random.Random, gids: list[str], mids: list[str]) -> tuple[list, list]:
    """(posts, events in time order) for n posts."""
    weights = [1 / (i + 1) for i in range(len(TAGS))]
    posts, events = [], []
    questions = []
    for _ in range(n // 4):
        at = NOW - timedelta(seconds=rng.uniform(60, DAYS * 86400))
        tags = tuple(sorted(set(rng.choices(TAGS, weights, k=rng.choice((1, 2))))))
        q = _post(new_id(int(at.timestamp() * 1000)), rng.choice(gids), None, "question",
                  rng.choice(mids), tags, at)  # fmt: skip
        posts.append(q)
        questions.append(q)
        events.append((at, 0, PostWritten(q, created=True)))
        if rng.random() < 0.05:
            expert = rng.choice(mids)
            if expert != q.author_id:
                events.append((at + timedelta(minutes=10), 1,
                               QuestionRouted(q, expert, q.author_id)))  # fmt: skip
    answerable = questions[: int(len(questions) * 0.8)]
    first: dict[str, Post] = {}
    for _ in range(n - len(questions)):
        q = rng.choice(answerable)
        at = min(NOW, q.created_at + timedelta(seconds=rng.expovariate(1 / (6 * 3600))))
        a = _post(new_id(int(at.timestamp() * 1000)), q.group_id, q.id, "answer",
                  rng.choice(mids), (), at)  # fmt: skip
        posts.append(a)
        events.append((at, 2, PostWritten(a, created=True)))
        if q.id not in first or at < first[q.id].created_at:
            first[q.id] = a
    by_id = {q.id: q for q in questions}
    for qid, a in first.items():
        if rng.random() < 0.4:
            at = min(NOW, a.created_at + timedelta(seconds=rng.expovariate(1 / 86400)))
            events.append((at, 3, AnswerAccepted(by_id[qid], a.id, None, by_id[qid].author_id)))
    events.sort(key=lambda e: (e[0], e[1]))
    return posts, events


async def seed_events(config: Config, n: int) -> None:
    rng = random.Random(n)
    clock = Clock()
    db = Database(config.db_path, readers=1, synchronous="OFF")
    await db.open()
    services = Services(db=db, config=config, clock=clock)
    insight_tracking.subscribe(services)
    try:
        stamp = NOW - timedelta(days=DAYS + 1)
        gids = [new_id() for _ in range(GROUPS)]
        mids = [new_id() for _ in range(MEMBERS)]
        async with db.write() as conn:
            for g, gid in enumerate(gids):
                await group_store.insert(conn, id=gid, name=f"g{g}", title=f"G{g}",
                                         description="", visibility="org", now=stamp)  # fmt: skip
            # Bulk seeding only: the store writes one member, one post at a time.
            await conn.executemany(
                "INSERT INTO members (id, username, display_name, is_admin, created_at)"
                " VALUES (?, ?, ?, 0, ?)",
                [(m, f"m{i}", f"Member {i}", ts(stamp)) for i, m in enumerate(mids)],
            )
        posts, events = _scene(n, rng, gids, mids)
        for start in range(0, len(posts), 50_000):
            async with db.write() as conn:
                await conn.executemany(
                    "INSERT INTO posts (id, group_id, parent_id, kind, author_id, title, body,"
                    " body_html, tags, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                    [(p.id, p.group_id, p.parent_id, p.kind, p.author_id, p.title, p.body,
                      p.body_html, " ".join(p.tags), ts(p.created_at), ts(p.created_at))
                     for p in posts[start : start + 50_000]],
                )  # fmt: skip
        for start in range(0, len(events), 20_000):
            async with db.write() as conn:
                for at, _, event in events[start : start + 20_000]:
                    clock.now = at
                    await services.events.publish(conn, event)
    finally:
        await db.close()


def _replay(posts: list[Post], events: list) -> tuple[dict, list[AskFacts], list[QuestionFacts]]:
    """The final facts of every question and ask, replaying the events in time order as the
    subscribers do, then each one's contribution by the subscribers' own functions: rows of
    insight_days as {(subject, group, tag, day): {column: n}}."""
    questions: dict[str, QuestionFacts] = {}
    asks: dict[tuple[str, str], AskFacts] = {}
    by_question: dict[str, list[tuple[str, str]]] = {}
    answers: dict[str, Post] = {}
    accepted: set[str] = set()
    for at, _, event in events:
        if isinstance(event, PostWritten) and event.post.kind == "question":
            q = event.post
            questions[q.id] = QuestionFacts(q.id, q.group_id, q.author_id, q.tags, q.created_at)
        elif isinstance(event, PostWritten):
            a = event.post
            answers[a.id] = a
            q = questions[a.parent_id]
            if q.first_answer_at is None:
                questions[q.question_id] = replace(q, first_answer_at=a.created_at)
            for key in by_question.get(q.question_id, ()):
                if key[1] == a.author_id and asks[key].answered_at is None:
                    asks[key] = replace(asks[key], answered_at=a.created_at)
        elif isinstance(event, QuestionRouted):
            key = (event.question.id, event.expert_id)
            asks[key] = AskFacts(*key, event.question.group_id, at)
            by_question.setdefault(event.question.id, []).append(key)
        elif isinstance(event, AnswerAccepted):
            qid = event.question.id
            questions[qid] = replace(questions[qid], accepted_at=at)
            accepted.add(event.answer_id)
    rows: dict[tuple[str, str, str, str], dict[str, int]] = {}

    def add(keys, day, deltas):  # type: ignore[no-untyped-def]
        for key in keys:
            row = rows.setdefault((*key, day), {})
            for column, n in deltas.items():
                row[column] = row.get(column, 0) + n

    for q in questions.values():
        add(tracking._question_keys(q), day_of(q.asked_at), tracking._question_deltas(q))
    for ask in asks.values():
        deltas = {"routed": 1}
        if ask.answered_at is not None:
            deltas["routed_answered"] = 1
            index = delay_bucket(ask.asked_at, ask.answered_at)
            deltas[insight_days.histogram_column("routed_delay", index)] = 1
        tags = questions[ask.question_id].tags
        add(tracking.group_keys(ask.group_id, tags), day_of(ask.asked_at), deltas)
    for a in answers.values():
        deltas = {"answers_given": 1, "answers_accepted": int(a.id in accepted)}
        add([(a.author_id, a.group_id, "")], day_of(a.created_at), deltas)
    return rows, list(asks.values()), list(questions.values())


async def seed_bulk(config: Config, n: int) -> None:
    """The same scene as seed_events, the aggregates computed in one pass by the
    subscribers' functions and written with executemany (seed_events takes hours at 1M on a
    shared machine). The small size is built both ways and the reports compared."""
    rng = random.Random(n)
    db = Database(config.db_path, readers=1, synchronous="OFF")
    await db.open()  # the migrations
    await db.close()
    stamp = NOW - timedelta(days=DAYS + 1)
    gids = [new_id() for _ in range(GROUPS)]
    mids = [new_id() for _ in range(MEMBERS)]
    posts, events = _scene(n, rng, gids, mids)
    rows, asks, facts = _replay(posts, events)
    con = sqlite3.connect(config.db_path)
    try:
        con.execute("PRAGMA synchronous = OFF")
        # The full-text index is on neither measured path: not filled, to save the hours.
        con.execute("DROP TRIGGER posts_fts_insert")
        con.executemany(
            "INSERT INTO groups (id, name, title, visibility, created_at) VALUES (?,?,?,?,?)",
            [(gid, f"g{g}", f"G{g}", "org", ts(stamp)) for g, gid in enumerate(gids)],
        )
        con.executemany(
            "INSERT INTO members (id, username, display_name, is_admin, created_at)"
            " VALUES (?, ?, ?, 0, ?)",
            [(m, f"m{i}", f"Member {i}", ts(stamp)) for i, m in enumerate(mids)],
        )
        con.executemany(
            "INSERT INTO posts (id, group_id, parent_id, kind, author_id, title, body,"
            " body_html, tags, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            ((p.id, p.group_id, p.parent_id, p.kind, p.author_id, p.title, p.body, p.body_html,
              " ".join(p.tags), ts(p.created_at), ts(p.created_at)) for p in posts),
        )  # fmt: skip
        by_columns: dict[tuple[str, ...], list[tuple]] = {}
        for key, deltas in rows.items():
            columns = tuple(sorted(c for c, v in deltas.items() if v))
            by_columns.setdefault(columns, []).append((*key, *(deltas[c] for c in columns)))
        for columns, values in by_columns.items():
            names = "".join(f", {c}" for c in columns)
            con.executemany(
                f"INSERT INTO insight_days (subject, group_id, tag, day{names})"
                f" VALUES (?, ?, ?, ?{', ?' * len(columns)})",
                values,
            )
        con.executemany(
            "INSERT INTO insight_asks (question_id, expert_id, group_id, asked_at, answered_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(a.question_id, a.expert_id, a.group_id, ts(a.asked_at),
              ts(a.answered_at) if a.answered_at else None) for a in asks],
        )  # fmt: skip
        # Each question's facts, as the subscribers keep them: the start-up backfill
        # (domain/insight_backfill.py) sees them tracked and leaves them alone.
        con.executemany(
            "INSERT INTO insight_questions (question_id, group_id, asker_id, tags, asked_at,"
            " first_answer_at, accepted_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(q.question_id, q.group_id, q.asker_id, " ".join(q.tags), ts(q.asked_at),
              ts(q.first_answer_at) if q.first_answer_at else None,
              ts(q.accepted_at) if q.accepted_at else None) for q in facts],
        )  # fmt: skip
        con.commit()
    finally:
        con.close()


def _pct(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def measure(config: Config) -> dict[str, tuple[float, float]]:
    db = Database(config.db_path, config.db_readers, "NORMAL")
    services = Services(db=db, config=config, clock=lambda: NOW)
    server = TestServer(create_app(config, services), host="127.0.0.1")
    await server.start_server()
    try:
        if not await _has_admin(services):
            await members.create(services, username="admin", display_name="Admin",
                                 password=PASSWORD, is_admin=True)  # fmt: skip
        async with ClientSession(base_url=str(server.make_url(""))) as http:
            async with http.post(
                "/api/v1/sessions", json={"username": "admin", "password": PASSWORD}
            ) as r:
                token = (await r.json())["token"]
            headers = {"Authorization": f"Bearer {token}"}
            paths = {"insights": "/api/v1/insights?scope=server",
                     "plain": "/api/v1/groups/g0/posts?limit=20"}  # fmt: skip
            times: dict[str, list[float]] = {k: [] for k in paths}
            for i in range(REQUESTS + 30):
                for name, path in paths.items():
                    t0 = time.perf_counter()
                    async with http.get(path, headers=headers) as resp:
                        await resp.read()
                        assert resp.status == 200, resp.status
                    if i >= 30:  # the first 30 warm the caches, both alike
                        times[name].append((time.perf_counter() - t0) * 1000)
    finally:
        await server.close()
    return {k: (_pct(v, 0.5), _pct(v, 0.99)) for k, v in times.items()}


async def _has_admin(services: Services) -> bool:
    async with (
        services.db.read() as conn,
        conn.execute("SELECT 1 FROM members WHERE username = 'admin'") as cur,
    ):
        return await cur.fetchone() is not None


def _config(name: str) -> Config:
    return replace(Config(), data_dir=WORK / name, scrypt_n=2**10, sqlite_synchronous="NORMAL",
                   write_burst=0)  # fmt: skip


async def _seeded(name: str, n: int, how) -> tuple[Config, float]:  # type: ignore[no-untyped-def]
    config = _config(name)
    done, seconds = config.data_dir / "seeded", 0.0
    if not done.exists():
        config.data_dir.mkdir(parents=True, exist_ok=True)
        config.db_path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        await how(config, n)
        seconds = time.perf_counter() - t0
        done.write_text(f"{seconds:.0f} s\n")
    return config, seconds


async def _report(config: Config) -> dict:
    db = Database(config.db_path, 1, "NORMAL")
    await db.open()
    try:
        services = Services(db=db, config=config, clock=lambda: NOW)
        admin = Viewer(Member("bench", "bench", "Bench", True, NOW))
        return await insights.report(services, admin, "server", None, None)
    finally:
        await db.close()


async def run(n: int, check: bool) -> dict:
    config, seconds = await _seeded(f"insights-bulk-{n}", n, seed_bulk)
    same = None
    if check:  # the bulk build must give the report the subscribers' build gives
        reference, _ = await _seeded(f"insights-{n}", n, seed_events)
        same = await _report(config) == await _report(reference)
    return {"posts": n, "seed_s": seconds, "same": same, **await measure(config)}


async def main() -> None:
    sizes = [int(s) for s in os.environ.get("BENCH_INSIGHTS_SIZES", "10000,1000000").split(",")]
    found = [await run(n, check=i == 0) for i, n in enumerate(sizes)]
    lines = [
        f"{machine()}, load average {os.getloadavg()[0]:.1f} at the end; {REQUESTS} requests"
        " per endpoint and size, interleaved, after 30 warm-up each; a year of posts over 20"
        " groups, 50 Zipf-skewed tags; viewer an admin, scope=server, default period (90 days).",
        "",
        "| posts | seed (s, 0 = cached) | plain indexed read p50 / p99 (ms) |"
        " insights p50 / p99 (ms) | insights / plain p50 |",
        "|---|---|---|---|---|",
    ]
    for r in found:
        p, i = r["plain"], r["insights"]
        lines.append(f"| {r['posts']:,} | {r['seed_s']:.0f} | {p[0]:.2f} / {p[1]:.2f} |"
                     f" {i[0]:.2f} / {i[1]:.2f} | {i[0] / p[0]:.2f} |")  # fmt: skip
    if found[0]["same"] is not None:
        lines += [
            "",
            f"- At {found[0]['posts']:,} posts the aggregates built in bulk give the"
            f" same report as those the subscribers built event by event:"
            f" {'yes' if found[0]['same'] else 'NO'}.",
        ]
    if len(found) == 2:
        small, big = found
        for label, k in (("p50", 0), ("p99", 1)):
            ratio = big["insights"][k] / small["insights"][k]
            plain = big["plain"][k] / small["plain"][k]
            lines.append("")
            lines.append(
                f"- insights {label} at {big['posts']:,} / at {small['posts']:,} posts: "
                f"{ratio:.2f} (target <= 1.5: {'met' if ratio <= 1.5 else 'NOT met'});"
                f" the plain read's: {plain:.2f}."
            )
    print("\n".join(lines))
    write_section(TITLE, "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
