"""Writes into our shared groups from their members on partner servers, the hosting side.

A member server delivers a `Create` whose actor is its member and whose object that server
signed (FEP-8b32). We check, before the unit of work, that the object's proof verifies with
a pinned key of the sending server and that the actor wrote it; in the unit of work (the
signature spent and the activity id recorded with the effect, all or nothing) that the group
is ours, `partners`, shared with that server, which still has the groups scope, and that the
actor is a remote member whose role lets them write what they wrote. The post is stored
under their username@host, with the object as signed; `PostWritten` then relays that object,
proof intact, to every server holding a copy of the group (`group_sharing.send_post`), the
writer's own included, which is how it learns that we took it. An `Update` of a post (its
author's new version, newer than ours), an `Accept` of an answer, a `Delete` of a post, a
`Like` (a helpful mark) or its `Undo` are the remote member's choice under the same policy
as a local member's (`posts.edit_in`, `accept_in`, `delete_in`, `set_helpful_in`) and are
relayed like one. A `Join` (a partner's member asking to join) or its `Undo` goes to
`group_joins`. Anything else is refused with nothing stored. Each remote member has the
write limit a local member has (429 with Retry-After: their server retries later)."""

from __future__ import annotations

from typing import Any

from feedserver.domain import group_sharing, posts
from feedserver.domain.events import PostWritten
from feedserver.domain.ids import is_id, new_id
from feedserver.domain.text import clean_text
from feedserver.errors import Conflict, Forbidden, NotFound, TooManyRequests, ValidationFailed
from feedserver.federation import group_copies, group_joins, inbox
from feedserver.federation import group_sharing as relay
from feedserver.federation.context import Federation
from feedserver.federation.errors import BadActivity, NotAPartner
from feedserver.models import Group, Member, Role
from feedserver.store import federation_inbox as inbox_store
from feedserver.store import federation_objects as object_store
from feedserver.store import group_sharing as sharing_store
from feedserver.store import groups as group_store
from feedserver.store import partner_posts as partner_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

MAX_SOURCE = 100_000  # a local post's body limit


def hosts(fed: Federation, activity: dict[str, Any]) -> bool:
    """Whether the activity's audience is one of our own groups."""
    return str(activity.get("audience", "")).startswith(_groups_prefix(fed))


def _groups_prefix(fed: Federation) -> str:
    return f"{fed.services.config.public_url}/groups/"


