"""Input text hygiene and Markdown rendering, done once at write time."""

from __future__ import annotations

import functools
import html as htmlmod
import re
import unicodedata
from urllib.parse import urlsplit

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

# C0/C1 controls (but tab, newline, carriage return), lone surrogates and the two XML
# non-characters: none of them belongs in a post, and each would break an Atom feed.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_TAG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")

# Inline HTML is allowed the way Discourse allows it: whatever the renderer emits goes through
# nh3's allow-list, which drops scripts (with their content), event handlers, styles and any
# URL scheme but http, https and mailto. The sanitizer is the one gate, so a renderer quirk
# cannot become an XSS.
# CommonMark with GitHub's tables and ~~strikethrough~~ (two tildes, as before), no
# autolinking and no smart quotes; raw HTML passes through (UNSAFE) to the sanitizer.
_CMARK_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_STRIKETHROUGH_DOUBLE_TILDE
_CMARK_EXTENSIONS = ["table", "strikethrough"]


def _markdown(source: str) -> str:
    html: str = cmarkgfm.markdown_to_html_with_extensions(
        source, options=_CMARK_OPTIONS, extensions=_CMARK_EXTENSIONS
    )
    return html


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


def render_markdown(source: str, own_origin: str) -> str:
    """Sanitized HTML for `source`. Images from anywhere but `own_origin` (our public URL)
    become links: a feed reader or API client would load them, telling a third party who
    read a private group, and when (pages have a CSP against it; feeds and the API do not)."""
    return _foreign_images_as_links(_cleaner().clean(_markdown(source)), own_origin)


def sanitize_foreign_html(html: str, own_origin: str) -> str:
    """A partner's HTML (a post of a group shared with us), held to the same allow-list as
    our own and with images from elsewhere as links: a partner is trusted with nothing."""
    return _foreign_images_as_links(_cleaner().clean(html), own_origin)


@functools.cache
def _cleaner() -> nh3.Cleaner:
    """The allow-list, built once: nh3.clean() builds it again on every call, half of a
    post's sanitizing time."""
    return nh3.Cleaner(
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


# nh3 writes its output canonically: every attribute value in double quotes (with `"` as
# &quot;), every `<` of text as &lt;. So these patterns see exactly the tags it kept.
_TAG = re.compile(r'<img((?:\s+[a-z-]+="[^"]*")*)\s*/?>|<a\s[^>]*>|<a>|</a>')
_ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')


def _is_own(src: str, own_origin: str) -> bool:
    url = urlsplit(htmlmod.unescape(src).strip())
    if not url.scheme and not url.netloc:
        return True  # a path on this server ("//host/x" has a netloc: not ours)
    own = urlsplit(own_origin)
    return (url.scheme.lower(), url.netloc.lower()) == (own.scheme.lower(), own.netloc.lower())


def _foreign_images_as_links(html: str, own_origin: str) -> str:
    depth = 0  # inside a link, a foreign image becomes its text alone (links do not nest)

    def replace(match: re.Match[str]) -> str:
        nonlocal depth
        tag = match.group(0)
        if not tag.startswith("<img"):
            depth += -1 if tag == "</a>" else 1
            depth = max(depth, 0)
            return tag
        attributes = dict(_ATTRIBUTE.findall(match.group(1) or ""))
        src = attributes.get("src", "")
        if _is_own(src, own_origin):
            return tag
        text = attributes.get("alt") or attributes.get("title") or src or "image"
        if depth or not src:
            return text
        return f'<a href="{src}" rel="nofollow noopener">{text}</a>'

    return _TAG.sub(replace, html)


def normalize_tag(raw: str) -> str | None:
    """'#Payroll Taxes' -> 'payroll-taxes'; None when nothing valid is left."""
    tag = unicodedata.normalize("NFKC", raw).strip().lstrip("#").lower()
    tag = re.sub(r"[\s_]+", "-", tag)
    return tag if _TAG_RE.match(tag) else None
