"""Atom (RFC 4287) rendering with feedgen 1.0.0, with RFC 5005 paging links and RFC 6721
tombstones.

feedgen 1.0.0 pitfalls handled here: entry links lose `rel`/`type` (upstream
issue 135) so an entry extension puts them back; naive datetimes raise, so every time passed
in is timezone-aware UTC; control characters make lxml raise, so every string is cleaned;
`add_entry()` prepends unless `order="append"`.

The token is not known when a page is rendered once for every reader of a group, so the
`self`/`first`/`next` links carry TOKEN_MARKER, and a question's link to its thread feed a
thread_marker: slots the HTTP layer fills with the reader's own tokens when it serves the
cached pieces (feeds/gzipped.py). Slot names are removed from all user text first, so only
those links can contain one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from typing import Any

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedserver.domain import feed_paths as paths
from feedserver.domain import feed_tokens as tokens
from feedserver.feeds import gzipped
from feedserver.models import CachedPost, FaqPage, Post, Tombstone
from feedserver.models.feeds import ENTRY_HTML_BYTES, SUMMARY_FROM_BYTES, FeedContent
from feedserver.store.html_text import text_of

# Token slots: the reader's token of this feed, or of a thread feed an entry links to. Every
# slot starts with SLOT_PREFIX, which is removed from all user text, so only our links hold one.
SLOT_PREFIX = "FEEDSERVER-TOKEN-"
TOKEN_MARKER = SLOT_PREFIX + "MARKER"  # noqa: S105 - a placeholder, not a secret
TOKEN_MARKER_BYTES = TOKEN_MARKER.encode()
SLOT = re.compile(rb"FEEDSERVER-TOKEN-(MARKER|POST-[0-9a-z]{26})")
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
THREAD_NS = "http://purl.org/syndication/thread/1.0"  # RFC 4685
XML_NS = "http://www.w3.org/XML/1998/namespace"
EMPTY_BODY = "<p><em>(This post has no text that can be shown here.)</em></p>"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
try:
    VERSION = metadata.version("feedserver")
except metadata.PackageNotFoundError:  # running from a checkout that was never installed
    VERSION = "0"

# Characters XML 1.0 forbids (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF)
# plus the C1 controls it discourages: lxml raises on the first kind.
_UNWANTED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes  # with TOKEN_MARKER where the reader's token goes
    updated: datetime  # the feed's <updated>: its newest entry or tombstone
    etag: str  # the page's validator (FeedContent.etag)
    pieces: gzipped.Pieces  # the body between token slots, also compressed once

    @property
    def size(self) -> int:
        return len(self.body) + self.pieces.size


def clean(text: str) -> str:
    text = _UNWANTED.sub("", text).replace(TOKEN_MARKER, "")
    # Until none is left: removing one can join the halves around it into a new one.
    while SLOT_PREFIX in text:
        text = text.replace(SLOT_PREFIX, "")
    return text


def thread_marker(post_id: str) -> str:
    """The slot for the reader's token of a thread feed (post ids are checked by is_id)."""
    return f"{SLOT_PREFIX}POST-{post_id}"


def plain_text(body_html: str, limit: int) -> str:
    """The first `limit` characters of an HTML body's text, for a <summary>."""
    text = text_of(body_html[: limit * 8])
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


class _FeedExtras(BaseExtension):  # type: ignore[misc]  # feedgen is untyped: Any base
    """Adds what feedgen cannot express: RFC 6721 deleted entries (and their namespace only
    in a document that has one), and the RFC 4685 namespace when an entry uses it."""

    def __init__(self) -> None:
        self.deleted: list[tuple[str, datetime]] = []
        self.threads = False

    def extend_ns(self) -> dict[str, str]:
        found = {"at": TOMBSTONES_NS} if self.deleted else {}
        return found | ({"thr": THREAD_NS} if self.threads else {})

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for ref, when in self.deleted:
            etree.SubElement(
                feed, f"{{{TOMBSTONES_NS}}}deleted-entry", ref=ref, when=when.isoformat()
            )
        return feed


