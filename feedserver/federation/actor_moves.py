"""A partner's member renamed on their own server, the hosting side: deleted there with their
posts kept under a new name, they must not keep the old one here or on any copy of our
groups. Their server's actor sends a `Move` whose `object` is the member's old actor and
whose `target` is the new one (`renamed_writes`, on the member's server).

Only the member's own server speaks for them: the signing partner's server actor moving
actors on its own host (anything else is refused with nothing stored). The groups scope is
not asked for: a partner that lost it may still have members' posts kept here under their
old names, and renaming those only ever hides a name. In one unit of work with the
signature spent and the activity id recorded, the account they write under here
(username@host) and their memberships of our groups take the new name, and the feeds of
the groups they wrote in move (they show authors' names). An actor we never knew changes
nothing. The posts' objects, signed by their server, are
not ours to change: it sends each one signed again under the new name, an ordinary
`Update` by the new actor (`group_inbox`), which we keep and relay to every copy."""

from __future__ import annotations

import re
from typing import Any

from feedserver.federation import copy_units, inbox
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.errors import BadActivity, NotAPartner
from feedserver.store import federation as fed_store
from feedserver.store import groups as group_store
from feedserver.store import moderation as moderation_store
from feedserver.store import partner_posts as partner_store

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _member(actor: Any, host: str) -> tuple[str, str]:
    """(the server's base, the username) of a member's actor ({base}/users/{username}) on
    `host`."""
    if not isinstance(actor, str) or host_of(actor) != host:
        raise NotAPartner("a server moves only its own members")
    base, _, username = actor.rpartition("/users/")
    if not base or not USERNAME_RE.match(username):
        raise BadActivity("a Move names the actors of members")
    return base, username


async def receive(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """False when applied before."""
    services, host = fed.services, signed.key.host
    old, new = activity.get("object"), activity.get("target")
    (old_base, old_name), (new_base, new_name) = _member(old, host), _member(new, host)
    if old_base != new_base or old == new:
        raise BadActivity("a Move names two actors of one server")
    async with services.db.read() as conn:
        partner = await fed_store.partner(conn, host)
    if partner is None or activity["actor"] != partner.actor_id:
        raise NotAPartner("only the partner's own server actor moves its members")
    now = services.clock()
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, now):
            return False
        try:
            account = await partner_store.move_actor(
                conn, host=host, old_actor=str(old), new_actor=str(new),
                old_username=old_name, new_username=new_name,
            )  # fmt: skip
        except LookupError:
            raise BadActivity("the new name is taken here") from None
        if account is not None:
            for group_id in await moderation_store.authored_groups(conn, account):
                await group_store.bump_version(conn, group_id)  # feeds show authors' names
    return True
