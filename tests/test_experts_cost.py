"""An expert's explanation costs what the page holds, not what the expert has done: counted
in SQLite virtual-machine steps (exact and the same on any machine, unlike time), at ten
times the evidence. Before: every piece of the expert's evidence on the topic was read to
count it, and their newest evidence was walked until five pieces the viewer may read turned
up (here the three oldest, in the only group the viewer reads)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feedserver.domain import access
from feedserver.models import Evidence, ReadScope
from feedserver.store import evidence_summary
from feedserver.store import expertise as expertise_store
from feedserver.store.db import Database
from tests import two_groups
from tests.two_groups import ORG, PRIVATE
from tests.vm_steps import two_sizes, vm_steps

NOW = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
EXPERT, TOPIC = "m-expert", "payroll"
READABLE = 3  # the oldest pieces, in the org group: the only ones the viewer may read


async def _database(path: Path, pieces: int) -> None:
    """`pieces` of evidence, one every six hours back from NOW (the same density at any size:
    a bigger database is a longer history), written by the store's own write path."""
    db = Database(path, readers=1)
    await db.open()
    try:
        async with db.write() as conn:
            await two_groups.seed(conn, EXPERT, "expert")
            await expertise_store.record(conn, [_piece(i, pieces) for i in range(pieces)])
    finally:
        await db.close()


def _piece(i: int, pieces: int) -> Evidence:
    kind = "endorsement" if i % 10 == 5 else ("accepted_answer", "helpful")[i % 2]
    group = None if kind == "endorsement" else ORG if i >= pieces - READABLE else PRIVATE
    return Evidence(
        member_id=EXPERT, topic=TOPIC, kind=kind, source_id=f"s{i}", root_id=f"r{i}",
        group_id=group, actor_id="", value=1.0, created_at=NOW - timedelta(hours=6 * i),
    )  # fmt: skip


@pytest.fixture
async def small_and_large(tmp_path: Path) -> tuple[Path, Path]:
    return await two_sizes(tmp_path, _database, 150)


async def test_an_experts_explanation_costs_the_same_at_ten_times_the_evidence(
    small_and_large: tuple[Path, Path],
) -> None:
    viewer = ReadScope(member_id="m-viewer", org_groups=True)  # reads the org group only
    found = {}

    async def explain(conn: object) -> dict[str, evidence_summary.EvidenceSummary]:
        summary = await evidence_summary.summaries(
            conn,  # type: ignore[arg-type]  # an aiosqlite connection, as the store's
            viewer, TOPIC, [EXPERT], groupless=access.groupless_kinds(viewer),
            since=NOW - timedelta(days=20), listed=5,
        )  # fmt: skip
        found[len(found)] = summary[EXPERT]
        return summary

    at_small, _ = await vm_steps(small_and_large[0], explain)
    at_large, _ = await vm_steps(small_and_large[1], explain)
    small, large = found[0], found[1]
    assert sum(small.counts.values()) == 150 and sum(large.counts.values()) == 1500
    assert small.recent == large.recent and sum(small.recent.values()) == 20 * 4 + 1
    assert len(small.listed) == len(large.listed) == READABLE
    assert large.hidden == 1500 - READABLE - 150  # endorsements are readable without a group
    assert at_large < at_small * 1.5 + 50, (at_small, at_large)
