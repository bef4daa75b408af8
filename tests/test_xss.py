"""Markdown is rendered once and sanitized: no script, no event handlers, no javascript: URLs."""

from __future__ import annotations

from html.parser import HTMLParser

from feedserver.domain.text import clean_text, render_markdown
from tests.conftest import Api

HOSTILE = """Hello <script>alert(1)</script>

<img src=x onerror="alert(2)">

[click me](javascript:alert(3)) and [data](data:text/html;base64,PHNjcmlwdD4=)

<a href="javascript:alert(4)" onclick="alert(5)">raw link</a>

[fine](https://example.org/help)

![pic](https://example.org/a.png "t")
"""


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, attrs))


def _assert_safe(html: str) -> None:
    parser = _Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in ("script", "style", "iframe", "object"), tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src"):
                assert (value or "").split(":")[0].lower() in ("http", "https", "mailto", value)
    assert "alert(1)" not in html  # a script's content goes with it
    assert "<script" not in html.lower()


async def test_hostile_markdown_stores_none_of_it(admin: Api) -> None:
    alice = await admin.add_member("alice")
    await alice.post("/api/v1/groups", {"name": "ops", "title": "Ops"})
    status, post = await alice.post(
        "/api/v1/groups/ops/posts",
        {"kind": "tip", "title": "<b onmouseover=x>t</b>", "body": HOSTILE},
    )
    assert status == 201
    _assert_safe(post["body_html"])
    assert (
        '<a href="https://example.org/help" rel="nofollow noopener">fine</a>' in (post["body_html"])
    )
    status, answer = await alice.post(f"/api/v1/posts/{post['id']}/replies", {"body": HOSTILE})
    _assert_safe(answer["body_html"])
    status, edited = await alice.patch(f"/api/v1/posts/{post['id']}", {"body": HOSTILE + "!"})
    _assert_safe(edited["body_html"])
    # The source is kept as written (it is shown escaped, and edited), only the HTML is rendered.
    assert edited["body"].startswith("Hello <script>")


def test_renderer_keeps_safe_html_and_markdown() -> None:
    html = render_markdown("**bold** <em>raw</em>\n\n| a | b |\n|---|---|\n| 1 | 2 |", "")
    assert "<strong>bold</strong>" in html
    assert "<em>raw</em>" in html
    assert "<table>" in html
    assert render_markdown('<a href="javascript:alert(4)" onclick="x">raw</a>', "") == (
        '<p><a rel="nofollow noopener">raw</a></p>\n'
    )


def test_control_characters_and_surrogates_are_dropped() -> None:
    assert clean_text("a\u0000b\u0008c\td\ne\ud800f\uffff") == "abc\td\nef"
    assert clean_text("e\u0301") == "\u00e9"  # NFC
