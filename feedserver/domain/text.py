"""Input text hygiene and Markdown rendering, done once at write time."""

from __future__ import annotations

import re
import unicodedata

import nh3
from markdown_it import MarkdownIt

# C0/C1 controls (but tab, newline, carriage return), lone surrogates and the two XML
# non-characters: none of them belongs in a post, and each would break an Atom feed.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

# Inline HTML is allowed the way Discourse allows it: whatever the renderer emits goes through
# nh3's allow-list, which drops scripts (with their content), event handlers, styles and any
# URL scheme but http, https and mailto. The sanitizer is the one gate, so a renderer quirk
# cannot become an XSS.
_markdown = MarkdownIt("commonmark", {"html": True, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_ALLOWED_TAGS = {
    "a", "p", "br", "hr", "em", "strong", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}


def clean_text(text: str) -> str:
    """NFC-normalize and drop characters that are never wanted."""
    return _UNWANTED.sub("", unicodedata.normalize("NFC", text))


def render_markdown(source: str) -> str:
    html = _markdown.render(source)
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


def normalize_tag(raw: str) -> str | None:
    """'#Payroll Taxes' -> 'payroll-taxes'; None when nothing valid is left."""
    tag = unicodedata.normalize("NFKC", raw).strip().lstrip("#").lower()
    tag = re.sub(r"[\s_]+", "-", tag)
    return tag if _TAG_RE.match(tag) else None
