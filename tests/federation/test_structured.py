"""RFC 8941 Dictionaries as HTTP signatures use them: the parser's answers, its rejections,
and its fast path for signature headers, which must agree with the full parser."""

from __future__ import annotations

import random

import pytest

from feedserver.federation.structured import (
    InnerList,
    Item,
    StructuredFieldError,
    Token,
    _Parser,
    _simple_dictionary,
    parse_dictionary,
    serialize_inner_list,
)


def test_rfc_8941_dictionary_examples():
    assert parse_dictionary('en="Applepie", da=:w4ZibGV0w6ZydGU=:') == {
        "en": Item("Applepie"),
        "da": Item("Æbletærte".encode()),
    }
    assert parse_dictionary("a=?0, b, c; foo=bar") == {
        "a": Item(False),
        "b": Item(True),
        "c": Item(True, {"foo": Token("bar")}),
    }
    assert parse_dictionary("rating=1.5, feelings=(joy sadness)") == {
        "rating": Item(1.5),
        "feelings": InnerList([Item(Token("joy")), Item(Token("sadness"))]),
    }


def test_a_signature_input_and_its_serialization():
    value = '("@method" "@target-uri");created=1618884473;keyid="test-key-ed25519"'
    (parsed,) = parse_dictionary(f"sig-b26={value}").values()
    assert parsed == InnerList(
        [Item("@method"), Item("@target-uri")],
        {"created": 1618884473, "keyid": "test-key-ed25519"},
    )
    assert serialize_inner_list(parsed) == value


@pytest.mark.parametrize(
    "text",
    [
        "a=(",  # unterminated inner list
        'a="unterminated',
        'a="bad \\x escape"',
        "a=:not base64!:",
        "a=1234567890123456",  # more than 15 digits
        "A=1",  # keys are lowercase
        "a=1,",  # trailing comma
        "a=1, a=2",  # a second member hiding behind the first: refused, not last-wins
        'a=("x")junk',
    ],
)
def test_malformed_dictionaries_are_refused(text):
    with pytest.raises(StructuredFieldError):
        parse_dictionary(text)


def _full(text: str):
    try:
        return _Parser(text.strip(" \t")).dictionary()
    except StructuredFieldError:
        return StructuredFieldError


def _fast(text: str):
    try:
        return parse_dictionary(text)
    except StructuredFieldError:
        return StructuredFieldError


def _signature_header(rng: random.Random) -> str:
    """A Signature-Input or Signature value: mostly canonical, with every part now and then
    replaced by something odd, malformed or merely spaced differently."""

    def pick(usual: list[str], odd: list[str]) -> str:
        return rng.choice(odd if rng.random() < 0.15 else usual)

    label = pick(["sig1", "sig-b26", "*x", "s.1_2"], ["Sig", "1a", "", "a b"])
    if rng.random() < 0.3:
        alphabet = pick(["ABCxyz019+/", "ABCxyz019+/="], ["-_!", ":", "é"])
        chunk = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 90)))
        return f"{label}=:{chunk}:"
    usual, odd = ["@method", "@target-uri", "content-digest", "", "a b", "~"], ['q\\"', "é", "\t"]
    items = [f'"{pick(usual, odd)}"' for _ in range(rng.randrange(0, 5))]
    inner = pick([" "], ["  ", ""]).join(items)
    params = ""
    for _ in range(rng.randrange(0, 5)):
        name = pick(["created", "keyid", "alg", "nonce", "expires", "x-y"], ["K", "1", ""])
        value = pick(
            ["1618884473", "0", "0017", "1" * 15, '"ed25519"', '"a;b=c"', '"http://x/a#k"'],
            ["-5", "1" * 16, "1.5", "ed25519", '"\\""', "?1", ":AAA=:", "", '"é"'],
        )
        params += pick([";"], ["; ", " ;"]) + name + (f"={value}" if value else "")
    text = f"{label}=({inner}){params}"
    return pick(
        [text],
        [" " + text + "\t", text + ", other=1", text.replace("(", "( ", 1),
         text[: rng.randrange(len(text) + 1)]],
    )  # fmt: skip


def test_the_fast_path_answers_exactly_as_the_full_parser():
    rng = random.Random(8941)
    fast = 0
    for _ in range(5000):
        text = _signature_header(rng)
        assert _fast(text) == _full(text), text
        try:
            simple = _simple_dictionary(text.strip(" \t"))
        except StructuredFieldError:
            fast += 1  # a bad byte sequence, refused by the fast path as by the parser
            continue
        fast += simple is not None
        for value in (simple or {}).values():
            # The text kept for RFC 9421's @signature-params is the serialization.
            if isinstance(value, InnerList):
                assert value.canonical_text == serialize_inner_list(value), text
    assert fast > 1000  # the generator reached the fast path often enough to mean something
