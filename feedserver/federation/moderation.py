"""Moderation's part in federation: deleting a member withdraws a profile they shared with
partners (a `Delete` through the delivery queue, in the deletion's transaction). The rules
are domain/moderation.py's; this only hands them the federation step."""

from __future__ import annotations

from feedserver.domain import moderation
from feedserver.domain.services import Services
from feedserver.federation import profiles
from feedserver.models import MemberStanding, Viewer


async def delete_member(
    services: Services, by: Viewer | None, username: str, *, content: str
) -> MemberStanding:
    return await moderation.delete(
        services, by, username, content=content, withdraw_profile=profiles.unshare
    )
