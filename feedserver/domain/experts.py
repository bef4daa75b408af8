"""'Who knows X?': the expertise directory, ranked by evidence, each entry explained.

Members with evidence come first, best score first (keyset-paged on the stored score, see
domain/expertise.py for why that is today's order); members who only declared the topic follow,
shown as declared. Only profiles the access policy lets the viewer see are listed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

from feedserver.domain import access
from feedserver.domain.expertise import current_score
from feedserver.domain.explain import MAX_LISTED, declared, explain
from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.errors import BadRequest, ValidationFailed
from feedserver.models import Expert, Page, TopicScore, Viewer
from feedserver.store import directory as directory_store
from feedserver.store import evidence_summary
from feedserver.store.db import Connection

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def topic_or_error(raw: str | None, field: str = "topic") -> str:
    tag = normalize_tag(raw or "")
    if tag is None:
        raise ValidationFailed([{"field": field, "message": "give a topic (a tag, e.g. payroll)"}])
    return tag


def query_words(text: str) -> list[str]:
    return _WORD.findall(text)[:MAX_WORDS]


def _parse_cursor(cursor: str | None) -> tuple[str, tuple[float, str] | None, str | None]:
    """('e', (score, member_id), None) within evidenced members, ('d', None, member_id) within
    declared-only ones."""
    if not cursor:
        return "e", None, None
    try:
        phase, _, rest = cursor.partition(":")
        if phase == "e":
            score, _, member_id = rest.partition(":")
            return "e", (float(score), member_id), None
        if phase == "d":
            return "d", None, rest
    except ValueError:
        pass
    raise BadRequest("The cursor is not valid")


async def explained(
    conn: Connection, services: Services, viewer: Viewer, entries: list[TopicScore],
    now: datetime,
) -> list[Expert]:  # fmt: skip
    """Today's score and an explanation (as this viewer may read it) for each entry."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for entry in entries:
        if entry.evidence_count:
            by_topic[entry.topic].append(entry.member_id)
    scope = access.read_scope(viewer)
    groupless = access.groupless_kinds(scope)
    copies_of = access.copy_evidence_reader(scope)
    days = services.config.expertise_recent_days
    since = now - timedelta(days=days)
    seen = {}
    for topic, ids in by_topic.items():
        found = await evidence_summary.summaries(
            conn,
            scope,
            topic,
            ids,
            groupless=groupless,
            since=since,
            listed=MAX_LISTED,
            copies_of=copies_of,
        )
        seen.update({(member_id, topic): summary for member_id, summary in found.items()})
    experts = []
    for entry in entries:
        if entry.evidence_count:
            score = round(current_score(services.config, entry.stored_score, now), 3)
            why = explain(entry.topic, seen[(entry.member_id, entry.topic)], days)
            experts.append(Expert(entry, score, True, why))
        else:
            experts.append(Expert(entry, 0.0, False, declared(entry.topic, entry.level)))
    return experts


def nameable(expert: Expert) -> bool:
    """May the viewer this was explained for see this topic named? (access.may_name_topic)"""
    why = expert.explanation
    readable = sum(why.counts.values()) - why.hidden if why else 0
    declared = not expert.evidenced or expert.entry.level is not None
    return access.may_name_topic(declared, readable)


async def directory(
    services: Services, viewer: Viewer, *, topic: str | None, text: str, cursor: str | None,
    limit: int, evidence_only: bool = False,
) -> Page[Expert]:  # fmt: skip
    """`evidence_only`: stop when the members with evidence run out (no cursor then), so the
    caller can put other entries (partners', domain/federated_experts.py) before the declared."""
    access.require_member(viewer)
    tag = topic_or_error(topic)
    words = query_words(text)
    phase, after_score, after_declared = _parse_cursor(cursor)
    scope = access.profile_scope(viewer)
    next_cursor = None
    async with services.db.read() as conn:
        entries: list[TopicScore] = []
        if phase == "e":
            entries = await directory_store.ranked(
                conn, scope, tag, words=words, after=after_score, limit=limit + 1
            )
            if len(entries) > limit:
                entries = entries[:limit]
                last = entries[-1]
                next_cursor = f"e:{last.stored_score!r}:{last.member_id}"
        if next_cursor is None and not (evidence_only and phase == "e"):
            room = limit - len(entries)
            more = await directory_store.declared_only(
                conn, scope, tag, words=words, after=after_declared, limit=room + 1
            )
            if len(more) > room:
                more = more[:room]
                # room > 0 here: an empty page would have had a cursor from the first phase.
                next_cursor = f"d:{more[-1].member_id}" if more else f"d:{after_declared or ''}"
            entries += more
        experts = await explained(conn, services, viewer, entries, services.clock())
    # Not filtered by nameable(): here the viewer named the topic, and evidence they may not
    # read is counted, never described (tests/web/test_people.py pins that).
    return Page(experts, next_cursor)
