"""The words of an HTML body, for a full-text index: its text without the markup, character
references resolved (so `<p>` or `href` is never a word of the post, and a snippet shows no
tags)."""

from __future__ import annotations

from html.parser import HTMLParser


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text_of(body_html: str) -> str:
    parser = _Text()
    parser.feed(body_html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())
