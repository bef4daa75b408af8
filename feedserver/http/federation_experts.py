"""Partners' shared expertise profiles in the directory (`GET /api/v1/experts`)."""

from __future__ import annotations

from typing import Any

from feedserver.domain.services import Services
from feedserver.domain.text import normalize_tag
from feedserver.federation import profiles
from feedserver.models import Viewer


async def with_partners(
    services: Services, viewer: Viewer, items: list[dict[str, Any]], topic: str | None,
    *, last_page: bool, limit: int,
) -> list[dict[str, Any]]:  # fmt: skip
    """Mark local entries with our organization; on the last page add partner entries."""
    org = services.config.organization
    for item in items:
        item.setdefault("organization", org)
    tag = normalize_tag(topic or "")
    if not last_page or tag is None:
        return items
    for found in await profiles.partner_experts(services, viewer, tag):
        items.append({
            "username": None,
            "display_name": found["name"],
            "actor": found["actor"],
            "topic": tag,
            "score": None,
            "status": "partner",
            "level": None,
            "headline": found["summary"],
            "server": found["server"],
            "organization": found["organization"],
            # Aggregate counts only: never a title from a group the partner's members see.
            "evidence_count": found["evidence"].get(tag, 0),
            "explanation": None,
        })  # fmt: skip
        if len(items) >= limit * 2:  # partners' entries are bounded like a page
            break
    return items
