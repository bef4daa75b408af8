"""Shared expertise profiles across partners: the ActivityStreams `Profile` we send and the
cache of partners' profiles we keep. Evidence crosses as aggregate counts only."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from feedserver.domain import access
from feedserver.domain.access import require_member
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.federation.client import host_of
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url
from feedserver.federation.errors import BadActivity
from feedserver.federation.objects import OBJECT_CONTEXT, sign
from feedserver.federation.server_keys import actor_url
from feedserver.models import Member, Profile, Viewer
from feedserver.store import directory as directory_store
from feedserver.store import federation as fed_store
from feedserver.store import federation_objects as object_store
from feedserver.store.db import Connection

MAX_TOPICS = 50


def _topics(obj: dict[str, Any]) -> list[str]:
    out = []
    for tag in obj.get("tag") or []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            name = tag["name"].lstrip("#").strip().lower()
            if name and len(name) <= 64 and name not in out:
                out.append(name)
    return out[:MAX_TOPICS]


def evidence_counts(obj: dict[str, Any]) -> dict[str, int]:
    """Only non-negative integer counts survive; any text a partner might send is dropped."""
    raw = obj.get("feedserver:evidence")
    if not isinstance(raw, dict):
        return {}
    return {
        str(k)[:64]: v
        for k, v in raw.items()
        if isinstance(v, int) and not isinstance(v, bool) and v >= 0
    }


async def apply_profile_update(
    conn: Connection, host: str, obj: dict[str, Any], now: datetime
) -> None:
    object_id, describes = obj.get("id"), obj.get("describes")
    if not isinstance(object_id, str) or not isinstance(describes, str):
        raise BadActivity("a Profile needs an id and describes")
    if host_of(object_id) != host or host_of(describes) != host:
        raise BadActivity("a partner shares only its own members' profiles")
    name = obj.get("name") if isinstance(obj.get("name"), str) else ""
    summary = obj.get("summary") if isinstance(obj.get("summary"), str) else ""
    await object_store.put_partner_profile(
        conn, object_id=object_id, host=host, actor_id=describes, name=name[:200],
        summary=summary[:2000], topics=_topics(obj), obj=obj, now=now,
    )  # fmt: skip


async def apply_profile_delete(conn: Connection, host: str, object_id: str) -> None:
    await object_store.delete_partner_profile(conn, host, object_id)


# --- sending: called by the expertise directory when a profile shared with `partners`
# changes or stops being shared ----------------------------------------------------------


def profile_url(services: Services, username: str) -> str:
    return f"{member_url(services.config, username)}/profile"


def profile_object(
    services: Services, member: Member, *, summary: str, topics: list[str],
    evidence: dict[str, int], field: str = "",
) -> dict[str, Any]:  # fmt: skip
    """An ActivityStreams `Profile` describing the member; evidence as counts only."""
    return {
        "@context": OBJECT_CONTEXT,
        "id": profile_url(services, member.username),
        "type": "Profile",
        "describes": member_url(services.config, member.username),
        "attributedTo": member_url(services.config, member.username),
        "name": member.display_name,
        "summary": summary,
        "tag": [{"type": "Hashtag", "name": f"#{t}"} for t in topics],
        "feedserver:evidence": {k: int(v) for k, v in evidence.items()},
        "updated": services.clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
        **({"feedserver:field": field} if field else {}),
    }


async def share(
    conn: Connection, services: Services, member: Member, *, summary: str,
    topics: list[str], evidence: dict[str, int], field: str = "",
) -> dict[str, Any] | None:  # fmt: skip
    """Queue an `Update` of the member's signed profile to every profile-scope partner, in
    the caller's transaction. Returns the signed profile (None without a server key)."""
    signed = sign(services, profile_object(
        services, member, summary=summary, topics=topics, evidence=evidence, field=field,
    ))  # fmt: skip
    if signed is None:
        return None
    await _send(conn, services, "Update", signed)
    return signed


async def unshare(conn: Connection, services: Services, member: Member) -> None:
    """Queue a `Delete` of the member's profile to every profile-scope partner."""
    await _send(conn, services, "Delete", profile_url(services, member.username))


async def _send(conn: Connection, services: Services, kind: str, obj: Any) -> None:
    actor = actor_url(services.config)
    activity = {
        "@context": OBJECT_CONTEXT,
        "id": f"{services.config.public_url}/activities/{new_id()}",
        "type": kind,
        "actor": actor,
        "object": obj,
    }
    targets = await fed_store.partners(conn, profiles_only=True)
    await enqueue(conn, activity, targets, services.clock())


async def partner_experts(services: Services, viewer: Viewer, topic: str | None) -> list[dict]:
    """Partners' cached profiles for the directory, each marked with organization and server.

    Signed-in members only (the directory's rule); evidence is counts only.
    """
    require_member(viewer)
    async with services.db.read() as conn:
        found = await object_store.partner_profiles(conn, topic.lower() if topic else None)
    return [
        {
            "name": row["name"],
            "summary": row["summary"],
            "topics": row["topics"].split(),
            "actor": row["actor_id"],
            "organization": row["organization"],
            "server": row["base_url"],
            "evidence": evidence_counts(json.loads(row["object"])),
        }
        for row in found
    ]


async def on_profile_put(conn: Connection, services: Services, profile: Profile, was: str) -> None:
    """Hook from domain.profiles.put, in its transaction: a profile shared with `partners` is
    pushed (Update) on every change; one that stops being shared is withdrawn (Delete)."""
    if profile.sharing == "partners":
        declared = {t.topic for t in profile.topics}
        counts = {}
        for topic, _, count in await directory_store.member_topics(
            conn, profile.member.id, MAX_TOPICS
        ):
            # Partners learn a topic only where any local member could (access policy):
            # a tag used only in private groups never leaves the server.
            seen = await directory_store.evidence(
                conn, access.partner_read_scope(), topic, [profile.member.id]
            )
            readable = sum(1 for e in seen if e.readable)
            if access.may_name_topic(topic in declared, readable):
                counts[topic] = count
        topics = list(dict.fromkeys([t.topic for t in profile.topics] + list(counts)))
        await share(conn, services, profile.member, summary=profile.headline,
                    topics=topics[:MAX_TOPICS], evidence=counts, field=profile.field)  # fmt: skip
    elif was == "partners":
        await unshare(conn, services, profile.member)
