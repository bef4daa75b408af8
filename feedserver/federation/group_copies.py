"""Groups shared with us, the member side: what a partner hosting a group sends about it
(its state with our members in it, its posts as signed by their authors' servers, deletions)
and the copy we keep of it. The inbox hands us every activity that names an `audience`.

The host must be a partner with the groups scope, the group one of its own (its id on the
sending server), every object signed by its own server (the proof checked like a shared
profile's), and only newer state applies (the group's version, a post's `updated`), so a
late or replayed older copy changes nothing. Checks run before the unit of work; in it the
replay cache and the activity id are recorded with the effect, all or nothing."""

from __future__ import annotations

import functools
import re
import sqlite3
from typing import Any

from feedserver.domain import cached_groups
from feedserver.domain.text import clean_text, normalize_tag, sanitize_foreign_html
from feedserver.federation import copy_marks, copy_units, inbox, partner_groups
from feedserver.federation.client import host_of
from feedserver.federation.context import Federation
from feedserver.federation.documents import our_host
from feedserver.federation.errors import BadActivity, InvalidProof, NotAPartner
from feedserver.federation.keys import public_key_from_multibase
from feedserver.federation.objects import BACKFILL
from feedserver.federation.proofs import ProofError, check_object
from feedserver.store import cached_groups as cached_store
from feedserver.store import federation as fed_store
from feedserver.store import members as members_store

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")
ROLES = ("owner", "mentor", "member")
KINDS = ("question", "story", "tip", "note", "answer", "reply")
MAX_MEMBERS = 5000
MAX_TEXT = 200_000


def handles(activity: dict[str, Any]) -> bool:
    """Activities about a shared group name it as their audience."""
    return isinstance(activity.get("audience"), str)


def _text(obj: dict[str, Any], name: str, limit: int) -> str:
    value = obj.get(name)
    return clean_text(value[:limit]) if isinstance(value, str) else ""


