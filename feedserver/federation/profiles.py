"""Shared expertise profiles across partners: the ActivityStreams `Profile` we send and the
cache of partners' profiles we keep. Evidence crosses as aggregate counts only."""

from __future__ import annotations

import json
from typing import Any

from feedserver.domain import access
from feedserver.domain.access import require_member
from feedserver.domain.ids import new_id
from feedserver.domain.services import Services
from feedserver.domain.text import clean_text, normalize_tag
from feedserver.federation.client import host_of
from feedserver.federation.delivery import enqueue
from feedserver.federation.documents import member_url
from feedserver.federation.errors import BadActivity
from feedserver.federation.objects import OBJECT_CONTEXT, object_context, sign
from feedserver.federation.server_keys import actor_url
from feedserver.federation.stamps import stamp
from feedserver.models import Member, Partner, Profile, Viewer
from feedserver.store import directory as directory_store
from feedserver.store import evidence_summary
from feedserver.store import federation as fed_store
from feedserver.store import federation_objects as object_store
from feedserver.store import federation_queue as queue_store
from feedserver.store import members as members_store
from feedserver.store import profiles as profiles_store
from feedserver.store.db import Connection

MAX_TOPICS = 50
# A partner's profile is its members' names, a headline and a few dozen topics with counts:
# a few KiB. The bounds keep one partner from filling our disk or our directory pages.
MAX_PROFILE_BYTES = 64 * 1024
MAX_COUNT = 10**9  # SQLite's INTEGER is 64-bit; a count beyond this means nothing anyway
# Every member's profile activity id (see `_send`, which names them under the profile).
ANY_PROFILE_ACTIVITY = "%/profile#activity-%"


def _topics(obj: dict[str, Any]) -> list[str]:
    tags = obj.get("tag")
    out: list[str] = []
    for tag in tags if isinstance(tags, list) else []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            name = normalize_tag(tag["name"][:80])  # our own topics' spelling, or nothing
            if name and name not in out:
                out.append(name)
    return out[:MAX_TOPICS]


def evidence_counts(obj: dict[str, Any], topics: list[str]) -> dict[str, int]:
    """A count per listed topic; only non-negative integers survive (clamped), so no text a
    partner might send under this key reaches anyone."""
    raw = obj.get("feedserver:evidence")
    if not isinstance(raw, dict):
        return {}
    counts = {}
    for topic in topics:
        value = raw.get(topic)
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            counts[topic] = min(value, MAX_COUNT)
    return counts


def profile_fields(host: str, obj: dict[str, Any]) -> dict[str, Any]:
    """What we cache of a partner's Profile; BadActivity unless it is one of `host`'s own."""
    object_id, describes = obj.get("id"), obj.get("describes")
    if not isinstance(object_id, str) or not isinstance(describes, str):
        raise BadActivity("a Profile needs an id and describes")
    if host_of(object_id) != host or host_of(describes) != host:
        raise BadActivity("a partner shares only its own members' profiles")
    name, summary = obj.get("name"), obj.get("summary")
    name = name if isinstance(name, str) else ""
    summary = summary if isinstance(summary, str) else ""
    topics = _topics(obj)
    return {
        "object_id": object_id, "host": host, "actor_id": describes,
        "name": clean_text(name[:200]).strip(), "summary": clean_text(summary[:2000]).strip(),
        "topics": topics, "obj": obj, "counts": evidence_counts(obj, topics),
    }  # fmt: skip


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
        "@context": object_context(services.config),
        "id": profile_url(services, member.username),
        "type": "Profile",
        "describes": member_url(services.config, member.username),
        "attributedTo": member_url(services.config, member.username),
        "name": member.display_name,
        "summary": summary,
        "tag": [{"type": "Hashtag", "name": f"#{t}"} for t in topics],
        "feedserver:evidence": {k: int(v) for k, v in evidence.items()},
        # Partners apply a profile only if it is newer than the state they hold of it.
        "updated": stamp(services.clock()),
        **({"feedserver:field": field} if field else {}),
    }


async def share(
    conn: Connection, services: Services, member: Member, *, summary: str,
    topics: list[str], evidence: dict[str, int], field: str = "",
    targets: list[Partner] | None = None,
) -> dict[str, Any] | None:  # fmt: skip
    """Queue an `Update` of the member's signed profile to every profile-scope partner (or
    `targets`), in the caller's transaction. Returns the signed profile (None without a
    server key)."""
    signed = sign(services, profile_object(
        services, member, summary=summary, topics=topics, evidence=evidence, field=field,
    ))  # fmt: skip
    if signed is None:
        return None
    await _send(conn, services, member, "Update", signed, targets)
    return signed


