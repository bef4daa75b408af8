"""Asking to join a partner's group, the member side's rules: which of the groups a partner
offers us our member may ask to join, what became of their asks, and what they hear when
the group declines. Federation fetches the offers and carries the `Join`; the host decides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from feedserver.domain import access
from feedserver.domain.events import PartnerJoinDeclined
from feedserver.domain.services import Services
from feedserver.errors import Conflict
from feedserver.models import Viewer
from feedserver.store import cached_groups as cached_store
from feedserver.store import partner_joins as store
from feedserver.store.db import Connection
from feedserver.store.partner_joins import JoinAsk

# The host refuses a new ask this long after a decline; we do not send one before.
ASK_AGAIN_AFTER = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Offered:
    """One group a partner offers us, as it said (name, title, description only)."""

    actor_id: str
    host: str
    name: str
    title: str
    description: str

    @property
    def address(self) -> str:
        return f"{self.name}@{self.host}"


@dataclass(frozen=True, slots=True)
class PartnerGroup:
    """An offered group as our member sees it: `state` member, pending, declined, refused
    or "" (they may ask)."""

    group: Offered
    state: str


async def annotate(services: Services, viewer: Viewer, offers: list[Offered]) -> list[PartnerGroup]:
    """What the viewer has to do with each offered group."""
    access.require_member(viewer)
    assert viewer.member is not None
    async with services.db.read() as conn:
        asks = {a.group_actor: a for a in await store.asks_of(conn, viewer.member.id)}
        found = []
        for offer in offers:
            state = await _state(conn, viewer, offer, asks.get(offer.actor_id))
            found.append(PartnerGroup(offer, state))
    return found


async def _state(conn: Connection, viewer: Viewer, offer: Offered, ask: JoinAsk | None) -> str:
    held = await cached_store.by_address(conn, offer.name, offer.host, viewer.member_id)
    if held is not None and access.cached_group_access(viewer, held).can_read:
        return "member"
    return ask.state if ask is not None else ""


async def check_ask(conn: Connection, services: Services, viewer: Viewer, offer: Offered) -> bool:
    """May the viewer ask to join? False when their ask is pending already (nothing to send)."""
    access.require_member(viewer)
    assert viewer.member is not None
    held = await store.ask(conn, viewer.member.id, offer.actor_id)
    state = await _state(conn, viewer, offer, held)
    if state == "member":
        raise Conflict("You are a member of this group already")
    if state == "pending":
        return False
    if (
        held is not None
        and state == "declined"
        and held.decided_at is not None
        and services.clock() - held.decided_at < ASK_AGAIN_AFTER
    ):
        raise Conflict("The group declined your request recently; ask again later")
    return True


async def answered(conn: Connection, services: Services, ask: JoinAsk, *, approved: bool) -> None:
    """The host's answer to one of our member's asks (in the inbox's unit of work): an
    approval ends it (the group's state, sent first, made the copy); a decline is kept and
    the member told."""
    if ask.state != "pending":
        return  # answered already (a repeat): nothing changes, nobody is told again
    await store.answer_ask(conn, ask.activity_id, None if approved else "declined",
                           services.clock())  # fmt: skip
    if not approved:
        await services.events.publish(
            conn, PartnerJoinDeclined(ask.member_id, f"{ask.name}@{ask.host}", ask.title)
        )
