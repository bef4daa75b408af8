"""Standard JSON-LD tools read our keys: pyld expands the actor documents a real server
serves, with the remote contexts served from the copies in tests/vendor/jsonld-contexts
(no network) and ours as the server serves it, and finds under each actor's
`assertionMethod` a Multikey whose controller is that very actor (FEP-521a).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pyld import jsonld

from feedserver.federation import profiles
from feedserver.federation.keys import public_key_to_multibase
from feedserver.federation.proofs import verify_object

SEC = "https://w3id.org/security#"
VENDORED = Path(__file__).parents[1] / "vendor" / "jsonld-contexts"
REMOTE = {
    "https://www.w3.org/ns/activitystreams": "activitystreams.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
}


async def loader_for(node):
    """A pyld document loader: the vendored contexts, and ours as `node` serves it; any
    other URL is an error (nothing is fetched from the network)."""
    status, ours = await node.call("GET", "/ns/v1", token="")
    assert status == 200
    served = {url: json.loads((VENDORED / name).read_text()) for url, name in REMOTE.items()}
    served[f"{node.url}/ns/v1"] = ours

    def load(url: str, options: Any = None) -> dict[str, Any]:
        if url not in served:
            raise jsonld.JsonLdError(f"not bundled: {url}", "loading document failed")
        return {"contextUrl": None, "documentUrl": url, "document": served[url]}

    return load


def keys_of(expanded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    (actor,) = expanded
    return [
        {
            "id": key["@id"],
            "types": key.get("@type", []),
            "controller": [c["@id"] for c in key.get(f"{SEC}controller", [])],
            "multibase": [v["@value"] for v in key.get(f"{SEC}publicKeyMultibase", [])],
        }
        for key in actor.get(f"{SEC}assertionMethod", [])
    ]


@pytest.mark.parametrize("path", ["/actor", "/users/alice"])
async def test_each_actor_publishes_a_multikey_it_controls(trio, path):
    a, _, _ = trio
    await a.add_member("alice")
    assert (await a.call("PUT", "/api/v1/members/alice/profile", {"sharing": "partners"}))[0] == 200
    status, actor = await a.call("GET", path, token="")
    assert status == 200
    expanded = jsonld.expand(actor, {"documentLoader": await loader_for(a)})
    assert expanded[0]["@id"] == actor["id"] == a.url + path
    (key,) = keys_of(expanded)
    assert key["types"] == [f"{SEC}Multikey"]
    assert key["controller"] == [actor["id"]]
    assert key["multibase"] == [public_key_to_multibase(a.key.public_key())]
    # The server actor's key is the one our signatures and proofs name.
    if path == "/actor":
        assert key["id"] == a.key_id


async def test_a_signed_profile_expands_with_our_terms_and_its_proof_verifies(trio):
    a, _, _ = trio
    alice = await a.add_member("alice")
    async with a.services.db.write() as conn:
        signed = await profiles.share(
            conn, a.services, alice, summary="cuts checks", topics=["payroll"],
            evidence={"payroll": 2},
        )  # fmt: skip
    assert signed is not None
    expanded = jsonld.expand(signed, {"documentLoader": await loader_for(a)})
    (profile,) = expanded
    (evidence,) = profile["feedserver:evidence"]
    assert evidence == {"@value": {"payroll": 2}, "@type": "@json"}  # kept whole, as data
    assert f"{SEC}proof" in profile
    verify_object(signed, lambda kid: a.key.public_key() if kid == a.key_id else None)


async def test_without_the_did_context_a_processor_finds_no_key(trio):
    """Why the DID context is there: the multikey context alone leaves assertionMethod
    undefined, and a JSON-LD processor drops it (what Fedify did with our actors)."""
    a, _, _ = trio
    status, actor = await a.call("GET", "/actor", token="")
    assert status == 200
    actor["@context"] = [c for c in actor["@context"] if c != "https://www.w3.org/ns/did/v1"]
    assert keys_of(jsonld.expand(actor, {"documentLoader": await loader_for(a)})) == []