async def unshare(conn: Connection, services: Services, member: Member) -> None:
    """Queue a `Delete` of the member's profile to every profile-scope partner."""
    await _send(conn, services, member, "Delete", profile_url(services, member.username))


async def _send(
    conn: Connection, services: Services, member: Member, kind: str, obj: Any,
    targets: list[Partner] | None = None,
) -> None:  # fmt: skip
    # Profile activities are named under the profile, so the queue can tell which member's
    # profile a pending delivery carries: a newer one replaces it (coalescing, below).
    prefix = f"{profile_url(services, member.username)}#activity-"
    now = services.clock()
    activity = {
        "@context": OBJECT_CONTEXT,
        "id": f"{prefix}{new_id()}",
        "type": kind,
        "actor": actor_url(services.config),
        "object": obj,
        # A Delete's time is its tombstone's on the partner: an older Update is refused.
        "published": stamp(now),
    }
    if targets is None:
        targets = await fed_store.profile_partners(conn)
    for partner in targets:
        # At most one pending profile activity per member and partner: what is queued and
        # not yet being sent is superseded by this one, so a burst of evidence (or edits)
        # sends the latest profile once instead of flooding the partner.
        await queue_store.drop_pending(conn, partner.host, prefix)
    await enqueue(conn, activity, targets, now)


async def push_current(
    conn: Connection, services: Services, member_id: str,
    targets: list[Partner] | None = None,
) -> None:  # fmt: skip
    """Queue an Update of the member's profile as it is now, if shared with partners: after
    new evidence (its scores changed) and to a newly added partner (backfill)."""
    # Most profiles are not shared with partners: one narrow read says so (this runs in
    # every post's write) before the member and the whole profile are loaded.
    cap = services.config.expertise_default_ask_cap
    if (await profiles_store.sharing_and_cap(conn, member_id, cap))[0] != "partners":
        return
    member = await members_store.by_id(conn, member_id)
    if member is None:
        return
    await _share_profile(conn, services, await profiles_store.get(conn, member, cap), targets)


async def backfill(conn: Connection, services: Services, partner: Partner) -> int:
    """A new partner with the profiles scope gets every profile already shared, through the
    durable queue, in the caller's transaction; returns how many were queued. One without it
    (say, a new code without profiles from a partner that had them) gets none and keeps none:
    our profile deliveries still queued for it and the profiles we cached of it go."""
    if not partner.profiles:
        await queue_store.drop_pending_like(conn, partner.host, ANY_PROFILE_ACTIVITY)
        await fed_store.delete_partner_profiles(conn, partner.host)
        return 0
    shared = await profiles_store.shared_with_partners(conn)
    for member_id in shared:
        await push_current(conn, services, member_id, [partner])
    return len(shared)


async def partner_experts(
    services: Services, viewer: Viewer, topic: str | None
) -> list[dict[str, Any]]:
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
            "evidence": evidence_counts(json.loads(row["object"]), row["topics"].split()),
        }
        for row in found
    ]


async def on_profile_put(conn: Connection, services: Services, profile: Profile, was: str) -> None:
    """Hook from domain.profiles.put, in its transaction: a profile shared with `partners` is
    pushed (Update) on every change; one that stops being shared is withdrawn (Delete)."""
    if profile.sharing == "partners":
        await _share_profile(conn, services, profile)
    elif was == "partners":
        await unshare(conn, services, profile.member)


async def _share_profile(
    conn: Connection, services: Services, profile: Profile,
    targets: list[Partner] | None = None,
) -> None:  # fmt: skip
    declared = {t.topic for t in profile.topics}
    counts = {}
    scope = access.partner_read_scope()
    groupless = access.groupless_kinds(scope)
    for topic, _, count in await directory_store.member_topics(conn, profile.member.id, MAX_TOPICS):
        # Partners learn a topic only where any local member could (access policy): a tag
        # used only in private groups, or only as a mentee's goal, never leaves the server.
        found = await evidence_summary.summaries(
            conn, scope, topic, [profile.member.id], groupless=groupless,
            since=services.clock(), listed=0,
        )  # fmt: skip
        seen = found[profile.member.id]
        readable = sum(seen.counts.values()) - seen.hidden
        if access.may_name_topic(topic in declared, readable):
            counts[topic] = count
    topics = list(dict.fromkeys([t.topic for t in profile.topics] + list(counts)))
    await share(conn, services, profile.member, summary=profile.headline,
                topics=topics[:MAX_TOPICS], evidence=counts, field=profile.field,
                targets=targets)  # fmt: skip