async def _group_state(fed: Federation, host: str, obj: dict[str, Any], url: str) -> dict[str, Any]:
    name = obj.get("preferredUsername")
    if obj.get("id") != url or not isinstance(name, str) or not NAME_RE.match(name):
        raise BadActivity("a Group needs its id (the audience) and a valid preferredUsername")
    if not url.endswith(f"/groups/{name}"):
        raise BadActivity("the group's id does not name the group")
    version = obj.get("feedserver:version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        raise BadActivity("a Group needs a feedserver:version")
    ours = f"{fed.services.config.public_url}/users/"
    members: dict[str, str] = {}
    listed = obj.get("feedserver:members")
    async with fed.services.db.read() as conn:
        for entry in (listed if isinstance(listed, list) else [])[:MAX_MEMBERS]:
            actor = entry.get("actor") if isinstance(entry, dict) else None
            role = entry.get("role") if isinstance(entry, dict) else None
            if not isinstance(actor, str) or role not in ROLES or not actor.startswith(ours):
                continue  # only our own members are ours to show it to
            member = await members_store.by_username(conn, actor[len(ours) :])
            if member is not None:
                members[member.id] = str(role)
    return {
        "actor_id": url, "host": host, "name": name, "title": _text(obj, "name", 200) or name,
        "description": _text(obj, "summary", 5000), "version": version,
        "members": sorted(members.items()),
    }  # fmt: skip


def _author(attributed: str) -> str:
    """username@host of an actor URL ({base}/users/{username})."""
    base, _, username = attributed.rpartition("/users/")
    return f"{username}@{host_of(base)}" if base and username else attributed


def post_fields(obj: dict[str, Any], url: str, own_origin: str) -> dict[str, Any]:
    object_id, attributed = obj.get("id"), obj.get("attributedTo")
    if not isinstance(object_id, str) or not isinstance(attributed, str):
        raise BadActivity("a post needs an id and attributedTo")
    if obj.get("audience") != url:
        raise BadActivity("the post is not in the group the activity names")
    kind = obj.get("feedserver:kind")
    published, updated = obj.get("published"), obj.get("updated")
    if kind not in KINDS or not isinstance(published, str) or not isinstance(updated, str):
        raise BadActivity("a post needs its kind, published and updated")
    parent = obj.get("inReplyTo")
    tags = []
    listed = obj.get("tag")
    for tag in listed if isinstance(listed, list) else []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            slug = normalize_tag(tag["name"][:80])
            if slug and slug not in tags:
                tags.append(slug)
    return {
        "object_id": object_id, "group_actor": url,
        "parent_id": parent if isinstance(parent, str) else None, "kind": kind,
        "author": _author(attributed), "title": _text(obj, "name", 300),
        "body_html": sanitize_foreign_html(_text(obj, "content", MAX_TEXT), own_origin),
        "tags": " ".join(tags[:20]),
        "published": published[:40], "updated": updated[:40], "obj": obj,
    }  # fmt: skip


async def receive(
    fed: Federation, signed: inbox.Signed, activity: dict[str, Any], body: bytes
) -> bool:
    """Apply one activity about a group shared with us; False when applied before."""
    services = fed.services
    host = signed.key.host
    url, kind, obj = activity["audience"], activity["type"], activity.get("object")
    if host_of(url) != host:
        raise NotAPartner("a partner speaks only for the groups it hosts")
    group: dict[str, Any] | None = None
    post: dict[str, Any] | None = None
    if kind == "Update" and isinstance(obj, dict) and obj.get("type") == "Group":
        await inbox.verify_proof(fed, obj, host, signed.key, proven=signed.object_proven)
        group = await _group_state(fed, host, obj, url)
    elif kind in ("Create", "Update") and isinstance(obj, dict):
        post = post_fields(obj, url, services.config.public_url)
        await _verify_post(fed, obj, host, signed)
        post["writer_id"] = await _our_writer(fed, obj)
        retag, arrives = await _effects(fed, post)
        arrives = arrives and not _backfill(activity)
        if retag or arrives:
            return await _with_effects(fed, signed, activity, post, retag=retag)
    elif partner_groups.answers_join(activity):  # the host answers our member's Join
        return await partner_groups.answered(fed, signed, activity)
    elif kind in ("Accept", "Undo"):
        return await _accepted(fed, signed, activity)
    elif kind == "Announce":  # a member's helpful mark, or its Undo, as the host tells it
        return await copy_marks.receive(fed, signed, activity)
    elif kind == "Delete":
        named = obj.get("id") if isinstance(obj, dict) else obj
        if not isinstance(named, str):
            raise BadActivity("Delete needs the id of an object")
        # The group itself, or one of its posts (written on the host or by a member on their
        # own server): the host speaks for its group, and only for its group (delete_post).
        if named != url:
            return await _post_deleted(fed, signed, activity, named)
    else:
        raise BadActivity(f"{kind} is not accepted for a shared group")
    now = services.clock()

    def apply(conn: sqlite3.Connection) -> bool:  # on the writer's thread: no awaits
        if not copy_units.begin(conn, signed, activity, now):
            return False
        if group is not None:
            if cached_store.holds_newer(conn, url, group["version"]):
                pass  # a late or replayed older state: what we hold stays
            elif group["members"]:
                cached_store.put_group(conn, **group, now=now)
            else:  # none of our members remain: keep nothing of it
                cached_store.delete_group(conn, host, url)
        elif post is not None:
            if cached_store.group_host(conn, url) != host:
                raise BadActivity("no such group shared with us")
            cached_store.put_post(conn, **post, now=now)
        else:  # a Delete of the group itself (one of its posts: `_post_deleted`)
            cached_store.delete_group(conn, host, url)
        return True

    applied: bool = await services.db.write_grouped(apply)
    return applied


async def _effects(fed: Federation, post: dict[str, Any]) -> tuple[bool, bool]:
    """Whether applying the post has effects beyond the copy, which need a unit of work of
    their own (not the grouped one): a thread's first post retagged (the evidence it earned
    our members moves), or a new post that answers or replies to one our member wrote, or
    mentions one of ours (they hear of it). A post our member wrote here arrives when the
    host relays it back (until then it is pending, and the group has not seen it). Read
    before the unit: only the host sends a post's versions, in order."""
    parent = post["parent_id"]
    async with fed.services.db.read() as conn:
        held = await cached_store.tags_of(conn, post["object_id"])
        pending = held is not None and await cached_store.is_pending(conn, post["object_id"])
        ours = parent is not None and await cached_store.writer_of(conn, parent) is not None
    if held is not None and not pending:
        return parent is None and held != post["tags"], False
    return False, ours or bool(cached_groups.mentioned(fed.services, post["obj"]))


async def _with_effects(
    fed: Federation, signed: inbox.Signed, activity: dict[str, Any], post: dict[str, Any], *,
    retag: bool,
) -> bool:  # fmt: skip
    """The post applied with its effects in one unit of work (`cached_groups.retagged`,
    `cached_groups.arrived`)."""
    services, url, now = fed.services, post["group_actor"], fed.services.clock()
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, now):
            return False
        if await conn.run_sync(cached_store.group_host, url) != signed.key.host:
            raise BadActivity("no such group shared with us")
        if not await conn.run_sync(functools.partial(cached_store.put_post, **post, now=now)):
            return True
        if retag:
            tags = tuple(post["tags"].split())
            await cached_groups.retagged(conn, services, post["object_id"], tags)
        else:
            await cached_groups.arrived(conn, services, url, post["obj"])
    return True


