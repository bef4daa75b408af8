"""host_of decides which partner an id, actor or key belongs to: its fast path must give
exactly what urlsplit gives, or leave the URL to urlsplit."""

from __future__ import annotations

import random
from urllib.parse import urlsplit

import pytest

from feedserver.federation.client import _PLAIN_AUTHORITY, host_of


def by_urlsplit(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2].lower()


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://Partner.Example/users/a", "partner.example"),
        ("http://127.0.0.1:8080/actor#key-1", "127.0.0.1:8080"),
        ("https://mallory@partner.example/x", "partner.example"),
        ("https://partner.example@evil.example/x", "evil.example"),
        ("https://partner.example", "partner.example"),
        ("https://partner.example?x", "partner.example"),
        ("https://[::1]:8080/actor", "[::1]:8080"),
        ("https://part\tner.example/", "partner.example"),  # urlsplit drops tabs
        (" https://partner.example/", "partner.example"),  # and leading spaces
        ("HTTPS://partner.example/", "partner.example"),
        ("ftp://partner.example/", "partner.example"),
        ("/relative/path", ""),
        ("https:/partner.example/", ""),
    ],
)
def test_known_cases(url, host):
    assert host_of(url) == host == by_urlsplit(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://[",  # urlsplit raises ValueError: a partner's hostile id must not be a 500
        "https://[::1/actor",
        "http://partner.example\\@evil.example/users/x",  # a browser goes to partner.example
        "https://evil.example\\.partner.example/",
    ],
)
def test_ids_parsers_disagree_on_name_no_host(url):
    assert host_of(url) == ""


def test_fast_path_agrees_with_urlsplit_on_generated_urls():
    rng = random.Random(8)
    pieces = [
        "http://", "https://", "HTTP://", "h", "ttp", ":", "//", "/", "?", "#", "@", ".", "a",
        "Z", "0", "9", "-", "_", "~", "%", "[", "]", "::1", "\t", "\n", " ", "\\", "é", "\x00",
        "example.org", ":8080", "user:pw", "xn--bcher-kva",
    ]  # fmt: skip
    fast = 0
    for _ in range(20_000):
        start = rng.choice(["https://", "http://", ""])
        url = start + "".join(rng.choice(pieces) for _ in range(rng.randint(1, 9)))
        try:
            expected = by_urlsplit(url)
        except ValueError:  # e.g. unbalanced brackets: no host, and no exception either
            assert _PLAIN_AUTHORITY.match(url) is None, url
            assert host_of(url) == "", url
            continue
        if "\\" in url and _PLAIN_AUTHORITY.match(url) is None:
            assert host_of(url) == "", url  # browsers and urlsplit disagree on these
            continue
        fast += _PLAIN_AUTHORITY.match(url) is not None
        assert host_of(url) == expected, url
    assert fast > 3000  # the comparison exercised the fast path, not only urlsplit