async def receive(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """Apply one member server's write into our group; False when applied before."""
    services = fed.services
    host = signed.key.host
    url, kind, obj = activity["audience"], activity["type"], activity.get("object")
    if kind == "Join":  # a partner's member asks to join the group (group_joins.py)
        return await group_joins.receive(fed, signed, activity)
    if kind == "Undo" and isinstance(obj, dict) and obj.get("type") == "Join":  # or withdraws
        return await group_joins.withdrawn(fed, signed, activity)
    if kind in ("Create", "Update") and isinstance(obj, dict):
        # The object's id and author are on the sending server, its proof that server's.
        await inbox.verify_proof(fed, obj, host, signed.key, proven=signed.object_proven)
        if obj.get("attributedTo") != activity["actor"]:
            raise BadActivity("a member writes only as themselves")
        fields = group_copies.post_fields(obj, url, services.config.public_url)
    elif kind in ("Accept", "Delete", "Like") and isinstance(obj, str):  # a post's id
        fields = {}
    elif kind == "Undo" and isinstance(obj, dict) and obj.get("type") == "Like":
        fields, obj = {}, obj.get("object")  # a helpful mark taken back
        if not isinstance(obj, str):
            raise BadActivity("Undo of a Like names the post")
    else:
        raise BadActivity(f"{kind} into a shared group is not accepted")
    if wait := fed.partner_writes.take(str(activity["actor"])):
        # Before the unit of work: the signature is not spent, so the member server's
        # delivery retries after Retry-After (delivery.py) and the write is late, not lost.
        raise TooManyRequests("Too many writes by this member in a short time", retry_after=wait)
    name = url[len(_groups_prefix(fed)) :]
    now = services.clock()
    seen_key = inbox.signature_hash(signed.signature)
    async with services.db.write() as conn:
        await conn.run_sync(inbox.spend_signature, signed, seen_key, host, now)
        if not await conn.run_sync(inbox_store.record_activity, activity["id"], host, kind, now):
            return False
        group = await _shared_group(conn, name, host)
        who = await partner_store.member_role(conn, group.id, host, activity["actor"])
        if who is None:
            if kind == "Update" and await _former_author(
                conn, fed, group, host, activity["actor"], fields
            ):
                return True
            raise NotAPartner("the author is not a member of the group")
        author = await partner_store.author(
            conn, new_id=new_id(), username=who[0], host=host, display_name="", now=now
        )
        try:
            if kind == "Create":
                await _store_post(conn, fed, group, author, who[1], host, fields)
            elif kind == "Update":
                await _edit_post(conn, fed, group, author, who[1], fields)
            else:
                acting = await group_sharing.partner_post(
                    conn, services, group=group, author=author, role=who[1],
                    post_id=await _our_post(conn, fed, str(obj)),
                )  # fmt: skip
                if kind == "Accept":
                    await posts.accept_in(conn, services, *acting)
                elif kind == "Delete":
                    await posts.delete_in(conn, services, *acting)
                else:  # a Like, or the Undo of one
                    await posts.set_helpful_in(conn, services, *acting, helpful=kind == "Like")
        except Forbidden as exc:  # refused like the rest: the inbox spends its signature
            raise NotAPartner(exc.detail) from None
        except (NotFound, Conflict, ValidationFailed) as exc:
            raise BadActivity(exc.detail) from None
    return True


async def _store_post(
    conn: Connection, fed: Federation, group: Group, author: Member, role: Role, host: str,
    fields: dict[str, Any],
) -> None:  # fmt: skip
    services = fed.services
    obj = fields["obj"]
    if await partner_store.post_of_object(conn, obj["id"]) is not None:
        # The same object again under another activity id: one post per object (its id is
        # what replies, accepts and deletes name).
        raise BadActivity("this post was delivered before")
    body_text = _source(obj)
    parent = fields["parent_id"]
    post = await group_sharing.store_partner_post(
        conn, services, group=group, author=author, role=role,
        parent_id=None if parent is None else await _our_post(conn, fed, parent),
        kind=fields["kind"], title=fields["title"], body=body_text or fields["title"],
        body_html=fields["body_html"], tags=tuple(fields["tags"].split()),
    )  # fmt: skip
    await object_store.put_post_object(conn, post.id, obj)
    await partner_store.put_origin(conn, post.id, obj["id"], host)
    await services.events.publish(conn, PostWritten(post, created=True))


async def _edit_post(
    conn: Connection, fed: Federation, group: Group, author: Member, role: Role,
    fields: dict[str, Any],
) -> None:  # fmt: skip
    """A new version of a post written elsewhere: its author's, and newer than ours."""
    obj = fields["obj"]
    post_id = await partner_store.post_of_object(conn, obj["id"])
    if post_id is None:
        raise BadActivity("no such post in the group")
    held = await object_store.post_object(conn, post_id)
    if held is not None and str(held.get("updated", "")) >= fields["updated"]:
        return  # a late or repeated older version changes nothing
    await object_store.put_post_object(conn, post_id, obj)  # what PostWritten relays
    top_level = fields["parent_id"] is None
    acting = await group_sharing.partner_post(
        conn, fed.services, group=group, author=author, role=role, post_id=post_id
    )
    edited = await posts.edit_in(
        conn, fed.services, *acting, title=fields["title"] if top_level else None,
        body=_source(obj) or fields["title"],
        tags=fields["tags"].split() if top_level else None, html=fields["body_html"],
    )  # fmt: skip
    if edited is acting[2]:
        # Its text is the same: the object is signed again, under its author's new name
        # when they were renamed on their server (actor_moves.py). No revision, and
        # PostWritten relays nothing: the copies get the object from here.
        await _relay_signed_again(conn, fed, group, fields)


async def _former_author(
    conn: Connection, fed: Federation, group: Group, host: str, actor: str,
    fields: dict[str, Any],
) -> bool:  # fmt: skip
    """An `Update` by one who is no longer a member: taken only as their post signed again
    by their server under the name it moved them to (actor_moves.py), its text unchanged;
    kept and relayed like a member's. False: not that, refused."""
    obj = fields["obj"]
    post_id = await partner_store.post_of_object(conn, obj["id"])
    post = await post_store.get(conn, post_id) if post_id else None
    name = f"{actor.rpartition('/users/')[2]}@{host}"
    if post is None or post.group_id != group.id or post.author_username != name:
        return False
    text = (fields["title"], fields["body_html"], tuple(fields["tags"].split()))
    if text != (post.title, post.body_html, post.tags):
        return False  # a former member edits nothing
    held = await object_store.post_object(conn, post.id)
    if held is None or str(held.get("updated", "")) < fields["updated"]:
        await object_store.put_post_object(conn, post.id, obj)
        await _relay_signed_again(conn, fed, group, fields)
    return True


async def _relay_signed_again(
    conn: Connection, fed: Federation, group: Group, fields: dict[str, Any]
) -> None:
    """A post's object signed again by its author's server, text unchanged: to every copy
    as an `Update`; the group's feeds move (they show the author's name)."""
    if await relay.send_to_copies(
        conn, fed.services, fields["group_actor"], "Update", fields["obj"]
    ):
        fed.wake()
    await group_store.bump_version(conn, group.id)


def _source(obj: dict[str, Any]) -> str:
    """The Markdown its author wrote (what search, mentions and mail read)."""
    source = obj.get("source")
    text = source.get("content") if isinstance(source, dict) else None
    return clean_text(text[:MAX_SOURCE]) if isinstance(text, str) else ""


async def _shared_group(conn: Connection, name: str, host: str) -> Group:
    """Our group `name`, shared with `host` under a partnership with the groups scope."""
    group = await group_store.by_name(conn, name)
    if group is None or group.visibility != "partners":
        raise NotAPartner("no such group shared with you")
    if host not in await sharing_store.partners_of(conn, group.id):
        raise NotAPartner("no such group shared with you")
    if not (await sharing_store.groups_partners(conn, [host]))[host]:
        raise NotAPartner("groups are not shared in this partnership")
    return group


async def _our_post(conn: Connection, fed: Federation, object_id: str) -> str:
    """Our post id for a post's object id: one of ours, or one written elsewhere."""
    ours = f"{fed.services.config.public_url}/posts/"
    if object_id.startswith(ours) and is_id(object_id[len(ours) :]):
        return object_id[len(ours) :]
    found = await partner_store.post_of_object(conn, object_id)
    if found is None:
        raise BadActivity("no such post in the group")
    return found
