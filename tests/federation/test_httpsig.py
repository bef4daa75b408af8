import base64
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key, load_pem_public_key
from http_message_signatures import (
    HTTPMessageSigner,
    HTTPMessageVerifier,
    InvalidSignature,
    MappingKeyResolver,
    algorithms,
)

from feedserver.federation import httpsig
from feedserver.federation.digest import make_content_digest
from feedserver.federation.keys import generate_private_key

# RFC 9421 Appendix B.1.4, test-key-ed25519.
RFC_PRIVATE_PEM = b"""-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
RFC_PUBLIC_PEM = b"""-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
# RFC 9421 Appendix B.2, the test request (body {"hello": "world"}).
RFC_URL = "https://example.com/foo?param=Value&Pet=dog"
RFC_HEADERS = {
    "Host": "example.com",
    "Date": "Tue, 20 Apr 2021 02:07:55 GMT",
    "Content-Type": "application/json",
    "Content-Digest": (
        "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNye"
        "aldVLvRwEmTHWXvJwew==:"
    ),
    "Content-Length": "18",
}
RFC_CREATED = 1618884473
B26_COMPONENTS = ("date", "@method", "@path", "@authority", "content-type", "content-length")
B26_BASE = """"date": Tue, 20 Apr 2021 02:07:55 GMT
"@method": POST
"@path": /foo
"@authority": example.com
"content-type": application/json
"content-length": 18
"@signature-params": ("date" "@method" "@path" "@authority" "content-type" \
"content-length");created=1618884473;keyid="test-key-ed25519\""""
B26_SIGNATURE_INPUT = (
    'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
    ';created=1618884473;keyid="test-key-ed25519"'
)
B26_SIGNATURE = "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"  # noqa: E501 (kept whole: greppable against the RFC)

RFC_PRIVATE = load_pem_private_key(RFC_PRIVATE_PEM, None)
RFC_PUBLIC = load_pem_public_key(RFC_PUBLIC_PEM)


def test_rfc9421_b26_signature_base():
    params = {"created": RFC_CREATED, "keyid": "test-key-ed25519"}
    base, _ = httpsig.signature_base("POST", RFC_URL, RFC_HEADERS, B26_COMPONENTS, params)
    assert base == B26_BASE


def test_rfc9421_b26_sign_reproduces_exact_signature():
    added = httpsig.sign_request(
        "POST",
        RFC_URL,
        RFC_HEADERS,
        RFC_PRIVATE,
        "test-key-ed25519",
        B26_COMPONENTS,
        created=RFC_CREATED,
        label="sig-b26",
        include_alg=False,
    )
    assert added == {"Signature-Input": B26_SIGNATURE_INPUT, "Signature": B26_SIGNATURE}


def test_rfc9421_b26_verify():
    headers = {**RFC_HEADERS, "Signature-Input": B26_SIGNATURE_INPUT, "Signature": B26_SIGNATURE}
    result = httpsig.verify_request(
        "POST",
        RFC_URL,
        headers,
        {"test-key-ed25519": RFC_PUBLIC}.get,
        required_components=("@method", "@authority", "@path"),
        now=RFC_CREATED + 60,
    )
    assert result.key_id == "test-key-ed25519"
    assert result.created == RFC_CREATED
    assert result.components == B26_COMPONENTS
    assert result.label == "sig-b26"
    assert base64.b64encode(result.signature_bytes).decode() in B26_SIGNATURE


def test_derived_components_rfc9421_section_2_2():
    def value(name, url, method="GET"):
        base, _ = httpsig.signature_base(method, url, {}, (name,), {})
        return base.splitlines()[0].split(": ", 1)[1]

    url = "https://www.example.com/path?param=value"
    assert value("@target-uri", url) == url
    assert value("@authority", url) == "www.example.com"
    assert value("@scheme", url) == "https"
    assert value("@path", url) == "/path"
    assert value("@query", url) == "?param=value"
    assert value("@request-target", url) == "/path?param=value"
    assert value("@query", "https://www.example.com/path") == "?"
    assert value("@query", "https://www.example.com/path?") == "?"
    assert value("@authority", "https://WWW.Example.com:443/") == "www.example.com"
    assert value("@authority", "http://example.com:8080/") == "example.com:8080"
    assert value("@target-uri", "https://u:p@example.com") == "https://example.com/"


# --- our round trip -------------------------------------------------------------------------

