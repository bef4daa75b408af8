"""The whole ``POST /programs/{id}/match`` path over a real SQLite database, on the same seeded
1,000 x 300 instance as bench/matching.py: load enrolments and pool state, read the mentors'
evidence-based scores and explanations, run the optimal matcher, store the proposal.

Reported next to the matcher alone on the same inputs (measured in the same run), so the
figure is the database and explanation overhead as a ratio (docs/architecture.md,
Performance).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from feedserver.config import Config
from feedserver.domain import expertise, matching, mentoring_match, programs
from feedserver.domain.ids import new_id
from feedserver.domain.matching import MenteeRequest, MentorOffer, TopicEvidence
from feedserver.domain.services import Services
from feedserver.models import Evidence, Program, Viewer
from feedserver.store import expertise as expertise_store
from feedserver.store import members as member_store
from feedserver.store import programs as program_store
from feedserver.store.db import Database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def _seed(
    services: Services, mentors: list[MentorOffer], mentees: list[MenteeRequest],
    evidence: dict[tuple[str, str], TopicEvidence],
) -> tuple[Viewer, str]:  # fmt: skip
    ids = {m.member_id: new_id() for m in [*mentors, *mentees]}
    admin_id, pid = new_id(), new_id()
    async with services.db.write() as conn:
        for name, member_id in [("admin", admin_id), *ids.items()]:
            await member_store.insert(
                conn, id=member_id, username=name, display_name=name.title(),
                password_hash=None, is_admin=name == "admin", now=NOW,
            )  # fmt: skip
        await program_store.insert(conn, Program(
            pid, "Bench", "", None, None, 3, {}, False, admin_id, NOW, (admin_id,)
        ))  # fmt: skip
        for m in mentors:
            await program_store.put_mentor(
                conn, program_id=pid, member_id=ids[m.member_id], topics=tuple(sorted(m.topics)),
                capacity=m.capacity, manager_id=None, now=NOW,
            )  # fmt: skip
        for e in mentees:
            await program_store.put_mentee(
                conn, program_id=pid, member_id=ids[e.member_id], goals=e.goals,
                same_team=e.same_team, priority=e.priority,
                avoid=tuple(ids[a] for a in sorted(e.avoid)), manager_id=None, now=NOW,
            )  # fmt: skip
        # Evidence as accepted answers: as many rows as the instance's summary says.
        rows = []
        for (mentor, topic), found in evidence.items():
            for n in range(int(found.summary.split()[0])):
                rows.append(Evidence(
                    ids[mentor], topic, "accepted_answer", f"{mentor}-{topic}-{n}", "root", None,
                    "", expertise.stored_value(services.config, "accepted_answer", NOW), NOW,
                ))  # fmt: skip
        await expertise_store.bulk_insert(conn, rows)
        await expertise_store.rebuild(conn)
        admin = await member_store.by_id(conn, admin_id)
    return Viewer(admin), pid


async def measure(
    mentors: list[MentorOffer], mentees: list[MenteeRequest],
    evidence: dict[tuple[str, str], TopicEvidence],
) -> list[str]:  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        config = replace(Config(), data_dir=Path(tmp), sqlite_synchronous="NORMAL")
        db = Database(config.db_path, readers=1, synchronous="NORMAL")
        await db.open()
        services = Services(db=db, config=config, clock=lambda: NOW)
        try:
            viewer, pid = await _seed(services, mentors, mentees, evidence)
            wall, cpu = time.perf_counter(), time.process_time()
            proposal = await mentoring_match.propose(services, viewer, pid)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            async with db.read() as conn:
                program = await programs.load(conn, viewer, pid)
                pool = await mentoring_match.pool(conn, services, viewer, program)
            engine = time.perf_counter()
            alone = matching.match(
                pool.mentors.values(), pool.mentees.values(), pool.expertise,
                programs.weights_of(program),
            )  # fmt: skip
            engine = time.perf_counter() - engine
        finally:
            await db.close()
    paired = sum(1 for e in proposal.entries if e.mentor is not None)
    assert abs(alone.total_score - proposal.total_score) < 1e-6, "stored != engine optimum"
    return [
        f"- whole POST /match path over SQLite (load, evidence + explanations, match, store):"
        f" {wall:.3f} s wall, {cpu:.3f} s CPU, {paired} matched,"
        f" total score {proposal.total_score:.3f} (evidence as accepted answers; no teams)",
        f"- matcher alone on the same inputs: {engine:.3f} s wall;"
        f" whole path / matcher alone: {wall / engine:.2f}",
    ]


def run(instance) -> list[str]:
    return asyncio.run(measure(*instance))
