import base64
import hashlib
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from feedserver.federation import keys

# vc-di-eddsa / FEP-521a test key (also used by FEP-8b32's vectors).
SECRET_MULTIBASE = "z3u2en7t5LR2WtQH5PfFqMqwVHBeXouLzo6haApm8XHqvjxq"
PUBLIC_MULTIBASE = "z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def test_multikey_vector_round_trip():
    private = keys.private_key_from_multibase(SECRET_MULTIBASE)
    assert keys.public_key_to_multibase(private.public_key()) == PUBLIC_MULTIBASE
    public = keys.public_key_from_multibase(PUBLIC_MULTIBASE)
    assert keys.public_key_bytes(public) == keys.public_key_bytes(private.public_key())
    assert PUBLIC_MULTIBASE.startswith("z6Mk")  # what every Ed25519 Multikey looks like


def test_base58_known_values_and_leading_zeros():
    # Vectors from the base58 IETF draft (draft-msporny-base58).
    assert keys.b58encode(b"Hello World!") == "2NEpo7TZRRrLZSi2U"
    assert keys.b58encode(b"The quick brown fox jumps over the lazy dog.") == (
        "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
    )
    assert keys.b58encode(b"\x00\x00\x28\x7f\xb4\xcd") == "11233QC4"
    for data in (b"", b"\0", b"\0\0\x01", os.urandom(34)):
        assert keys.b58decode(keys.b58encode(data)) == data


def test_multibase_rejects_wrong_inputs():
    with pytest.raises(keys.KeyFormatError):
        keys.public_key_from_multibase("u" + PUBLIC_MULTIBASE[1:])  # not base58btc
    with pytest.raises(keys.KeyFormatError):
        keys.public_key_from_multibase("z0OIl")  # not in the alphabet
    with pytest.raises(keys.KeyFormatError):
        keys.public_key_from_multibase(SECRET_MULTIBASE)  # a secret key prefix
    with pytest.raises(keys.KeyFormatError):
        keys.public_key_from_multibase(PUBLIC_MULTIBASE[:-2])  # truncated


def test_fingerprint():
    public = keys.public_key_from_multibase(PUBLIC_MULTIBASE)
    raw = keys.public_key_bytes(public)
    expected = base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).rstrip(b"=").decode()
    fp = keys.fingerprint(public)
    assert fp == "SHA256:" + expected
    assert len(fp) == 7 + 43 and "=" not in fp
    assert fp != keys.fingerprint(keys.generate_private_key().public_key())


def test_save_and_load_private_key(tmp_path):
    path = tmp_path / "server.key"
    key = keys.generate_private_key()
    keys.save_private_key(path, key)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = keys.load_private_key(path)
    assert keys.public_key_bytes(loaded.public_key()) == keys.public_key_bytes(key.public_key())
    signature = loaded.sign(b"msg")
    key.public_key().verify(signature, b"msg")


def test_save_never_overwrites(tmp_path):
    path = tmp_path / "server.key"
    keys.save_private_key(path, keys.generate_private_key())
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        keys.save_private_key(path, keys.generate_private_key())
    assert path.read_bytes() == before


def test_load_refuses_readable_by_others(tmp_path):
    path = tmp_path / "server.key"
    keys.save_private_key(path, keys.generate_private_key())
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        keys.load_private_key(path)


def test_load_refuses_other_key_types(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path = tmp_path / "ec.key"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    with pytest.raises(keys.KeyFormatError):
        keys.load_private_key(path)


def test_generate_gives_distinct_ed25519_keys():
    a, b = keys.generate_private_key(), keys.generate_private_key()
    assert isinstance(a, Ed25519PrivateKey)
    assert keys.public_key_bytes(a.public_key()) != keys.public_key_bytes(b.public_key())