KEY_ID = "https://a.example/actor#main-key"
URL = "https://b.example/inbox"
BODY = b'{"type": "Create"}'
NOW = 1_700_000_000


def _signed(key=None, components=httpsig.POST_COMPONENTS, created=NOW, **kw):
    key = key or PRIVATE
    headers = {
        "Content-Type": "application/activity+json",
        "Content-Digest": make_content_digest(BODY),
    }
    headers.update(
        httpsig.sign_request("POST", URL, headers, key, KEY_ID, components, created, **kw)
    )
    return headers


PRIVATE = generate_private_key()
RESOLVE = {KEY_ID: PRIVATE.public_key()}.get


def test_round_trip():
    headers = _signed(nonce="n-1", tag="feedserver")
    assert headers["Signature-Input"].startswith(
        'sig1=("@method" "@target-uri" "content-digest");created=1700000000;'
        'keyid="https://a.example/actor#main-key";alg="ed25519";nonce="n-1";tag="feedserver"'
    )
    result = httpsig.verify_request("POST", URL, headers, RESOLVE, now=NOW + 1)
    assert result.key_id == KEY_ID
    assert result.created == NOW
    assert result.nonce == "n-1"
    assert len(result.signature_bytes) == 64
    # Header names are case-insensitive.
    lowered = {k.lower(): v for k, v in headers.items()}
    assert httpsig.verify_request("POST", URL, lowered, RESOLVE, now=NOW).key_id == KEY_ID


def test_datetime_created_and_expires():
    created = datetime.fromtimestamp(NOW, UTC)
    headers = _signed(created=created, expires=NOW + 60)
    assert ";created=1700000000;" in headers["Signature-Input"]
    assert httpsig.verify_request("POST", URL, headers, RESOLVE, now=NOW + 59).expires == NOW + 60


def test_parse_signature_headers_several_labels():
    first = _signed(label="one")
    second = _signed(label="two", components=httpsig.GET_COMPONENTS)
    headers = {
        **first,
        "Signature-Input": f"{first['Signature-Input']}, {second['Signature-Input']}",
        "Signature": f"{first['Signature']}, {second['Signature']}",
    }
    parsed = httpsig.parse_signature_headers(headers)
    assert list(parsed) == ["one", "two"]
    result = httpsig.verify_request(
        "POST", URL, headers, RESOLVE, httpsig.GET_COMPONENTS, now=NOW, label="two"
    )
    assert result.label == "two" and result.components == httpsig.GET_COMPONENTS


# --- one test per rejection reason ----------------------------------------------------------


def _reason(headers, method="POST", url=URL, resolve=RESOLVE, **kw):
    kw.setdefault("now", NOW)
    with pytest.raises(httpsig.SignatureError) as info:
        httpsig.verify_request(method, url, headers, resolve, **kw)
    return info.value.reason


def test_reject_missing():
    headers = _signed()
    assert _reason({"Content-Digest": headers["Content-Digest"]}) == "missing"
    assert _reason({**headers, "Signature": ""} | {"Signature-Input": ""}) == "malformed"
    no_sig = {k: v for k, v in headers.items() if k != "Signature"}
    assert _reason(no_sig) == "missing"
    assert _reason(headers, label="other") == "missing"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda h: h.update({"Signature": "sig1=notbytes"}),
        lambda h: h.update({"Signature": "sig2=:AAAA:"}),  # labels do not pair up
        lambda h: h.update({"Signature-Input": 'sig1=("@method" "@target-uri"'}),
        lambda h: h.update({"Signature-Input": 'sig1=("@method" @target-uri);created=1'}),
        lambda h: h.update({"Signature-Input": 'sig1=("@method");created="1";keyid="k"'}),
        lambda h: h.update(
            {"Signature-Input": h["Signature-Input"].replace('"ed25519"', '"rsa-pss-sha512"')}
        ),
        lambda h: h.update(
            {"Signature-Input": h["Signature-Input"].replace(";created=1700000000", "")}
        ),
        lambda h: h.update({"Signature": h["Signature"] + ", sig1=:AAAA:"}),  # duplicate label
    ],
)
def test_reject_malformed(mutate):
    headers = _signed()
    mutate(headers)
    assert _reason(headers) == "malformed"


def test_reject_unknown_key():
    assert _reason(_signed(), resolve=lambda key_id: None) == "unknown-key"


