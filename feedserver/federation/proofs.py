"""FEP-8b32 Object Integrity Proofs with the W3C Data Integrity `eddsa-jcs-2022` cryptosuite.

Follows vc-di-eddsa section 3.3 (eddsa-jcs-2022): hashData = SHA-256(JCS(proofConfig)) ||
SHA-256(JCS(document without proof)), signed with Ed25519; proofValue = 'z' + base58btc.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .jcs import canonicalize
from .keys import KeyFormatError, b58decode, b58encode

__all__ = [
    "CRYPTOSUITE", "PROOF_TYPE", "ProofError", "ProofToVerify", "check_object", "sign_object",
    "verify_object",
]  # fmt: skip

PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"


class ProofError(ValueError):
    """`reason`: missing, malformed, unsupported, context-mismatch, wrong-purpose,
    unknown-key, bad-signature."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _hash_data(document: dict[str, Any], proof_config: dict[str, Any]) -> bytes:
    # proofConfig carries the document's @context (vc-di-eddsa "Proof Configuration").
    config = dict(proof_config)
    if "@context" in document:
        config["@context"] = document["@context"]
    return (
        hashlib.sha256(canonicalize(config)).digest()
        + hashlib.sha256(canonicalize(document)).digest()
    )


def _xsd_datetime(when: datetime) -> str:
    if when.tzinfo is None:
        raise ValueError("created must be timezone-aware")
    return when.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_object(
    obj: dict[str, Any],
    private_key: Ed25519PrivateKey,
    verification_method: str,
    created: datetime | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """Return a deep copy of `obj` with a `proof` member; `obj` itself is left untouched.

    Refuses objects that already carry a proof: proof sets/chains are not needed yet and
    signing over someone else's proof by accident would be worse than an error.
    """
    if "proof" in obj:
        raise ValueError("object already has a proof")
    document = copy.deepcopy(obj)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        "created": _xsd_datetime(created or datetime.now(UTC)),
    }
    if "@context" in document:
        proof["@context"] = copy.deepcopy(document["@context"])
    signature = private_key.sign(_hash_data(document, proof))
    proof["proofValue"] = "z" + b58encode(signature)
    document["proof"] = proof
    return document


def _starts_with(document_context: Any, proof_context: Any) -> bool:
    def as_list(c: Any) -> list[Any]:
        return c if isinstance(c, list) else [c]

    doc, prf = as_list(document_context), as_list(proof_context)
    return doc[: len(prf)] == prf


@dataclass(frozen=True)
class ProofToVerify:
    """An object's proof with every check done but the Ed25519 one."""

    verification_method: str
    signature: bytes
    hash_data: bytes  # what the signature must verify over


def check_object(obj: dict[str, Any], expected_purpose: str = "assertionMethod") -> ProofToVerify:
    """Every check of `verify_object` but the Ed25519 one; raise ProofError.

    The caller resolves `verification_method` to a key it trusts for the object's actor and
    verifies `signature` over `hash_data` (the inbox does it off the event loop).
    """
    if not isinstance(obj, dict) or "proof" not in obj:
        raise ProofError("missing", "object has no proof")
    proof = obj["proof"]
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if not isinstance(proof, dict):
        raise ProofError("malformed", "proof must be a single object")
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError("unsupported", "only DataIntegrityProof / eddsa-jcs-2022 is accepted")
    method, value = proof.get("verificationMethod"), proof.get("proofValue")
    if not isinstance(method, str) or not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("malformed", "verificationMethod and a 'z' proofValue are required")
    if proof.get("proofPurpose") != expected_purpose:
        raise ProofError("wrong-purpose", f"proofPurpose must be {expected_purpose}")
    created = proof.get("created")
    try:
        if created is not None:
            datetime.fromisoformat(str(created))
        signature = b58decode(value[1:])
    except (ValueError, KeyFormatError) as exc:
        raise ProofError("malformed", f"bad created or proofValue: {exc}") from exc
    if len(signature) != 64:
        raise ProofError("malformed", "proofValue is not a 64-byte Ed25519 signature")

    document = {k: v for k, v in obj.items() if k != "proof"}
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if "@context" in options:
        # vc-di-eddsa verify step 4: the document's context must start with the proof's,
        # and the proof's context is the one that was signed.
        if not _starts_with(document.get("@context"), options["@context"]):
            raise ProofError("context-mismatch", "document @context does not match the proof's")
        document["@context"] = options["@context"]
    try:
        hash_data = _hash_data(document, options)
    except (ValueError, TypeError, RecursionError) as exc:  # nested deeper than JCS recurses
        raise ProofError("malformed", f"object cannot be canonicalized: {exc}") from None
    return ProofToVerify(method, signature, hash_data)


def verify_object(
    obj: dict[str, Any],
    resolve_key: Callable[[str], Ed25519PublicKey | None],
    expected_purpose: str = "assertionMethod",
) -> str:
    """Verify the object's single eddsa-jcs-2022 proof and return its verificationMethod.

    The caller must still check that the returned key belongs to the object's actor.
    Raises ProofError.
    """
    proof = check_object(obj, expected_purpose)
    key = resolve_key(proof.verification_method)
    if key is None:
        raise ProofError(
            "unknown-key", f"unknown verification method {proof.verification_method!r}"
        )
    try:
        key.verify(proof.signature, proof.hash_data)
    except InvalidSignature as exc:
        raise ProofError("bad-signature", "proof does not verify") from exc
    return proof.verification_method
