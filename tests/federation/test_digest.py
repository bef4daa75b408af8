import base64
import hashlib

import pytest

from feedserver.federation.digest import DigestError, make_content_digest, verify_content_digest

# RFC 9530 section 2 / RFC 9421 appendix B.2: body {"hello": "world"} followed by a newline.
BODY = b'{"hello": "world"}\n'
RFC_SHA256 = "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:"
RFC_SHA512 = (
    "sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCs"
    "yRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:"
)


def test_rfc_9530_examples():
    assert make_content_digest(BODY) == RFC_SHA256
    assert make_content_digest(BODY, "sha-512") == RFC_SHA512
    assert verify_content_digest(RFC_SHA256, BODY) == "sha-256"
    assert verify_content_digest(RFC_SHA512, BODY) == "sha-512"


def test_both_algorithms_and_unknown_ones_alongside():
    assert verify_content_digest(f"{RFC_SHA256}, {RFC_SHA512}", BODY) == "sha-512"
    assert verify_content_digest(f"unixsum=:AAAA:, md5=:AAAA:, {RFC_SHA256}", BODY) == "sha-256"


def test_empty_body():
    value = make_content_digest(b"")
    assert value == f"sha-256=:{base64.b64encode(hashlib.sha256(b'').digest()).decode()}:"
    assert verify_content_digest(value, b"") == "sha-256"


def _reason(value: str, body: bytes = BODY) -> str:
    with pytest.raises(DigestError) as info:
        verify_content_digest(value, body)
    return info.value.reason


def test_mismatch():
    assert _reason(RFC_SHA256, BODY + b" ") == "mismatch"
    # One good digest cannot cover for a bad one of the other supported algorithm.
    bad512 = make_content_digest(b"other", "sha-512")
    assert _reason(f"{RFC_SHA256}, {bad512}") == "mismatch"


def test_unsupported_only():
    assert _reason("md5=:HUXZLQLMuI/KZ5KDcJPcOA==:") == "unsupported"
    assert _reason("") == "unsupported"


@pytest.mark.parametrize(
    "value",
    [
        "sha-256=RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=",  # token, not bytes
        'sha-256="RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg="',  # string
        "sha-256=:RK/0qy18M!BSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",  # not base64
        "sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=",  # unterminated
        "SHA-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:",  # keys are lowercase
        f"{RFC_SHA256},",
    ],
)
def test_malformed(value):
    assert _reason(value) == "malformed"


def test_make_rejects_unknown_algorithm():
    with pytest.raises(ValueError):
        make_content_digest(BODY, "md5")
