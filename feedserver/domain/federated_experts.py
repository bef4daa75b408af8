"""'Who knows X?' across partners: local and partners' shared profiles in one ranking, paged
with one cursor.

The ranking has four tiers, each keyset-paged: local members with evidence (today's score,
explained), partners' members with evidence (their aggregate count on the topic: a partner
sends counts, never scores or titles, and another server's weights are not ours to compare),
local members who only declared the topic, then partners' who only declared it. The cursor
names the tier and the position in it, so a page can span tiers and every entry is listed
exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedserver.domain import access, experts, search_misses
from feedserver.domain.services import Services
from feedserver.errors import BadRequest
from feedserver.models import Expert, Viewer
from feedserver.store import federation_objects as object_store

TIERS = ("e", "pe", "d", "pd")  # local evidenced, partner evidenced, local declared, partner


@dataclass(frozen=True)
class PartnerExpert:
    name: str
    summary: str
    actor: str
    topic: str
    organization: str
    server: str
    evidence_count: int  # the partner's aggregate count on the topic


def _tier(cursor: str | None) -> str:
    tier = (cursor or "e").split(":", 1)[0]
    if tier not in TIERS:
        raise BadRequest("The cursor is not valid")
    return tier


def _partner_after(cursor: str | None) -> tuple[int, str] | None:
    if not cursor or cursor.count(":") < 2:
        return None
    _, count, object_id = cursor.split(":", 2)
    if not count.isdigit():
        raise BadRequest("The cursor is not valid")
    return int(count), object_id


async def directory(
    services: Services, viewer: Viewer, *, topic: str | None, text: str, cursor: str | None,
    limit: int,
) -> tuple[list[Expert | PartnerExpert], str | None]:  # fmt: skip
    access.require_member(viewer)  # the directory's rule, whichever tier the cursor names
    tag = experts.topic_or_error(topic)
    words = experts.query_words(text)
    tier = _tier(cursor)
    items: list[Expert | PartnerExpert] = []
    position = cursor if cursor and ":" in cursor else None
    while True:
        room = limit - len(items)
        if tier in ("e", "d"):
            local = position or ("d:" if tier == "d" else None)
            page = await experts.directory(
                services, viewer, topic=tag, text=text, cursor=local, limit=room,
                evidence_only=tier == "e",
            )  # fmt: skip
            items += page.items
            if page.next_cursor is not None:
                return items, page.next_cursor
        else:
            async with services.db.read() as conn:
                found = await object_store.partner_ranked(
                    conn, tag, evidenced=tier == "pe", words=words,
                    after=_partner_after(position), limit=room + 1,
                )  # fmt: skip
            more = len(found) > room
            items += [_partner(row, tag) for row in found[:room]]
            if more:
                last = found[room - 1]
                return items, f"{tier}:{last['evidence_count']}:{last['object_id']}"
        index = TIERS.index(tier)
        if index + 1 == len(TIERS):
            if not items and cursor is None:  # Insights: "who knows" found nobody
                await search_misses.note(services, viewer.member_id, tag, "experts")
            return items, None
        tier, position = TIERS[index + 1], None
        if len(items) >= limit:
            # A full page exactly at a tier's end: a cursor only if a later tier has entries.
            return items, await _next_nonempty(services, viewer, tag, text, words, tier)


async def _next_nonempty(
    services: Services, viewer: Viewer, tag: str, text: str, words: list[str], tier: str
) -> str | None:
    for name in TIERS[TIERS.index(tier) :]:
        if name == "d":
            page = await experts.directory(
                services, viewer, topic=tag, text=text, cursor="d:", limit=1
            )
            if page.items:
                return "d:"
        elif name != "e":
            async with services.db.read() as conn:
                found = await object_store.partner_ranked(
                    conn, tag, evidenced=name == "pe", words=words, after=None, limit=1
                )
            if found:
                return f"{name}:"
    return None


def _partner(row: dict[str, Any], tag: str) -> PartnerExpert:
    return PartnerExpert(
        name=row["name"], summary=row["summary"], actor=row["actor_id"], topic=tag,
        organization=row["organization"], server=row["base_url"],
        evidence_count=int(row["evidence_count"]),
    )  # fmt: skip
