"""RFC 8785 vectors: section 3.2.3 sorting, 3.2.4 the full example, Appendix B numbers."""

import json
import math
import random
import struct

import pytest

from feedserver.federation import jcs
from feedserver.federation.jcs import canonicalize

# RFC 8785 Appendix B: IEEE 754 bit pattern -> ECMAScript serialization.
APPENDIX_B = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def _double(bits: str) -> float:
    return struct.unpack(">d", bytes.fromhex(bits))[0]


@pytest.mark.parametrize(("bits", "expected"), APPENDIX_B)
def test_appendix_b_numbers(bits, expected):
    assert canonicalize(_double(bits)) == expected.encode()


@pytest.mark.parametrize("bits", ["7fffffffffffffff", "7ff0000000000000", "fff0000000000000"])
def test_nan_and_infinity_are_rejected(bits):
    assert not math.isfinite(_double(bits))
    with pytest.raises(ValueError):
        canonicalize({"n": _double(bits)})


def test_rfc_3_2_4_example():
    # The input exactly as RFC 8785 section 3.2.4 prints it, parsed as JSON.
    source = r"""{
      "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
      "literals": [null, true, false]
    }"""
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_rfc_3_2_3_sorting_by_utf16_code_units():
    source = r"""{
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis"
    }"""
    result = canonicalize(json.loads(source)).decode("utf-8")
    values = [v for v in json.loads(result).values()]
    # The RFC's expected order: U+1F600 (surrogates D83D...) sorts before U+FB33.
    assert values == [
        "Carriage Return",
        "One",
        "Control",
        "Latin Small Letter O With Diaeresis",
        "Euro Sign",
        "Emoji: Grinning Face",
        "Hebrew Letter Dalet With Dagesh",
    ]
    assert result.startswith('{"\\r":"Carriage Return","1":"One","\u0080":"Control"')


def test_integers_and_nesting():
    assert canonicalize({"b": [1, -2, 0], "a": {"z": True, "y": None}}) == (
        b'{"a":{"y":null,"z":true},"b":[1,-2,0]}'
    )
    assert canonicalize(10**21) == b"1e+21"
    assert canonicalize(2**53) == b"9007199254740992"


def test_control_characters_escaped_lowercase_hex_and_nothing_else():
    assert canonicalize("\x1f\x7f\u2028/é") == '"\\u001f\x7f\u2028/é"'.encode()


@pytest.mark.parametrize(
    "bad",
    [2**53 + 1, 10**400, {1: "x"}, "\ud800", object(), b"bytes"],
)
def test_unrepresentable_values_are_rejected(bad):
    with pytest.raises((ValueError, TypeError)):
        canonicalize(bad)


def _slow(value) -> bytes:
    out: list[str] = []
    jcs._write(value, out)
    return "".join(out).encode("utf-8")


def _random_value(rng: random.Random, depth: int = 0):
    alphabet = ['"', "\\", "\n", "\x00", "\x1f", "\x7f", "a", "é", "\u2028", "\ue000", "😀", "/"]
    text = lambda: "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))  # noqa: E731
    kind = rng.randint(0, 8 if depth < 3 else 5)
    if kind == 0:
        return rng.choice([None, True, False])
    if kind == 1:
        return rng.choice([0, -1, 7, 2**53, -(2**53), 2**53 + 2, 10**21])
    if kind == 2:
        return rng.choice([0.5, 1.0, -0.0, 1e21, 1e-7, 123.456])
    if kind <= 5:
        return text()
    if kind == 6:
        return [_random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = [
        rng.choice(["id", "type", "b", "a", "A", "ü", "😀", "\ue000"]) + text() for _ in range(4)
    ]
    return {k: _random_value(rng, depth + 1) for k in keys}


def test_fast_path_gives_the_same_bytes_as_the_full_algorithm():
    """canonicalize() hands plain values to json.dumps; it must never change a byte."""
    rng = random.Random(8785)
    fast = 0
    for _ in range(3000):
        value = _random_value(rng)
        try:
            expected = _slow(value)
        except ValueError:
            with pytest.raises(ValueError):
                canonicalize(value)
            continue
        assert canonicalize(value) == expected, value
        fast += jcs._json_dumps_is_canonical(value)
    assert fast > 500  # the comparison covered the fast path, not only the slow one
