import copy
from datetime import UTC, datetime

import pytest

from feedserver.federation import keys
from feedserver.federation.proofs import ProofError, sign_object, verify_object

# Test key of vc-di-eddsa, used by FEP-8b32's fep-8b32.feature.
SECRET = keys.private_key_from_multibase("z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq")
PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"
CREATED = datetime(2023, 2, 24, 23, 36, 38, tzinfo=UTC)

# FEP-8b32 fep-8b32.feature, "Signing document" / "Verifying a signature".
FEP_VM = "https://server.example/users/alice#ed25519-key"
FEP_CONTEXT = [
    "https://www.w3.org/ns/activitystreams",
    "https://w3id.org/security/data-integrity/v2",
]
FEP_DOCUMENT = {
    "@context": FEP_CONTEXT,
    "id": "https://server.example/activities/1",
    "type": "Create",
    "actor": "https://server.example/users/alice",
    "object": {
        "id": "https://server.example/objects/1",
        "type": "Note",
        "attributedTo": "https://server.example/users/alice",
        "content": "Hello world",
        "location": {"type": "Place", "longitude": -71.184902, "latitude": 25.273962},
    },
}
FEP_SIGNED = {
    **FEP_DOCUMENT,
    "proof": {
        "@context": FEP_CONTEXT,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "verificationMethod": FEP_VM,
        "proofPurpose": "assertionMethod",
        "proofValue": (
            "z42ffGu6AUKPCFcFPiabmUvnGLPJzC7e4DGWC52NUasSSH37UMa9c58tdgVszUcZfytxa4fQ5TYHaJENCxUDe9SdL"
        ),
        "created": "2023-02-24T23:36:38Z",
    },
}

# vc-di-eddsa's eddsa-jcs-2022 example credential (same key, did:key method).
VC_VM = f"did:key:{PUBLIC_MULTIBASE}#{PUBLIC_MULTIBASE}"
VC_DOCUMENT = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://www.w3.org/ns/credentials/examples/v2",
    ],
    "id": "urn:uuid:58172aac-d8ba-11ed-83dd-0b3aef56cc33",
    "type": ["VerifiableCredential", "AlumniCredential"],
    "name": "Alumni Credential",
    "description": "A minimum viable example of an Alumni Credential.",
    "issuer": "https://vc.example/issuers/5678",
    "validFrom": "2023-01-01T00:00:00Z",
    "credentialSubject": {"id": "did:example:abcdefgh", "alumniOf": "The School of Examples"},
}
VC_PROOF_VALUE = (
    "z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GAVFuUfjoJdcnTMuVor51aX"
)


def resolve(vm: str):
    # The FEP's actor publishes this Multikey under assertionMethod; resolve it the same way.
    if vm in (FEP_VM, VC_VM):
        return keys.public_key_from_multibase(PUBLIC_MULTIBASE)
    return None


def test_fep_8b32_vector_signing_is_reproduced_exactly():
    assert sign_object(FEP_DOCUMENT, SECRET, FEP_VM, CREATED) == FEP_SIGNED


def test_fep_8b32_vector_verifies():
    assert verify_object(FEP_SIGNED, resolve) == FEP_VM


def test_vc_di_eddsa_vector():
    signed = sign_object(VC_DOCUMENT, SECRET, VC_VM, CREATED)
    assert signed["proof"]["proofValue"] == VC_PROOF_VALUE
    assert verify_object(signed, resolve) == VC_VM


def _flip(text: str, index: int) -> str:
    return text[:index] + ("A" if text[index] != "A" else "B") + text[index + 1 :]


def _reason(obj, resolver=resolve) -> str:
    with pytest.raises(ProofError) as info:
        verify_object(obj, resolver)
    return info.value.reason