class _NoEntryExtras(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped: Any base
    """For a feed that adds only tombstones: its entries stay as feedgen writes them."""


def add_tombstones(fg: FeedGenerator, deleted: list[tuple[str, datetime]]) -> None:
    """RFC 6721 at:deleted-entry elements (entry id, when deleted) on a feed rendered
    elsewhere (a partner's group's copy, feeds/shared_atom.py), written as our own feeds
    write theirs. Call once, after its entries are added."""
    fg.register_extension("feedserver", _FeedExtras, _NoEntryExtras, atom=True, rss=False)
    fg.feedserver.deleted = deleted


class _EntryExtras(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped: Any base
    """feedgen 1.0.0 drops `rel` and `type` from entry links (feedgen issue 135): put them
    back (the first link is the post's web page). Adds `xml:base` (the post's page, where its
    relative links resolve on the web too) and RFC 4685 replies: a link to the thread feed
    with its count, and thr:total."""

    def __init__(self) -> None:
        self.base: str | None = None
        self.replies: tuple[str, int] | None = None  # (thread feed URL, answer count)

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        links = entry.findall("link")
        if links:
            links[0].set("rel", "alternate")
            links[0].set("type", "text/html")
        if self.base:  # on the text, not the entry: the links are absolute already
            for text in (entry.find("content"), entry.find("summary")):
                if text is not None:
                    text.set(f"{{{XML_NS}}}base", self.base)
        if self.replies is not None:
            href, count = self.replies
            link = links[0].makeelement("link", {})
            links[0].addnext(link)
            link.set("rel", "replies")
            link.set("type", "application/atom+xml")
            link.set("href", href)
            link.set(f"{{{THREAD_NS}}}count", str(count))
            etree.SubElement(entry, f"{{{THREAD_NS}}}total").text = str(count)
        return entry


def page_url(base: str, path: str, before: str | None) -> str:
    """A page's URL for the reader; `path` may carry a query of its own (feeds/paths.py)."""
    query = f"before={before}&" if before else ""
    return f"{base}{path}{'&' if '?' in path else '?'}{query}token={TOKEN_MARKER}"


def render(content: FeedContent, base: str, language: str = "en") -> Rendered:
    target = content.target
    fg = FeedGenerator()
    fg.register_extension("feedserver", _FeedExtras, _EntryExtras, atom=True, rss=False)
    fg.id(base + target.path)  # no token: the id survives rotation
    fg.title(clean(content.title))
    fg.subtitle(clean(content.subtitle) or clean(content.title))
    fg.language(language)
    fg.link(href=page_url(base, target.path, content.before), rel="self",
            type="application/atom+xml")  # fmt: skip
    fg.link(href=content.alternate_url, rel="alternate", type="text/html")
    fg.link(href=page_url(base, target.path, None), rel="first", type="application/atom+xml")
    if content.next_before:
        fg.link(href=page_url(base, target.path, content.next_before), rel="next",
                type="application/atom+xml")  # fmt: skip
    fg.generator("feedserver", version=VERSION, uri=f"{base}/")

    newest = content.created_at or EPOCH
    for item in content.entries():
        if isinstance(item, Post):
            updated = _entry(fg, content, item, base)
        else:
            updated = _copy_entry(fg, content, item, base)
        newest = max(newest, updated)
    for changed in content.pages:
        newest = max(newest, _page_entry(fg, changed, base))
    fg.feedserver.deleted = [(_tombstone_ref(base, t), t.deleted_at) for t in content.tombstones]
    for tombstone in content.tombstones:
        newest = max(newest, tombstone.deleted_at)
    fg.updated(newest)
    body = fg.atom_str(pretty=False, encoding="UTF-8")
    return Rendered(body, newest, content.etag(), gzipped.split(body, SLOT, tokens.TOKEN_CHARS))


def _tombstone_ref(base: str, tombstone: Tombstone) -> str:
    return paths.post_page(base, tombstone.post_id)


def _content(entry: Any, body_html: str, url: str) -> None:  # a feedgen FeedEntry
    """The body as content; a long one gets a <summary> too, and a huge one only a summary and
    a link, so one post cannot make a page too large to fetch or validate."""
    if not body_html.strip():
        body_html = EMPTY_BODY
    if len(body_html) > SUMMARY_FROM_BYTES:
        entry.summary(clean(plain_text(body_html, 300)) or "(no text)")
    if len(body_html) > ENTRY_HTML_BYTES:
        excerpt = html.escape(plain_text(body_html, 2000))
        link = html.escape(url, quote=True)
        body_html = (
            f'<p>{excerpt}</p>\n<p><a href="{link}">This post is too long for a feed:'
            " read the whole post.</a></p>"
        )
    entry.content(clean(body_html), type="html")


def _entry(fg: FeedGenerator, content: FeedContent, post: Post, base: str) -> datetime:
    """Adds one entry; returns its `updated`."""
    parent = content.parents.get(post.parent_id) if post.parent_id else None
    accepted = parent is not None and parent.accepted_answer_id == post.id
    updated = content.entry_updated(post)
    author = clean(post.author_display_name) or post.author_username
    url = paths.post_page(base, post.id)
    entry = fg.add_entry(order="append")
    entry.id(url)  # from the post id alone: edits keep it
    entry.feedserver.base = url
    title = _title(post, author, accepted)
    if parent is not None and content.target.kind != "thread":
        title = f"{title}, on: {parent.title}"  # outside its thread, say which it answers
    entry.title(clean(title))
    entry.author({"name": author, "uri": paths.member_page(base, post.author_username)})
    entry.published(post.created_at)
    entry.updated(updated)
    entry.link(href=url)
    if post.parent_id is None and content.replies_links:
        thread = page_url(base, paths.thread_feed(post.id), None)
        entry.feedserver.replies = (thread.replace(TOKEN_MARKER, thread_marker(post.id)),
                                    post.reply_count)  # fmt: skip
        fg.feedserver.threads = True
    _content(entry, _body(content, post, base, accepted), url)
    categories = [{"term": t, "scheme": paths.tag_page(base, ""), "label": f"#{t}"}
                  for t in post.tags]  # fmt: skip
    categories.append({"term": post.kind, "scheme": f"{base}/kinds/", "label": post.kind})
    categories.append({"term": post.group_name, "scheme": paths.group_page(base, ""),
                       "label": post.group_name})  # fmt: skip
    if accepted:
        categories.append({"term": "accepted", "scheme": f"{base}/status/",
                           "label": "Accepted answer"})  # fmt: skip
    elif post.parent_id is None and post.accepted_answer_id:
        categories.append({"term": "answered", "scheme": f"{base}/status/",
                           "label": "Answered"})  # fmt: skip
    elif post.parent_id is None and post.kind == "question" and post.reply_count == 0:
        categories.append({"term": "unanswered", "scheme": f"{base}/status/",
                           "label": "Unanswered"})  # fmt: skip
    entry.category(categories)
    return updated


def _copy_entry(fg: FeedGenerator, content: FeedContent, post: CachedPost, base: str) -> datetime:
    """A post of a partner's group held here: its id the post's id on its host (as in the
    copy's own feed, feeds/shared_atom.py), its link the thread on our page of the copy, its
    group named name@host as our posts name theirs."""
    address = content.copy_group(post).address
    url = paths.copy_thread_page(base, address, post.anchor)
    entry = fg.add_entry(order="append")
    entry.id(post.object_id)
    entry.feedserver.base = url
    entry.title(clean(post.title or f"{post.kind.title()} by {post.author}"))
    entry.author({"name": clean(post.author)})
    entry.published(post.published)
    entry.updated(post.entry_updated)
    entry.link(href=url)
    _content(entry, post.body_html, url)  # sanitized when it was received
    categories = [{"term": t, "scheme": paths.tag_page(base, ""), "label": f"#{t}"}
                  for t in post.tags]  # fmt: skip
    categories.append({"term": post.kind, "scheme": f"{base}/kinds/", "label": post.kind})
    categories.append({"term": address, "scheme": paths.group_page(base, ""), "label": address})
    entry.category(categories)
    return post.entry_updated


def _page_entry(fg: FeedGenerator, page: FaqPage, base: str) -> datetime:
    """A FAQ page as one entry that is updated with every revision (its id never changes)."""
    url = paths.faq_page(base, page.group_name, page.slug)
    entry = fg.add_entry(order="append")
    entry.id(url)
    entry.feedserver.base = url
    entry.title(clean(f"Page updated: {page.title}"))
    editor = clean(page.updated_by_username) or "someone"
    entry.author({"name": editor, "uri": paths.member_page(base, page.updated_by_username)})
    entry.published(page.created_at)
    entry.updated(page.updated_at)
    entry.link(href=url)
    note = f"<p><em>Revision {page.revision}, by {html.escape(editor)}.</em></p>\n"
    _content(entry, note + page.body_html, url)  # body_html sanitized at write
    categories = [{"term": t, "scheme": paths.tag_page(base, ""), "label": f"#{t}"}
                  for t in page.tags]  # fmt: skip
    categories.append({"term": "page", "scheme": f"{base}/kinds/", "label": "FAQ page"})
    categories.append({"term": page.group_name, "scheme": paths.group_page(base, ""),
                       "label": page.group_name})  # fmt: skip
    entry.category(categories)
    return page.updated_at


def _title(post: Post, author: str, accepted: bool) -> str:
    if post.parent_id is None:
        return post.title or f"{post.kind.title()} by {author}"
    if accepted:
        return f"Accepted answer by {author}"
    return f"{'Answer' if post.kind == 'answer' else 'Reply'} by {author}"


def _body(content: FeedContent, post: Post, base: str, accepted: bool) -> str:
    # body_html was sanitized once at write time; only escaped text is added around it.
    if accepted:
        return "<p><strong>\u2713 Accepted answer</strong></p>\n" + post.body_html
    answer = content.accepted_answer
    if post.parent_id is None and post.accepted_answer_id and answer is not None:
        name = html.escape(answer.author_display_name or answer.author_username)
        link = html.escape(paths.post_page(base, answer.id), quote=True)
        return (
            f"{post.body_html}\n<p><strong>\u2713 Answered:</strong> "
            f'<a href="{link}">the accepted answer by {name}</a></p>'
        )
    return post.body_html
