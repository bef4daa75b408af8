"""Search over the copies of partners' groups (domain/search_copies.py) on SQLite, at two
sizes of a copy the viewer cannot read: what the copies' part of one search page costs, in
VM steps (exact) and time (p50 of RUNS), for a viewer who reads no copy, one who reads a
small copy (the word common in the large one, or absent from theirs) and one who reads the
large copy (a word in every post, more matches than the window).

    .venv/bin/python -m bench.search_copies   # appends a section to bench/results.md
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite

from feedserver.domain import search_copies
from feedserver.models import Member, Viewer
from feedserver.store import search as search_store
from feedserver.store.db import Database

SIZES = (10_000, 100_000)
RUNS = 20
HOST, T = "a.example", "2026-01-01T00:00:00.000000Z"
SMALL, LARGE = f"https://{HOST}/groups/small", f"https://{HOST}/groups/large"
CASES = (
    ("reads no copy", "m-none", '"payroll"'),
    ("small copy, word common in the large one", "m-small", '"payroll"'),
    ("small copy, word only in the large one", "m-small", '"large"'),
    ("large copy, word in every post", "m-large", '"payroll"'),
)


async def build(path: Path, posts: int) -> None:
    db = Database(path, readers=1)
    await db.open()
    try:
        async with db.write() as conn:
            for member in ("m-none", "m-small", "m-large"):
                await conn.execute(
                    "INSERT INTO members (id, username, display_name, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (member, member, member, T),
                )
            await conn.execute(
                "INSERT INTO partners (host, base_url, actor_id, inbox_url, created_at, groups)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (HOST, f"https://{HOST}", f"https://{HOST}/actor", f"https://{HOST}/inbox", T),
            )
            for actor, member in ((SMALL, "m-small"), (LARGE, "m-large")):
                await conn.execute(
                    "INSERT INTO cached_groups (actor_id, host, name, title, version, updated_at)"
                    " VALUES (?, ?, ?, 'Copy', 1, ?)",
                    (actor, HOST, actor.rsplit("/", 1)[1], T),
                )
                await conn.execute(
                    "INSERT INTO cached_group_members (group_actor, member_id, role)"
                    " VALUES (?, ?, 'member')",
                    (actor, member),
                )
            rows = [(SMALL, n, "small") for n in range(25)]
            rows += [(LARGE, n, "large") for n in range(posts)]
            await conn.executemany(
                "INSERT INTO cached_posts (object_id, group_actor, kind, author, title,"
                " body_html, body_text, published, updated, object)"
                " VALUES (?, ?, 'question', 'alice@a.example', ?, '', ?, ?, ?, '{}')",
                [
                    (f"{actor}/posts/{n}", actor, f"payroll question {n}",
                     f"about payroll in the {word} copy", T, T)
                    for actor, n, word in rows
                ],
            )  # fmt: skip
    finally:
        await db.close()


async def measure(path: Path, member_id: str, match: str) -> tuple[int, float, int]:
    """(VM steps, p50 ms, hits) of the copies' part of one page of 20."""
    viewer = Viewer(Member(member_id, member_id, member_id, False, datetime.now(UTC)))
    conn = await aiosqlite.connect(path)
    conn.row_factory = aiosqlite.Row
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    try:
        await conn.execute_fetchall("SELECT count(*) FROM sqlite_master")  # the schema, once
        times, found = [], []
        for run in range(RUNS + 1):
            await conn.set_progress_handler(count, 1)
            steps, started = 0, time.perf_counter()
            found = await search_copies.found(
                conn, viewer, match, search_store.HIT_START, search_store.HIT_END,
                window=search_store.RANK_WINDOW, broad_word=search_store.BROAD_WORD, limit=21,
            )  # fmt: skip
            if run:  # the first run warms the cache
                times.append((time.perf_counter() - started) * 1000)
        return steps, statistics.median(times), len(found)
    finally:
        await conn.close()


async def main() -> None:
    results: dict[str, list[tuple[int, float, int]]] = {label: [] for label, _, _ in CASES}
    with tempfile.TemporaryDirectory() as directory:
        for size in SIZES:
            path = Path(directory) / f"{size}.sqlite3"
            await build(path, size)
            for label, member, match in CASES:
                results[label].append(await measure(path, member, match))
    head = " / ".join(f"{s:,}" for s in SIZES)
    lines = [
        "",
        f"## Search over copies of partners' groups (bench/search_copies.py),"
        f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"SQLite; the copies' part of one search page (20) at {head} posts in the large copy;"
        f" VM steps and p50 of {RUNS} runs. Target: the same at both sizes, except a word in"
        " every post of the viewer's own copy (bounded by the window and BROAD_WORD).",
        "",
        f"| case | VM steps ({head}) | p50 ms ({head}) | hits |",
        "|---|---|---|---|",
    ]
    for label, found in results.items():
        steps = " / ".join(f"{s:,}" for s, _, _ in found)
        times = " / ".join(f"{t:.2f}" for _, t, _ in found)
        lines.append(f"| {label} | {steps} | {times} | {found[-1][2]} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(Path(__file__).with_name("results.md"), "a", encoding="utf-8") as out:
        out.write(text)


if __name__ == "__main__":
    asyncio.run(main())
