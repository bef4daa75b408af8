"""Mentor matching benchmark: optimal (min-cost flow) against the greedy baseline.

Run from the repo root: ``python -m bench.matching``. As for every benchmark
(docs/architecture.md, Performance), the figure that matters is relative to a limit measured
in the same run: here the greedy baseline, which scores the same candidate pairs and only
differs in how it assigns them.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import sys
import time
from collections.abc import Callable

from bench import matching_db
from bench.report import write_section
from feedserver.domain.matching import (
    MenteeRequest,
    MentorOffer,
    Proposal,
    TopicEvidence,
    Weights,
    greedy_match,
    match,
)

SEED = 20261123
MENTEES, MENTORS, TOPICS = 1_000, 300, 50
LIMIT_SECONDS = 5.0
HEADING = "## Mentor matching (bench/matching.py)"

Instance = tuple[list[MentorOffer], list[MenteeRequest], dict[tuple[str, str], TopicEvidence]]


def instance(seed: int = SEED) -> Instance:
    """Seeded random program: popular topics are wanted more often than they are offered."""
    rng = random.Random(seed)
    topics = [f"topic{t:02d}" for t in range(TOPICS)]
    popularity = [1 / (t + 1) ** 0.5 for t in range(TOPICS)]
    teams = [f"team{t}" for t in range(20)]
    mentors, expertise = [], {}
    for k in range(MENTORS):
        mentor_id = f"mentor{k:03d}"
        mine = rng.sample(topics, rng.randint(2, 6))
        for topic in mine:
            if rng.random() < 0.8:  # some declared topics are not backed by evidence yet
                answers = rng.randint(1, 12)
                expertise[(mentor_id, topic)] = TopicEvidence(
                    round(rng.uniform(0.1, 5.0), 3), f"{answers} accepted answers on #{topic}"
                )
        declared = frozenset(t for t in mine if rng.random() < 0.7)
        mentors.append(MentorOffer(mentor_id, declared, rng.randint(1, 5), rng.choice(teams)))
    mentees = []
    for k in range(MENTEES):
        goals: list[str] = []
        for _ in range(rng.randint(1, 3)):
            goal = rng.choices(topics, popularity)[0]
            if goal not in goals:
                goals.append(goal)
        avoid = frozenset(f"mentor{rng.randrange(MENTORS):03d}" for _ in range(rng.randint(0, 2)))
        mentees.append(
            MenteeRequest(
                f"mentee{k:04d}",
                tuple(goals),
                avoid,
                rng.choice(["prefer", "avoid", "any", "any"]),
                rng.choice(teams),
                rng.choice(["expertise", "team", "balanced"]),
            )
        )
    return mentors, mentees, expertise


def timed(run: Callable[..., Proposal], *args: object) -> tuple[Proposal, float, float]:
    """Result, wall seconds, CPU seconds: CPU time stays honest when the box is shared."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = run(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    mentors, mentees, expertise = instance()
    weights = Weights()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    greedy, greedy_s, greedy_cpu = timed(greedy_match, mentors, mentees, expertise, weights)
    optimal, optimal_s, optimal_cpu = timed(match, mentors, mentees, expertise, weights)
    slots = sum(m.capacity for m in mentors)
    ratio = optimal.total_score / greedy.total_score
    lines = [
        f"- date: {dt.datetime.now(dt.UTC).isoformat(timespec='seconds')}",
        f"- machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs,"
        f" Python {platform.python_version()}",
        f"- instance: {MENTEES} mentees, {MENTORS} mentors ({slots} slots, capacity 1-5),"
        f" {TOPICS} topics, seed {SEED}",
        f"- load average at start: {load}",
        f"- optimal (min-cost flow): {optimal_s:.3f} s wall, {optimal_cpu:.3f} s CPU"
        f" ({optimal_s / LIMIT_SECONDS:.1%} of the {LIMIT_SECONDS:.0f} s budget,"
        f" {optimal_cpu / greedy_cpu:.1f}x greedy's CPU time),"
        f" total score {optimal.total_score:.3f}, {len(optimal.pairs)} matched",
        f"- greedy baseline: {greedy_s:.3f} s wall, {greedy_cpu:.3f} s CPU,"
        f" total score {greedy.total_score:.3f}, {len(greedy.pairs)} matched",
        f"- optimal / greedy total score: {ratio:.4f}",
    ]
    lines += matching_db.run((mentors, mentees, expertise))  # the API path, same instance
    print("\n".join(lines))
    write_section(HEADING.removeprefix("## "), "\n".join(lines))
    if optimal.total_score + 1e-6 < greedy.total_score:
        sys.exit("optimal total below greedy: the matcher is broken")


if __name__ == "__main__":
    main()