@pytest.mark.parametrize(
    ("field", "index", "char", "expected"),
    [
        ("proofValue", 20, "A", "bad-signature"),
        ("created", 18, "9", "bad-signature"),  # one second later
        ("proofPurpose", 0, "A", "wrong-purpose"),
        # A changed verificationMethod no longer resolves to the key.
        ("verificationMethod", 20, "A", "unknown-key"),
    ],
)
def test_one_character_changed_in_proof_fails(field, index, char, expected):
    tampered = copy.deepcopy(FEP_SIGNED)
    value = tampered["proof"][field]
    assert value[index] != char
    tampered["proof"][field] = value[:index] + char + value[index + 1 :]
    assert _reason(tampered) == expected


@pytest.mark.parametrize(
    "path",
    [("object", "content"), ("actor",), ("id",)],
)
def test_one_character_changed_in_object_fails(path):
    tampered = copy.deepcopy(FEP_SIGNED)
    target = tampered
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = _flip(target[path[-1]], 5)
    assert _reason(tampered) == "bad-signature"


def test_number_change_fails():
    tampered = copy.deepcopy(FEP_SIGNED)
    tampered["object"]["location"]["latitude"] = 25.273963
    assert _reason(tampered) == "bad-signature"


def test_round_trip_without_context_and_input_untouched():
    key = keys.generate_private_key()
    vm = "https://a.example/actor#ed25519-key"
    note = {"type": "Note", "content": "héllo 😀", "n": [1, 2.5, None, True]}
    before = copy.deepcopy(note)
    signed = sign_object(note, key, vm)
    assert note == before
    assert "@context" not in signed["proof"]
    assert signed["proof"]["created"].endswith("Z")
    assert verify_object(signed, {vm: key.public_key()}.get) == vm
    assert _reason(signed, {vm: keys.generate_private_key().public_key()}.get) == "bad-signature"


def test_extended_document_context_still_verifies():
    # vc-di-eddsa verify step 4: the proof's @context is what was signed; a document whose
    # context merely starts with it is accepted, one that does not is rejected.
    extended = copy.deepcopy(FEP_SIGNED)
    extended["@context"] = [*FEP_CONTEXT, {"extra": "https://x.example/extra"}]
    assert verify_object(extended, resolve) == FEP_VM
    reordered = copy.deepcopy(FEP_SIGNED)
    reordered["@context"] = list(reversed(FEP_CONTEXT))
    assert _reason(reordered) == "context-mismatch"


def test_other_rejections():
    assert _reason(FEP_DOCUMENT) == "missing"
    assert _reason({**FEP_SIGNED, "proof": "x"}) == "malformed"
    assert _reason({**FEP_SIGNED, "proof": {**FEP_SIGNED["proof"], "proofValue": "z11"}}) == (
        "malformed"
    )
    assert _reason({**FEP_SIGNED, "proof": {**FEP_SIGNED["proof"], "created": "yesterday"}}) == (
        "malformed"
    )
    other_suite = {**FEP_SIGNED["proof"], "cryptosuite": "eddsa-rdfc-2022"}
    assert _reason({**FEP_SIGNED, "proof": other_suite}) == "unsupported"
    purpose = {**FEP_SIGNED["proof"], "proofPurpose": "authentication"}
    assert _reason({**FEP_SIGNED, "proof": purpose}) == "wrong-purpose"
    assert _reason(FEP_SIGNED, lambda vm: None) == "unknown-key"
    assert verify_object({**FEP_SIGNED, "proof": [FEP_SIGNED["proof"]]}, resolve) == FEP_VM


def test_sign_refusals():
    with pytest.raises(ValueError):
        sign_object(FEP_SIGNED, SECRET, FEP_VM, CREATED)  # already has a proof
    with pytest.raises(ValueError):
        sign_object(FEP_DOCUMENT, SECRET, FEP_VM, datetime(2023, 1, 1))  # naive time
    with pytest.raises(ValueError):
        sign_object({"n": float("nan")}, SECRET, FEP_VM, CREATED)
