"""Asking to join a partner's group, the member side.

Our member sees which groups our partners sharing groups offer us: each partner is asked by
a signed GET of its `/shared-groups` (it answers only a groups partner, with only the groups
shared with us: name, title, description), at most `FETCH_CONCURRENCY` at once, a partner
that does not answer well simply left out. Asking sends the host a `Join` of the group, our
member its actor, through the durable queue; the ask is kept here as `pending` until the
host's `Accept` (the group's state, sent before it, makes the copy) or `Reject` (the member
is told) comes back, and marked `refused` when its delivery fails for good. A pending ask
may be withdrawn (an `Undo` of the `Join`)."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from feedserver.domain import access, partner_asks
from feedserver.domain.ids import new_id
from feedserver.domain.partner_asks import Offered, PartnerGroup
from feedserver.domain.text import clean_text
from feedserver.errors import NotFound
from feedserver.federation import inbox
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url
from feedserver.federation.errors import BadActivity, PartnerUnreachable
from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.models import Partner, Viewer
from feedserver.store import federation as fed_store
from feedserver.store import federation_inbox as inbox_store
from feedserver.store import partner_joins as store

log = logging.getLogger(__name__)

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
MAX_GROUPS = 500  # per partner: more is not a list anyone reads
FETCH_CONCURRENCY = 8


async def _groups_partners(fed: Federation) -> list[Partner]:
    async with fed.services.db.read() as conn:
        return [p for p in await fed_store.partners(conn) if p.groups]


async def offered_by(fed: Federation, partner: Partner) -> list[Offered]:
    """What `partner` offers us (a signed GET); PartnerUnreachable when it does not answer
    well."""
    reply = await fed.client.request("GET", f"{partner.base_url}/shared-groups", [partner.host])
    if reply.status != 200:
        raise PartnerUnreachable(f"{partner.host} answered {reply.status}")
    items = reply.json().get("items")  # PartnerUnreachable when it is not a JSON object
    found: dict[str, Offered] = {}
    for item in items[:MAX_GROUPS] if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        name, actor = item.get("name"), item.get("id")
        if not isinstance(name, str) or not NAME_RE.match(name) or not isinstance(actor, str):
            continue
        if host_of(actor) != partner.host or not actor.endswith(f"/groups/{name}"):
            continue  # a partner offers only its own groups
        found[name] = Offered(
            actor_id=actor, host=partner.host, name=name,
            title=_text(item.get("title"), 200) or name,
            description=_text(item.get("description"), 2000),
        )  # fmt: skip
    return [found[name] for name in sorted(found)]


def _text(value: Any, limit: int) -> str:
    return clean_text(value[:limit]).strip() if isinstance(value, str) else ""


async def listing(fed: Federation, viewer: Viewer) -> tuple[list[PartnerGroup], list[str]]:
    """GET /api/v1/partner-groups: the groups offered to us with the viewer's standing in
    each, and the partners that did not answer."""
    services = fed.services
    access.require_member(viewer)  # before any partner is asked anything
    limit = asyncio.Semaphore(FETCH_CONCURRENCY)

    async def one(partner: Partner) -> list[Offered] | None:
        async with limit:
            try:
                return await offered_by(fed, partner)
            except PartnerUnreachable as exc:
                log.info("%s offered no groups: %s", partner.host, exc)
                return None

    partners = await _groups_partners(fed)
    answers = await asyncio.gather(*(one(p) for p in partners))
    offers = [g for found in answers if found for g in found]
    silent = [p.host for p, found in zip(partners, answers, strict=True) if found is None]
    return await partner_asks.annotate(services, viewer, offers), silent


async def ask(fed: Federation, viewer: Viewer, address: str) -> str:
    """Our member asks to join name@host: "requested" (sent now, or pending already)."""
    services = fed.services
    name, _, host = address.rpartition("@")
    host = host.lower()
    access.require_member(viewer)
    async with services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    if partner is None or not partner.groups or not NAME_RE.match(name):
        raise NotFound("No such group")
    offer = next((g for g in await offered_by(fed, partner) if g.name == name), None)
    if offer is None:  # not offered to us (or not there): the host would refuse it
        raise NotFound("No such group")
    assert viewer.member is not None
    activity_id = f"{services.config.public_url}/activities/{new_id()}"
    activity: dict[str, Any] = {
        "@context": OBJECT_CONTEXT,
        "id": activity_id,
        "type": "Join",
        "actor": member_url(services.config, viewer.member.username),
        "audience": offer.actor_id,
        "object": offer.actor_id,
    }
    async with services.db.write() as conn:
        if not await partner_asks.check_ask(conn, services, viewer, offer):
            return "requested"
        await store.put_ask(
            conn, member_id=viewer.member.id, group_actor=offer.actor_id, host=host, name=name,
            title=offer.title, activity_id=activity_id, now=services.clock(),
        )  # fmt: skip
        await enqueue(conn, activity, [partner], services.clock())
    fed.wake()
    return "requested"


async def withdraw(fed: Federation, viewer: Viewer, address: str) -> None:
    """Our member takes back their pending ask: an `Undo` of their `Join` goes to the host,
    and the ask is gone here at once (an answer that crosses it changes nothing here)."""
    services = fed.services
    access.require_member(viewer)
    assert viewer.member is not None
    name, _, host = address.rpartition("@")
    async with services.db.write() as conn:
        partner = await fed_store.partner(conn, host.lower())
        asks = await store.asks_of(conn, viewer.member.id)
        held = next((a for a in asks if a.host == host.lower() and a.name == name), None)
        if partner is None or held is None or held.state != "pending":
            raise NotFound("No pending request to join that group")
        actor = member_url(services.config, viewer.member.username)
        undo = {
            "@context": OBJECT_CONTEXT,
            "id": f"{services.config.public_url}/activities/{new_id()}",
            "type": "Undo",
            "actor": actor,
            "audience": held.group_actor,
            "object": {"id": held.activity_id, "type": "Join", "actor": actor,
                       "object": held.group_actor},
        }  # fmt: skip
        await store.delete_ask(conn, viewer.member.id, held.group_actor)
        await enqueue(conn, undo, [partner], services.clock())
    fed.wake()


def answers_join(activity: dict[str, Any]) -> bool:
    """An `Accept` or `Reject` of a `Join` (not of an answer, which names a post)."""
    obj = activity.get("object")
    return (
        activity.get("type") in ("Accept", "Reject")
        and isinstance(obj, dict)
        and obj.get("type") == "Join"
    )


async def answered(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """The host of a group answers one of our member's `Join`s (the caller checked that the
    sender hosts the group the activity names); False when applied before."""
    services = fed.services
    host, url = signed.key.host, activity["audience"]
    join_id = activity["object"].get("id")
    ours = f"{services.config.public_url}/activities/"
    if not isinstance(join_id, str) or not join_id.startswith(ours):
        raise BadActivity("the answer names none of our Joins")
    now = services.clock()
    seen_key = inbox.signature_hash(signed.signature)
    async with services.db.write() as conn:
        await conn.run_sync(inbox.spend_signature, signed, seen_key, host, now)
        kind = activity["type"]
        if not await conn.run_sync(inbox_store.record_activity, activity["id"], host, kind, now):
            return False
        held = await store.ask_by_activity(conn, join_id)
        if held is None or held.group_actor != url or held.host != host:
            raise BadActivity("no such request to join that group")
        await partner_asks.answered(conn, services, held, approved=kind == "Accept")
    return True
