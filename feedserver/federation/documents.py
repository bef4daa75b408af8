"""Discovery documents: WebFinger (RFC 7033), NodeInfo 2.1, the server's ActivityPub
`Application` actor and members' `Person` actors — public fields only — with keys as
FEP-521a Multikeys in `assertionMethod`, and the JSON-LD context of our own terms.

Actors name the DID context, which defines `assertionMethod` (the multikey context defines
only `Multikey` and its members): without it a JSON-LD processor (Fedify, Digital Bazaar's
libraries) drops `assertionMethod` and finds no key at all."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from feedserver.config import Config
from feedserver.domain import access
from feedserver.domain.services import Services
from feedserver.federation.server_keys import ServerKeys, actor_url
from feedserver.models import Member
from feedserver.store import profiles as profile_store

AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
DID_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_CONTEXT = "https://w3id.org/security/multikey/v1"
DI_CONTEXT = "https://w3id.org/security/data-integrity/v2"
# Our own terms (`feedserver:evidence`, ...), served by every server at this path from the
# copy in the package (feedserver-v1.jsonld). Their IRIs are the `feedserver:` ones they
# always expanded to, so objects signed before the context existed mean the same.
CONTEXT_PATH = "/ns/v1"
NODEINFO_REL = "http://nodeinfo.diaspora.software/ns/schema/2.1"
NODEINFO_PROFILE = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'
SOFTWARE_VERSION = "0.1.0"


def member_url(config: Config, username: str) -> str:
    return f"{config.public_url}/users/{username}"


def inbox_url(config: Config) -> str:
    return f"{config.public_url}/inbox"


def our_host(config: Config) -> str:
    return urlsplit(config.public_url).netloc.lower()


def context_url(config: Config) -> str:
    return f"{config.public_url}{CONTEXT_PATH}"


@cache
def feedserver_context() -> dict[str, Any]:
    """The JSON-LD context document of our own terms, as bundled."""
    text = resources.files("feedserver.federation").joinpath("feedserver-v1.jsonld").read_text()
    doc: dict[str, Any] = json.loads(text)
    return doc


def actor_context(config: Config) -> list[str]:
    return [AS_CONTEXT, DID_CONTEXT, MULTIKEY_CONTEXT, context_url(config)]


def multikeys(keys: ServerKeys, controller: str | None = None) -> list[dict[str, Any]]:
    """The server's published keys as Multikeys of `controller` (the server actor unless
    named). FEP-521a: a key under an actor's assertionMethod is controlled by that actor, so
    a member's actor publishes the server's keys (which sign for its members) under ids of
    its own, `{member}#{name}`; signatures and proofs name the server actor's ids."""
    owner = controller or actor_url(keys.config)
    out = []
    for key in keys.published():
        doc = {
            "id": key.key_id if controller is None else f"{owner}#{key.name}",
            "type": "Multikey",
            "controller": owner,
            "publicKeyMultibase": key.public_multibase,
        }
        if key.expires_at is not None:
            doc["expires"] = key.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        out.append(doc)
    return out


def application_actor(keys: ServerKeys) -> dict[str, Any]:
    config = keys.config
    return {
        "@context": actor_context(config),
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
    url = member_url(config, member.username)
    return {
        "@context": actor_context(config),
        "id": url,
        "type": "Person",
        "preferredUsername": member.username,
        "name": member.display_name,
        "inbox": inbox_url(config),
        "endpoints": {"sharedInbox": inbox_url(config)},
        "attributedTo": actor_url(config),  # the organization's server speaks for its members
        "assertionMethod": multikeys(keys, controller=url),
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