async def _accepted(fed: Federation, signed: inbox.Signed, activity: dict[str, Any]) -> bool:
    """The host says which answer a thread accepted (`Accept` of the answer, the question its
    `target`) or that none is now (`Undo` of that `Accept`). An answer our member wrote
    earns them the evidence here, on their own profile (`cached_groups.answer_accepted`)."""
    services, url = fed.services, activity["audience"]
    target, obj = activity.get("target"), activity.get("object")
    if activity["type"] == "Accept":
        answer: str | None = obj if isinstance(obj, str) else None
        if answer is None:
            raise BadActivity("Accept names the accepted answer's id")
    else:
        answer = None
    if not isinstance(target, str):
        raise BadActivity("Accept and Undo name the question as their target")
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, services.clock()):
            return False
        await cached_groups.answer_accepted(
            conn, services, url, target, answer, services.clock(), news=not _backfill(activity)
        )
    return True


def _backfill(activity: dict[str, Any]) -> bool:
    """Part of the past the host builds a new copy from (group_sharing._backfilled): our
    members were told of it when it happened, or could not read it then."""
    return activity.get(BACKFILL) is True


async def _post_deleted(
    fed: Federation, signed: inbox.Signed, activity: dict[str, Any], object_id: str
) -> bool:
    """The host deleted one of its group's posts: the copy loses it and its replies, each
    leaving a tombstone for the copy's feed, and whatever it was evidence of here goes with
    it (`cached_groups.post_deleted`)."""
    services, url = fed.services, activity["audience"]
    now = services.clock()
    async with services.db.write() as conn:
        if not await conn.run_sync(copy_units.begin, signed, activity, now):
            return False
        await cached_groups.post_deleted(conn, services, url, object_id)
        await conn.run_sync(cached_store.delete_post, url, object_id, now)
    return True


async def _verify_post(
    fed: Federation, obj: dict[str, Any], host: str, signed: inbox.Signed
) -> None:
    """A post of the host carries the host's proof. A post a member wrote on their own
    server carries that server's: ours is checked with our own keys (the host relaying it
    back is how we learn it took it), a partner's with its pinned key; a server we do not
    partner with we take on the host's word (it checked the proof, and it hosts the group)."""
    origin = host_of(str(obj.get("id", "")))
    if origin == host:
        await inbox.verify_proof(fed, obj, host, signed.key, proven=signed.object_proven)
        return
    if host_of(str(obj.get("attributedTo", ""))) != origin:
        raise BadActivity("a post's author and id are on one server")
    if origin == our_host(fed.services.config):
        await _verify_own(fed, obj)
        return
    async with fed.services.db.read() as conn:
        partner = await fed_store.partner(conn, origin)
    if partner is not None:
        await inbox.verify_proof(fed, obj, origin)


async def _our_writer(fed: Federation, obj: dict[str, Any]) -> str | None:
    """Our member who wrote a post we signed (its proof checked by `_verify_post`): known
    from the object itself, so a copy rebuilt from the host's backfill, with no pending post
    of theirs left, still knows whose question it is and whose answer earns the evidence."""
    config = fed.services.config
    ours = f"{config.public_url}/users/"
    attributed = str(obj.get("attributedTo", ""))
    if host_of(str(obj.get("id", ""))) != our_host(config) or not attributed.startswith(ours):
        return None
    async with fed.services.db.read() as conn:
        member = await members_store.by_username(conn, attributed[len(ours) :])
    return member.id if member is not None else None


async def _verify_own(fed: Federation, obj: dict[str, Any]) -> None:
    try:
        proof = check_object(obj)
    except ProofError as exc:
        raise InvalidProof(f"{exc.reason}: {exc}") from None
    ours = {k.key_id: k.public_multibase for k in fed.keys.published()}
    if proof.verification_method not in ours:
        raise InvalidProof("unknown-key: not one of our keys")
    key = public_key_from_multibase(ours[proof.verification_method])
    if not await fed.verifier.verify(key, proof.signature, proof.hash_data):
        raise InvalidProof("bad-signature: proof does not verify")
