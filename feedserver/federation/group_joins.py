"""Asking to join our shared groups from member servers, the hosting side.

- **Discovery.** `GET /shared-groups`, signed (RFC 9421) by a partner whose partnership has
  the groups scope, answers with our groups shared with that partner: name, title and
  description, nothing else (`partner_joins.offered`). Anyone else gets a refusal and no list.
- **Asking.** A member server delivers a `Join` of the `Group` actor (the group its object
  and audience), its member the actor. The signature was checked by the inbox and binds the
  actor to the sending server; the group must be offered to that server; the actor must be
  `{partner}/users/{username}` and resolve to itself by a signed WebFinger on their server
  (a member it knows and has not suspended). In one unit of work, with the signature spent
  and the activity id recorded: the request, and the group's owners and mentors told
  (`partner_joins.record`, which also bounds repeats). Anything refused stores nothing.
- **Answering.** Approving goes through `group_sharing.add_remote_member` (their server is
  sent the group's state, then an `Accept` of their `Join`); declining sends a `Reject` of it.
  Both are queued in the decision's transaction (`PartnerJoinDecided`). An `Undo` of their
  `Join` from their server withdraws a pending request.

`Join` rather than `Follow` (which FEP-1b12 groups such as Lemmy's use): a `Follow` asks to
receive the group's activities and is accepted by default, while this asks for membership
(a role, the right to write) that a person decides; `Join` says that, and a `Reject` of it
reads as what it is."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from feedserver.domain import partner_joins
from feedserver.domain.events import PartnerJoinDecided
from feedserver.domain.ids import new_id
from feedserver.errors import Conflict, Forbidden, NotFound
from feedserver.federation import copy_units, group_sharing, inbox
from feedserver.federation.context import Federation
from feedserver.federation.delivery import enqueue
from feedserver.federation.errors import BadActivity, NotAPartner, SignatureRejected
from feedserver.federation.objects import OBJECT_CONTEXT
from feedserver.federation.server_keys import actor_url
from feedserver.models import Group, GroupMember, Viewer
from feedserver.store import federation as fed_store
from feedserver.store import groups as group_store
from feedserver.store.db import Connection

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


async def offered_to(fed: Federation, url: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """GET /shared-groups: the list for the groups partner that signed the request."""
    host = await _groups_partner(fed, url, headers)
    services = fed.services
    async with services.db.read() as conn:
        found = await partner_joins.offered(conn, host)
    return {
        "items": [
            {"id": group_sharing.group_url(services, g.name), "name": g.name, "title": g.title,
             "description": g.description}
            for g in found
        ]
    }  # fmt: skip


async def _groups_partner(fed: Federation, url: str, headers: Mapping[str, str]) -> str:
    """The host of the groups partner that signed this GET (401/403 for anyone else)."""
    if "signature" not in {k.lower() for k in headers}:
        raise SignatureRejected("missing: this list is for partners sharing groups, signed")
    screened = await inbox.screen_signature(fed, "GET", url, headers)
    if not await fed.verifier.verify(
        screened.key.public_key, screened.signature.signature_bytes, screened.base
    ):
        raise SignatureRejected("bad-signature: signature does not verify")
    async with fed.services.db.read() as conn:
        partner = await fed_store.partner(conn, screened.key.host)
    if partner is None or not partner.groups:
        raise NotAPartner("groups are not shared in this partnership")
    return partner.host


async def receive(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """A partner's member asks to join one of our groups; False when applied before."""
    services = fed.services
    host, url, actor = signed.key.host, activity["audience"], activity["actor"]
    prefix = f"{services.config.public_url}/groups/"
    name = url[len(prefix) :]
    if activity.get("object") != url or not NAME_RE.match(name):
        raise BadActivity("a Join names the group as its object and its audience")
    async with services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
        await _offered(conn, name, host)  # before asking their server anything
    if partner is None:  # removed since its key was looked up
        raise NotAPartner("not a partner")
    base = f"{partner.base_url}/users/"
    username = actor[len(base) :] if actor.startswith(base) else ""
    if not group_sharing.USERNAME_RE.match(username):
        raise BadActivity("the actor is not a member of the sending server")
    try:
        resolved = await group_sharing.resolve_actor(fed, username, host)
    except NotFound:
        raise NotAPartner("the sending server does not know the actor") from None
    if resolved != actor:
        raise NotAPartner("the sending server names another actor for that member")
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, services.clock()):
            return False
        group = await _offered(conn, name, host)
        try:
            await partner_joins.record(
                conn, services, group, host=host, username=username, actor_id=actor,
                activity_id=activity["id"],
            )  # fmt: skip
        except Forbidden as exc:  # refused like the rest: the inbox spends its signature
            raise NotAPartner(exc.detail) from None
        except Conflict as exc:
            raise BadActivity(exc.detail) from None
    return True


async def withdrawn(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """A partner's member takes back their pending request (an `Undo` of their `Join`)."""
    services = fed.services
    host, url, actor = signed.key.host, activity["audience"], activity["actor"]
    obj = activity["object"]
    name = url[len(f"{services.config.public_url}/groups/") :]
    if obj.get("object") != url or obj.get("actor") != actor or not NAME_RE.match(name):
        raise BadActivity("an Undo of a Join names the member's Join of the group")
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, services.clock()):
            return False
        group = await _offered(conn, name, host)
        await partner_joins.withdraw(conn, group, host=host, actor_id=actor,
                                     activity_id=str(obj.get("id")))  # fmt: skip
    return True


async def _offered(conn: Connection, name: str, host: str) -> Group:
    try:
        return await partner_joins.offered_group(conn, name, host)
    except Forbidden as exc:
        raise NotAPartner(exc.detail) from None


async def approve(fed: Federation, viewer: Viewer, name: str, address: str) -> GroupMember:
    """An owner or mentor lets username@host in: they become a remote member."""
    return await group_sharing.add_remote_member(
        fed, viewer, name, address, "member", approving=True
    )


async def decline(fed: Federation, viewer: Viewer, name: str, address: str) -> None:
    await partner_joins.decline(fed.services, viewer, name, address)
    fed.wake()


def subscribe(fed: Federation) -> None:
    """Wired after `group_sharing.subscribe`: an approval's `Accept` follows the group state
    `SharedGroupChanged` queued in the same transaction."""
    services = fed.services

    async def on_decided(conn: Connection, event: PartnerJoinDecided) -> None:
        url = group_sharing.group_url(services, await _group_name(conn, event.group_id))
        activity = {
            "@context": OBJECT_CONTEXT,
            "id": f"{url}#activity-{new_id()}",
            "type": "Accept" if event.approved else "Reject",
            "actor": actor_url(services.config),
            "audience": url,
            "object": {"id": event.activity_id, "type": "Join", "actor": event.actor_id,
                       "object": url},
        }  # fmt: skip
        partner = await fed_store.partner(conn, event.host)
        if partner is not None:
            await enqueue(conn, activity, [partner], services.clock())

    services.events.subscribe(PartnerJoinDecided, on_decided)


async def _group_name(conn: Connection, group_id: str) -> str:
    group = await group_store.by_id(conn, group_id)
    assert group is not None  # the decision's transaction holds it
    return group.name