@pytest.mark.parametrize(
    ("method", "url", "changes"),
    [
        ("PUT", URL, {}),
        ("POST", URL + "?x=1", {}),
        ("POST", URL, {"Content-Digest": make_content_digest(b"other")}),
        ("POST", URL, {"Signature": "sig1=:" + base64.b64encode(bytes(64)).decode() + ":"}),
    ],
)
def test_reject_bad_signature(method, url, changes):
    headers = _signed() | changes
    assert _reason(headers, method=method, url=url) == "bad-signature"


def test_reject_signed_by_another_key():
    assert _reason(_signed(key=generate_private_key())) == "bad-signature"


def test_reject_expired():
    headers = _signed()
    assert _reason(headers, now=NOW + 301) == "expired"
    assert httpsig.verify_request("POST", URL, headers, RESOLVE, now=NOW + 300)
    assert _reason(_signed(expires=NOW + 10), now=NOW + 11) == "expired"


def test_reject_future():
    headers = _signed()
    assert _reason(headers, now=NOW - 31) == "future"
    assert httpsig.verify_request("POST", URL, headers, RESOLVE, now=NOW - 30)


def test_reject_missing_component():
    # Not covered by the signature although required ...
    assert _reason(_signed(components=httpsig.GET_COMPONENTS)) == "missing-component"
    # ... or covered but absent from the request that arrived.
    headers = _signed()
    del headers["Content-Digest"]
    assert _reason(headers) == "missing-component"


def test_sign_refuses_unsignable_components():
    with pytest.raises(KeyError):
        httpsig.sign_request("GET", URL, {}, PRIVATE, KEY_ID, ("date",), NOW)
    with pytest.raises(ValueError):
        httpsig.sign_request("GET", URL, {}, PRIVATE, KEY_ID, ("@status",), NOW)
    with pytest.raises(ValueError):
        httpsig.sign_request("GET", URL, {"X": "a\nb"}, PRIVATE, KEY_ID, ("x",), NOW)


# --- interop with the http-message-signatures library ---------------------------------------


@dataclass
class Message:
    """The request shape the library reads: method, absolute url, mutable headers."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)


def test_library_verifies_our_signature():
    message = Message("POST", URL, {"Content-Digest": make_content_digest(BODY)})
    message.headers.update(
        httpsig.sign_request(
            "POST", URL, message.headers, PRIVATE, KEY_ID, created=int(time.time())
        )
    )
    verifier = HTTPMessageVerifier(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(
            public_keys={KEY_ID: PRIVATE.public_key()}, private_keys={}
        ),
    )
    (result,) = verifier.verify(message, require_components=httpsig.POST_COMPONENTS, body=BODY)
    assert result.parameters["keyid"] == KEY_ID
    message.headers["Content-Digest"] = make_content_digest(b"tampered")
    with pytest.raises(InvalidSignature):
        verifier.verify(message)


def test_we_verify_library_signature():
    message = Message("POST", URL, {"Content-Type": "application/activity+json"})
    signer = HTTPMessageSigner(
        signature_algorithm=algorithms.ED25519,
        key_resolver=MappingKeyResolver(public_keys={}, private_keys={KEY_ID: PRIVATE}),
    )
    created = datetime.now(UTC)
    signer.sign(
        message,
        key_id=KEY_ID,
        created=created,
        label="lib",
        covered_component_ids=("@method", "@target-uri", "@authority", "@path", "content-type"),
        body=BODY,  # makes the library add and cover Content-Digest
    )
    assert "content-digest" in message.headers["Signature-Input"]
    result = httpsig.verify_request("POST", URL, message.headers, RESOLVE)
    assert result.label == "lib"
    assert result.created == int(created.timestamp())
    assert set(httpsig.POST_COMPONENTS) <= set(result.components)
    assert _reason(message.headers, url=URL + "/x", now=time.time()) == "bad-signature"


def test_repeated_header_lines_are_combined():
    # aiohttp hands the inbox a CIMultiDictProxy; repeated fields combine with ", " (RFC 9421,
    # section 2.1).
    from multidict import CIMultiDict

    signed = httpsig.sign_request("GET", URL, {"x-a": "1, 2"}, PRIVATE, KEY_ID, ("x-a",), NOW)
    received = CIMultiDict([("X-A", "1"), ("x-a", " 2 "), *signed.items()])
    result = httpsig.verify_request("GET", URL, received, RESOLVE, ("x-a",), now=NOW)
    assert result.components == ("x-a",)
