"""Expertise directory latency at 10,000 and 100,000 members (~10 evidence events each).

    python -m bench.experts

Seeds straight through the store in big transactions, then times the domain call behind
GET /api/v1/experts (a ranked page of 20 with explanations, filtered by profile sharing and
the viewer's read scope) against a plain indexed SQLite lookup of the same top 20, in the
same run on the same connection pool. Writes its own section of bench/results.md.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.report import machine, write_section
from feedserver.config import Config
from feedserver.domain import experts
from feedserver.domain.expertise import stored_value
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.models import Evidence, Member, Viewer
from feedserver.store import expertise as expertise_store
from feedserver.store import groups as group_store
from feedserver.store.db import Database
from feedserver.store.rows import ts

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TOPICS = [f"topic-{i}" for i in range(50)]
EVENTS_PER_MEMBER = 10
QUERIES = 300
KINDS = ["accepted_answer", "helpful", "helpful", "story", "tip", "page_revision", "endorsement"]
TITLE = "Expertise directory (bench/experts.py)"


async def seed(db: Database, config: Config, members: int, rng: random.Random) -> list[str]:
    ids = [new_id() for _ in range(members)]
    stamp = ts(NOW - timedelta(days=400))
    weights = [1 / (i + 1) for i in range(len(TOPICS))]  # tags are Zipf-skewed
    async with db.write() as conn:
        group_ids = []
        for g in range(20):
            gid = new_id()
            await group_store.insert(
                conn, id=gid, name=f"g{g}", title=f"G{g}", description="",
                visibility="org" if g % 2 else "private", now=NOW,
            )  # fmt: skip
            group_ids.append(gid)
        # Bulk seeding only: the core store has no bulk insert for members and memberships.
        await conn.executemany(
            "INSERT INTO members (id, username, display_name, is_admin, created_at)"
            " VALUES (?, ?, ?, 0, ?)",
            [(mid, f"m{i}", f"Member {i}", stamp) for i, mid in enumerate(ids)],
        )
        await conn.executemany(
            "INSERT INTO memberships (group_id, member_id, role, joined_at)"
            " VALUES (?, ?, 'member', ?)",
            [(rng.choice(group_ids), mid, stamp) for mid in ids],
        )
        sharing = ["org"] * 8 + ["partners", "private"]
        await conn.executemany(
            "INSERT INTO profiles (member_id, headline, team, sharing, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            [(mid, f"headline {i}", f"team {i % 97}", rng.choice(sharing), stamp)
             for i, mid in enumerate(ids)],
        )  # fmt: skip

        def events():
            n = 0
            for mid in ids:
                for _ in range(EVENTS_PER_MEMBER):
                    n += 1
                    kind = rng.choice(KINDS)
                    at = NOW - timedelta(days=rng.uniform(0, 720))
                    group = None if kind == "endorsement" else rng.choice(group_ids)
                    yield Evidence(
                        member_id=mid, topic=rng.choices(TOPICS, weights)[0], kind=kind,
                        source_id=f"s{n}", root_id=f"r{n // 3}", group_id=group, actor_id="",
                        value=stored_value(config, kind, at), created_at=at,
                    )  # fmt: skip

        await expertise_store.bulk_insert(conn, events())
        await expertise_store.rebuild(conn)
    return ids


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


async def run(members: int) -> dict:
    rng = random.Random(members)
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(Config(), data_dir=Path(tmp), sqlite_synchronous="NORMAL")
        db = Database(config.db_path, readers=2, synchronous="NORMAL")
        await db.open()
        try:
            started = time.perf_counter()
            ids = await seed(db, config, members, rng)
            seeded = time.perf_counter() - started
            services = Services(db=db, config=config, clock=lambda: NOW)
            viewer = Viewer(Member(ids[7], "m7", "Member 7", False, NOW))
            # Half the queries hit the ten most popular topics, half any topic.
            topics = [rng.choice(TOPICS[:10] if i % 2 else TOPICS) for i in range(QUERIES)]
            plain = (
                "SELECT member_id, score FROM expertise_scores WHERE topic = ?"
                " ORDER BY score DESC, member_id LIMIT 21"
            )
            # Warm up once per topic (both paths alike): timings are of the steady state, not
            # of the first reads of a file the seeding just wrote.
            for topic in TOPICS:
                await experts.directory(
                    services, viewer, topic=topic, text="", cursor=None, limit=20
                )
            baseline = []
            async with db.read() as conn:
                async with conn.execute(f"EXPLAIN QUERY PLAN {plain}", ("topic-0",)) as cur:
                    plan = " / ".join(str(row[-1]) for row in await cur.fetchall())
                for topic in topics:
                    t0 = time.perf_counter()
                    async with conn.execute(plain, (topic,)) as cur:
                        await cur.fetchall()
                    baseline.append((time.perf_counter() - t0) * 1000)
            directory, second = [], []
            for index, topic in enumerate(topics):
                t0 = time.perf_counter()
                page = await experts.directory(
                    services, viewer, topic=topic, text="", cursor=None, limit=20
                )
                directory.append((time.perf_counter() - t0) * 1000)
                assert len(page.items) == 20 and page.next_cursor
                if index < 100:  # a later page (keyset cursor) costs what the first does
                    t0 = time.perf_counter()
                    await experts.directory(
                        services, viewer, topic=topic, text="", cursor=page.next_cursor,
                        limit=20,
                    )  # fmt: skip
                    second.append((time.perf_counter() - t0) * 1000)
        finally:
            await db.close()
    return {
        "members": members,
        "seed_s": seeded,
        "baseline": p50_p95(baseline),
        "directory": p50_p95(directory),
        "second": p50_p95(second),
        "plan": plan,
    }


async def main() -> None:
    found = [await run(n) for n in (10_000, 100_000)]
    lines = [
        f"{machine()}; {EVENTS_PER_MEMBER} evidence events per member over {len(TOPICS)}"
        f" Zipf-skewed topics; {QUERIES} queries per size; page of 20 with explanations;"
        " viewer = an ordinary member (sharing and read-scope filters on).",
        "",
        "| members | seed (s) | plain indexed lookup p50 / p95 (ms) | directory p50 / p95 (ms)"
        " | directory p95 / lookup p95 | page 2 p95 (ms) |",
        "|---|---|---|---|---|---|",
    ]
    for r in found:
        base, dire = r["baseline"], r["directory"]
        lines.append(
            f"| {r['members']:,} | {r['seed_s']:.1f} | {base[0]:.2f} / {base[1]:.2f}"
            f" | {dire[0]:.2f} / {dire[1]:.2f} | {dire[1] / base[1]:.1f} |"
            f" {r['second'][1]:.2f} |"
        )
    small, big = found
    growth = big["directory"][1] / small["directory"][1]
    p95 = big["directory"][1]
    lines += [
        "",
        f"- p95 at 100,000 members: {p95:.2f} ms, {p95 / 25:.2f} of the 25 ms limit"
        f" ({'met' if p95 <= 25 else 'NOT met'}).",
        f"- p95 at 100,000 / p95 at 10,000: {growth:.2f} (limit 2: "
        f"{'met' if growth <= 2 else 'NOT met'}).",
        f"- Plan of the ranked read: {big['plan']}.",
    ]
    print("\n".join(lines))
    write_section(TITLE, "\n".join(lines))


if __name__ == "__main__":
    asyncio.run(main())
