"""The databases bench/scale.py measures: 10,000 and 1,000,000 posts with a realistic skew.

Built once and kept under bench/.work/ (gitignored): the schema comes from the project's own
migrations (every trigger and index, the full-text index included); the rows are written by
direct SQL in bulk inside one transaction, since seeding is a fixture, not the thing measured.

Shape (a fixed seed, so two builds are alike):
- 2,000 members, 100 groups (30 org, 70 private), each member in 1-5 groups (Zipf);
- posts Zipf-skewed over groups and authors; 30 % top-level (questions, stories, tips,
  notes) with 1-3 Zipf-skewed tags out of 300, the rest answers and replies in their threads;
- bodies of ~30 words drawn Zipf from 5,000, plus three marker words: EVERY in every post,
  RARE in about ten, PRIVATE_WORD only in private groups (and the tag PRIVATE_TAG too);
- about one piece of expertise evidence per post, Zipf-skewed over members and topics.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import sqlite3
import time
from dataclasses import replace
from pathlib import Path

from feedserver.config import Config
from feedserver.store.db import Database
from feedserver.store.evidence_counts import REBUILD as REBUILD_EVIDENCE_COUNTS

WORK = Path(__file__).resolve().parent / ".work"
MEMBERS = 2000
GROUPS = 100
ORG_GROUPS = 30  # groups 0..29 are org-wide, the rest private
TAGS = [f"topic-{i}" for i in range(300)]
VOCABULARY = [f"w{i}" for i in range(5000)]
EVERY = "lorem"  # in every post
RARE = "quokka"  # in about ten posts
PRIVATE_WORD = "zephyr"  # only in private groups' posts
PRIVATE_TAG = "confidential"  # only on private groups' posts
KINDS_TOP = ["question", "question", "story", "tip", "note"]
EVIDENCE_KINDS = ["accepted_answer", "helpful", "helpful", "story", "tip", "endorsement"]
T0_MS = 1_700_000_000_000
_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"


def db_path(posts: int) -> Path:
    return WORK / f"scale-{posts}" / "feedserver.sqlite3"


def member_id(i: int) -> str:
    return make_id(T0_MS - 10_000_000 + i, i)


def group_id(i: int) -> str:
    return make_id(T0_MS - 20_000_000 + i, i)


def make_id(millis: int, salt: int) -> str:
    """The layout of domain/ids.new_id (time-ordered), with deterministic low bits."""
    value = (millis << 80) | (salt * 2654435761 % (1 << 80))
    return "".join(_ALPHABET[(value >> (5 * k)) & 31] for k in range(25, -1, -1))


class Zipf:
    def __init__(self, n: int, s: float, rng: random.Random) -> None:
        self.cumulative = list(itertools.accumulate(1 / (k + 1) ** s for k in range(n)))
        self.total = self.cumulative[-1]
        self.rng = rng

    def __call__(self) -> int:
        return bisect.bisect_left(self.cumulative, self.rng.random() * self.total)


def _stamp(millis: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(millis / 1000)) + ".000000Z"


def build(posts: int) -> Path:
    """The database of `posts` posts, built unless it is already there."""
    path = db_path(posts)
    if (path.parent / "complete").exists():
        return path
    if path.parent.exists():
        for old in path.parent.iterdir():
            old.unlink()
    config = replace(Config(), data_dir=path.parent, sqlite_synchronous="OFF")
    db = Database(config.db_path, readers=1, synchronous="OFF")
    asyncio.run(_schema(db))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -400000")
    conn.execute("BEGIN")
    _fill(conn, posts, random.Random(posts))
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("ANALYZE")
    conn.close()
    (path.parent / "complete").write_text("ok\n")
    return path


async def _schema(db: Database) -> None:
    await db.open()
    await db.close()


def _fill(conn: sqlite3.Connection, posts: int, rng: random.Random) -> None:
    stamp = _stamp(T0_MS - 30_000_000)
    conn.executemany(
        "INSERT INTO members (id, username, display_name, is_admin, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(member_id(i), f"m{i}", f"Member {i}", int(i == 0), stamp) for i in range(MEMBERS)],
    )
    conn.executemany(
        "INSERT INTO groups (id, name, title, visibility, created_at) VALUES (?, ?, ?, ?, ?)",
        [
            (group_id(g), f"g{g}", f"Group {g}", "org" if g < ORG_GROUPS else "private", stamp)
            for g in range(GROUPS)
        ],
    )
    pick_group = Zipf(GROUPS, 0.8, rng)
    rows = set()
    for m in range(2, MEMBERS):  # m0 is the admin, m1 belongs to no group
        for _ in range(1 + pick_group() % 5):
            rows.add((group_id(pick_group()), member_id(m)))
    conn.executemany(
        "INSERT INTO memberships (group_id, member_id, role, joined_at) VALUES (?, ?, 'member', ?)",
        [(g, m, stamp) for g, m in sorted(rows)],
    )
    members_of: dict[str, list[str]] = {}
    for g, m in rows:
        members_of.setdefault(g, []).append(m)
    for names in members_of.values():
        names.sort()
    conn.executemany(
        "INSERT INTO profiles (member_id, headline, sharing, updated_at) VALUES (?, ?, ?, ?)",
        [(member_id(i), f"headline {i}", "org", stamp) for i in range(MEMBERS)],
    )
    _posts(conn, posts, rng, pick_group, members_of)
    conn.execute(
        "INSERT INTO expertise_scores (member_id, topic, score, evidence_count)"
        " SELECT member_id, topic, SUM(value), COUNT(*) FROM expertise_evidence"
        " GROUP BY member_id, topic"
    )
    for sql in REBUILD_EVIDENCE_COUNTS:
        conn.execute(sql)


def _posts(
    conn: sqlite3.Connection, total: int, rng: random.Random, pick_group: Zipf,
    members_of: dict[str, list[str]],
) -> None:  # fmt: skip
    word = Zipf(len(VOCABULARY), 1.0, rng)
    tag = Zipf(len(TAGS), 1.0, rng)
    author = Zipf(MEMBERS, 1.1, rng)
    rare_every = max(1, total // 10)
    step_ms = 60_000
    post_rows, tag_rows, evidence_rows = [], [], []
    thread: tuple[str, int, list[str]] | None = None  # (root id, replies left, its tags)
    g = 0
    for n in range(total):
        millis = T0_MS + n * step_ms
        pid = make_id(millis, n)
        if thread is None or thread[1] == 0:
            g = pick_group()
            kind = rng.choice(KINDS_TOP)
            tags = sorted({TAGS[tag()] for _ in range(rng.randint(1, 3))})
            if g >= ORG_GROUPS and rng.random() < 0.1:
                tags.append(PRIVATE_TAG)
            parent = None
            thread = (pid, min(int(rng.expovariate(1 / 2.4)), 60), tags)
            title = " ".join(VOCABULARY[word()] for _ in range(6))
        else:
            kind = "answer" if rng.random() < 0.7 else "reply"
            tags, parent = [], thread[0]
            thread = (thread[0], thread[1] - 1, thread[2])
            title = ""
        gid = group_id(g)
        members = members_of.get(gid)
        who = members[author() % len(members)] if members else member_id(2 + author())
        words = [VOCABULARY[word()] for _ in range(rng.randint(20, 40))]
        words.insert(rng.randrange(len(words)), EVERY)
        if g >= ORG_GROUPS:
            words.append(PRIVATE_WORD)
        if n % rare_every == 7:
            words.append(RARE)
        body = " ".join(words)
        at = _stamp(millis)
        post_rows.append(
            (n + 1, pid, gid, parent, kind, who, title, body, f"<p>{body}</p>", " ".join(tags),
             at, at)
        )  # fmt: skip
        tag_rows += [(t, pid, gid) for t in tags]
        evidence_kind = rng.choice(EVIDENCE_KINDS)
        evidence_rows.append(
            (member_id(2 + author() % (MEMBERS - 2)), rng.choice(thread[2]) if thread[2] else
             TAGS[tag()], evidence_kind, pid, thread[0], None if evidence_kind == "endorsement"
             else gid, "", 1.0 + rng.random(), at)
        )  # fmt: skip
        if len(post_rows) >= 20_000:
            _flush(conn, post_rows, tag_rows, evidence_rows)
    _flush(conn, post_rows, tag_rows, evidence_rows)


def _flush(conn: sqlite3.Connection, post_rows: list, tag_rows: list, evidence_rows: list) -> None:
    conn.executemany(
        "INSERT INTO posts (seq, id, group_id, parent_id, kind, author_id, title, body,"
        " body_html, tags, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        post_rows,
    )
    conn.executemany("INSERT INTO post_tags (tag, post_id, group_id) VALUES (?, ?, ?)", tag_rows)
    conn.executemany(
        "INSERT OR IGNORE INTO expertise_evidence (member_id, topic, kind, source_id, root_id,"
        " group_id, actor_id, value, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        evidence_rows,
    )
    post_rows.clear()
    tag_rows.clear()
    evidence_rows.clear()


if __name__ == "__main__":
    import sys

    for size in [int(a) for a in sys.argv[1:]] or [10_000, 1_000_000]:
        started = time.perf_counter()
        print(build(size), f"{time.perf_counter() - started:.1f} s", flush=True)
