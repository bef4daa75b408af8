"""Discovery documents: WebFinger (RFC 7033), NodeInfo 2.1, the server's ActivityPub
`Application` actor and members' `Person` actors — public fields only — with keys as
FEP-521a Multikeys in `assertionMethod`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from feedserver.config import Config
from feedserver.domain import access
from feedserver.domain.services import Services
from feedserver.federation.server_keys import ServerKeys, actor_url
from feedserver.models import Member
from feedserver.store import profiles as profile_store

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DI_CONTEXT = "https://w3id.org/security/data-integrity/v2"
ACTOR_CONTEXT = [AS_CONTEXT, MULTIKEY_CONTEXT]
NODEINFO_REL = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
SOFTWARE_VERSION = "0.1.0"


def member_url(config: Config, username: str) -> str:
    return f"{config.public_url}/users/{username}"


def inbox_url(config: Config) -> str:
    return f"{config.public_url}/inbox"


def our_host(config: Config) -> str:
    return urlsplit(config.public_url).netloc.lower()


def multikeys(keys: ServerKeys) -> list[dict[str, Any]]:
    out = []
    for key in keys.published():
        doc = {
            "id": key.key_id,
            "type": "Multikey",
            "controller": actor_url(keys.config),
            "publicKeyMultibase": key.public_multibase,
        }
        if key.expires_at is not None:
            doc["expires"] = key.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(doc)
    return out


def application_actor(keys: ServerKeys) -> dict[str, Any]:
    config = keys.config
    return {
        "@context": ACTOR_CONTEXT,
        "id": actor_url(config),
        "type": "Application",
        "preferredUsername": our_host(config),
        "name": config.organization,
        "url": config.public_url,
        "inbox": inbox_url(config),
        "endpoints": {"sharedInbox": inbox_url(config)},
        "assertionMethod": multikeys(keys),
    }


def person_actor(keys: ServerKeys, member: Member) -> dict[str, Any]:
    """Public fields only: username, display name and the server key that signs for them."""
    config = keys.config
    return {
        "@context": ACTOR_CONTEXT,
        "id": member_url(config, member.username),
        "type": "Person",
        "preferredUsername": member.username,
        "name": member.display_name,
        "inbox": inbox_url(config),
        "endpoints": {"sharedInbox": inbox_url(config)},
        "attributedTo": actor_url(config),  # the organization's server speaks for its members
        "assertionMethod": multikeys(keys),
    }


def webfinger(config: Config, username: str) -> dict[str, Any]:
    url = member_url(config, username)
    return {
        "subject": f"acct:{username}@{our_host(config)}",
        "aliases": [url],
        "links": [{"rel": "self", "type": "application/activity+json", "href": url}],
    }


def webfinger_application(config: Config) -> dict[str, Any]:
    return {
        "subject": actor_url(config),
        "links": [{"rel": "self", "type": "application/activity+json", "href": actor_url(config)}],
    }


def nodeinfo_links(config: Config) -> dict[str, Any]:
    return {"links": [{"rel": NODEINFO_REL, "href": f"{config.public_url}/nodeinfo/2.1"}]}


def nodeinfo(config: Config) -> dict[str, Any]:
    # Usage counts are left empty on purpose: how many people work somewhere is not public.
    return {
        "version": "2.1",
        "software": {
            "name": "feedserver",
            "version": SOFTWARE_VERSION,
        },
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": ["atom1.0"]},
        "openRegistrations": False,
        "usage": {"users": {}},
        "metadata": {"nodeName": config.organization, "federation": "partners-only"},
    }


async def public_member(services: Services, username: str) -> Member | None:
    """A member as shown to other servers: the Person actor carries public fields only, and
    only for members the access policy lets be discovered (profile shared with partners)."""
    async with services.db.read() as conn:
        found = await profile_store.member_and_sharing(conn, username)
    if found is None:
        return None
    member, sharing = found
    return member if access.may_discover_member(sharing) else None
