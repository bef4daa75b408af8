"""`GET /api/v1/experts`: local and partners' shared profiles in one ranking, one cursor
(domain/federated_experts.py); every entry says which organization and server the person is at."""

from __future__ import annotations

from typing import Any

from feedserver.domain.federated_experts import PartnerExpert


def partner_entry(x: PartnerExpert) -> dict[str, Any]:
    return {
        "username": None,
        "display_name": x.name,
        "actor": x.actor,
        "topic": x.topic,
        "score": None,
        "status": "partner",
        "level": None,
        "headline": x.summary,
        "server": x.server,
        "organization": x.organization,
        # Aggregate counts only: never a title from a group the partner's members see.
        "evidence_count": x.evidence_count,
        "explanation": None,
    }
