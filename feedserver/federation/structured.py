"""The part of RFC 8941 Structured Field Values that HTTP signatures and digests need.

Parses Dictionaries whose members are Items or Inner Lists with Parameters, and serializes
Inner Lists. Bare items: Integer, Decimal, String, Token, Byte Sequence, Boolean. Written here
rather than taken from a library so the federation primitives have no dependency beyond
`cryptography`, and so every rejection is ours to test.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

__all__ = [
    "InnerList",
    "Item",
    "StructuredFieldError",
    "Token",
    "parse_dictionary",
    "serialize_inner_list",
    "serialize_item",
]

BareItem = int | float | str | bytes | bool


class StructuredFieldError(ValueError):
    """The field value does not follow the RFC 8941 grammar."""


class Token(str):
    """A Token bare item, kept distinct from String so it serializes without quotes."""


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: dict[str, BareItem] = field(default_factory=dict)


@dataclass(frozen=True)
class InnerList:
    items: list[Item]
    params: dict[str, BareItem] = field(default_factory=dict)
    # The text it was parsed from, when that text is exactly its serialization (only the
    # fast path below sets it): RFC 9421's @signature-params, without serializing again.
    canonical_text: str | None = field(default=None, compare=False, repr=False)


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_B64 = re.compile(r"[A-Za-z0-9+/=]*")
# What a String may hold: printable ASCII, space to tilde.
_PRINTABLE_STRING = re.compile(r"[\x20-\x7e]*")
# A string with no escapes: printable ASCII other than the quote and the backslash.
_PLAIN_CHARS = r"[\x20\x21\x23-\x5b\x5d-\x7e]*"
_PLAIN_STRING = re.compile(rf'"({_PLAIN_CHARS})"')


class _Parser:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0

    def _peek(self) -> str:
        return self.s[self.i] if self.i < len(self.s) else ""

    def _skip(self, chars: str) -> None:
        while self._peek() and self._peek() in chars:
            self.i += 1

    def _match(self, pattern: re.Pattern[str], what: str) -> str:
        m = pattern.match(self.s, self.i)
        if not m or not m.group(0):
            raise StructuredFieldError(f"expected {what} at offset {self.i}")
        self.i = m.end()
        return m.group(0)

    def key(self) -> str:
        return self._match(_KEY, "key")

    def bare_item(self) -> BareItem:
        c = self._peek()
        if c == '"':
            return self._string()
        if c == ":":
            return self._bytes()
        if c == "?":
            self.i += 1
            flag = self._peek()
            if flag not in ("0", "1"):
                raise StructuredFieldError("boolean must be ?0 or ?1")
            self.i += 1
            return flag == "1"
        if c == "-" or c.isdigit():
            return self._number()
        if c.isalpha() or c == "*":
            return Token(self._match(_TOKEN, "token"))
        raise StructuredFieldError(f"unexpected {c!r} at offset {self.i}")

    def _number(self) -> int | float:
        text = self._match(_NUMBER, "number")
        whole = text.lstrip("-").split(".")[0]
        if "." in text:
            if len(whole) > 12 or len(text.split(".")[1]) > 3:
                raise StructuredFieldError("decimal out of range")
            return float(text)
        if len(whole) > 15:
            raise StructuredFieldError("integer out of range")
        return int(text)

    def _string(self) -> str:
        plain = _PLAIN_STRING.match(self.s, self.i)
        if plain:  # the common case, one regex instead of a loop per character
            self.i = plain.end()
            return plain.group(1)
        self.i += 1
        out: list[str] = []
        while True:
            c = self._peek()
            if not c:
                raise StructuredFieldError("unterminated string")
            self.i += 1
            if c == '"':
                return "".join(out)
            if c == "\\":
                c = self._peek()
                if c not in ('"', "\\"):
                    raise StructuredFieldError("bad escape in string")
                self.i += 1
            elif not " " <= c <= "~":
                raise StructuredFieldError("non-printable character in string")
            out.append(c)

    def _bytes(self) -> bytes:
        self.i += 1
        end = self.s.find(":", self.i)
        if end < 0 or not _B64.fullmatch(self.s, self.i, end):
            raise StructuredFieldError("bad byte sequence")
        chunk = self.s[self.i : end]
        self.i = end + 1
        return _byte_sequence(chunk)

    def params(self) -> dict[str, BareItem]:
        out: dict[str, BareItem] = {}
        while self._peek() == ";":
            self.i += 1
            self._skip(" ")
            name = self.key()
            value: BareItem = True
            if self._peek() == "=":
                self.i += 1
                value = self.bare_item()
            out[name] = value
        return out

    def item_or_inner_list(self) -> Item | InnerList:
        if self._peek() != "(":
            return Item(self.bare_item(), self.params())
        self.i += 1
        items: list[Item] = []
        while True:
            self._skip(" ")
            if self._peek() == ")":
                self.i += 1
                return InnerList(items, self.params())
            items.append(Item(self.bare_item(), self.params()))
            if self._peek() not in (" ", ")"):
                raise StructuredFieldError(f"bad inner list at offset {self.i}")

    def dictionary(self) -> dict[str, Item | InnerList]:
        out: dict[str, Item | InnerList] = {}
        self._skip(" ")
        while self._peek():
            name = self.key()
            if name in out:
                # RFC 8941 would let the last one win; for signatures that hides a second,
                # unverified member behind the first, so treat it as malformed.
                raise StructuredFieldError(f"duplicate dictionary key {name!r}")
            if self._peek() == "=":
                self.i += 1
                out[name] = self.item_or_inner_list()
            else:
                out[name] = Item(True, self.params())
            self._skip(" \t")
            if not self._peek():
                break
            if self._peek() != ",":
                raise StructuredFieldError(f"expected ',' at offset {self.i}")
            self.i += 1
            self._skip(" \t")
            if not self._peek():
                raise StructuredFieldError("trailing comma")
        return out


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """Parse an RFC 8941 Dictionary; raise StructuredFieldError when malformed."""
    text = text.strip(" \t")
    return _simple_dictionary(text) or _Parser(text).dictionary()


def _byte_sequence(chunk: str) -> bytes:
    try:
        # RFC 8941 lets parsers accept missing padding; re-pad rather than reject.
        return base64.b64decode(chunk + "=" * (-len(chunk) % 4), validate=True)
    except binascii.Error as exc:
        raise StructuredFieldError("bad base64 in byte sequence") from exc


# The one-member dictionaries HTTP signatures send, read with one regex instead of a walk
# through the parser (half the time, on every inbox request): an Inner List of plain
# Strings with Integer or plain String parameters (Signature-Input), or a Byte Sequence
# (Signature). Only canonical text matches (single spaces, no leading zeros, no repeated
# parameter); anything else takes the full parser, and a test checks that both give the same
# answer and that the text kept is the serialization.
_LABEL = _KEY.pattern
_PLAIN = f'"{_PLAIN_CHARS}"'
_SIMPLE_PARAM = rf";({_LABEL})=(0|[1-9][0-9]{{0,14}}|{_PLAIN})"
_SIMPLE_PARAMS = re.compile(_SIMPLE_PARAM)
_SIMPLE_INNER_LIST = re.compile(
    rf"({_LABEL})=(\(((?:{_PLAIN}(?: {_PLAIN})*)?)\)((?:{_SIMPLE_PARAM})*))"
)
_SIMPLE_BYTES = re.compile(rf"({_LABEL})=:([A-Za-z0-9+/=]*):")
_QUOTED = re.compile(r'"([^"]*)"')


def _simple_dictionary(text: str) -> dict[str, Item | InnerList] | None:
    if m := _SIMPLE_INNER_LIST.fullmatch(text):
        items = [Item(value) for value in _QUOTED.findall(m.group(3))]
        params: dict[str, BareItem] = {}
        found = _SIMPLE_PARAMS.findall(m.group(4))
        for name, value in found:
            params[name] = value[1:-1] if value.startswith('"') else int(value)
        if len(params) < len(found):
            return None  # a repeated parameter: the last one counts, as the parser says
        return {m.group(1): InnerList(items, params, canonical_text=m.group(2))}
    if m := _SIMPLE_BYTES.fullmatch(text):
        return {m.group(1): Item(_byte_sequence(m.group(2)))}
    return None


def _bare(value: BareItem) -> str:
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        if abs(value) >= 10**15:
            raise StructuredFieldError("integer out of range")
        return str(value)
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        if not _TOKEN.fullmatch(value):
            raise StructuredFieldError(f"invalid token {value!r}")
        return str(value)
    if isinstance(value, str):
        if not _PRINTABLE_STRING.fullmatch(value):
            raise StructuredFieldError("strings must be printable ASCII")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    raise StructuredFieldError(f"cannot serialize {type(value).__name__}")


def _params(params: dict[str, BareItem]) -> str:
    out = []
    for name, value in params.items():
        if not _KEY.fullmatch(name):
            raise StructuredFieldError(f"invalid parameter name {name!r}")
        out.append(";" + name if value is True else f";{name}={_bare(value)}")
    return "".join(out)


def serialize_item(item: Item) -> str:
    return _bare(item.value) + _params(item.params)


def serialize_inner_list(inner: InnerList) -> str:
    return "(" + " ".join(serialize_item(i) for i in inner.items) + ")" + _params(inner.params)
