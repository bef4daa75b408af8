"""Atom (RFC 4287) rendering with feedgen 1.0.0, with RFC 5005 paging links and RFC 6721
tombstones.

feedgen 1.0.0 pitfalls handled here: entry links lose `rel`/`type` (upstream
issue 135) so an entry extension puts them back; naive datetimes raise, so every time passed
in is timezone-aware UTC; control characters make lxml raise, so every string is cleaned;
`add_entry()` prepends unless `order="append"`.

The token is not known when a page is rendered once for every reader of a group, so the
`self`/`first`/`next` links carry TOKEN_MARKER, which the HTTP layer swaps for the reader's
own token (a bytes.replace) when it serves the cached bytes. The marker is removed from all
user text first, so only those links can contain it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from feedserver.domain import feed_paths as paths
from feedserver.models import FaqPage, Post, Tombstone
from feedserver.models.feeds import FeedContent

TOKEN_MARKER = "FEEDSERVER-TOKEN-MARKER"  # noqa: S105 - a placeholder, not a secret
TOKEN_MARKER_BYTES = TOKEN_MARKER.encode()
TOMBSTONES_NS = "http://purl.org/atompub/tombstones/1.0"
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

    @property
    def size(self) -> int:
        return len(self.body)


def clean(text: str) -> str:
    return _UNWANTED.sub("", text).replace(TOKEN_MARKER, "")


class _FeedExtras(BaseExtension):  # type: ignore[misc]  # feedgen is untyped: Any base
    """Adds what feedgen cannot express: RFC 6721 deleted entries."""

    def __init__(self) -> None:
        self.deleted: list[tuple[str, datetime]] = []

    def extend_ns(self) -> dict[str, str]:
        return {"at": TOMBSTONES_NS}

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        for ref, when in self.deleted:
            etree.SubElement(
                feed, f"{{{TOMBSTONES_NS}}}deleted-entry", ref=ref, when=when.isoformat()
            )
        return feed


class _EntryLinkFix(BaseEntryExtension):  # type: ignore[misc]  # feedgen is untyped: Any base
    """feedgen 1.0.0 drops `rel` and `type` from entry links (feedgen issue 135): put them back.
    Every entry link we add is the post's web page."""

    def extend_atom(self, entry: etree._Element) -> etree._Element:
        for link in entry.iter("link"):
            link.set("rel", "alternate")
            link.set("type", "text/html")
        return entry


def page_url(base: str, path: str, before: str | None) -> str:
    query = f"before={before}&" if before else ""
    return f"{base}{path}?{query}token={TOKEN_MARKER}"


def render(content: FeedContent, base: str) -> Rendered:
    target = content.target
    fg = FeedGenerator()
    fg.register_extension("feedserver", _FeedExtras, _EntryLinkFix, atom=True, rss=False)
    fg.id(base + target.path)  # no token: the id survives rotation
    fg.title(clean(content.title))
    fg.subtitle(clean(content.subtitle) or clean(content.title))
    fg.link(href=page_url(base, target.path, content.before), rel="self",
            type="application/atom+xml")  # fmt: skip
    fg.link(href=content.alternate_url, rel="alternate", type="text/html")
    fg.link(href=page_url(base, target.path, None), rel="first", type="application/atom+xml")
    if content.next_before:
        fg.link(href=page_url(base, target.path, content.next_before), rel="next",
                type="application/atom+xml")  # fmt: skip
    fg.generator("feedserver", version=VERSION, uri=f"{base}/")

    newest = content.created_at or EPOCH
    for post in content.posts:
        updated = _entry(fg, content, post, base)
        newest = max(newest, updated)
    for changed in content.pages:
        newest = max(newest, _page_entry(fg, changed, base))
    fg.feedserver.deleted = [(_tombstone_ref(base, t), t.deleted_at) for t in content.tombstones]
    for tombstone in content.tombstones:
        newest = max(newest, tombstone.deleted_at)
    fg.updated(newest)
    return Rendered(fg.atom_str(pretty=False, encoding="UTF-8"), newest)


def _tombstone_ref(base: str, tombstone: Tombstone) -> str:
    return paths.post_page(base, tombstone.post_id)


def _entry(fg: FeedGenerator, content: FeedContent, post: Post, base: str) -> datetime:
    """Adds one entry; returns its `updated`."""
    question = content.question
    accepted = question is not None and question.accepted_answer_id == post.id
    updated = post.updated_at
    if accepted and question is not None:
        # Accepting changes the question's updated_at, not the answer's; the answer's entry
        # changed too (it says so now), so readers must see it as updated.
        updated = max(updated, question.updated_at)
    author = clean(post.author_display_name) or post.author_username
    entry = fg.add_entry(order="append")
    entry.id(paths.post_page(base, post.id))  # from the post id alone: edits keep it
    entry.title(clean(_title(post, author, accepted)))
    entry.author({"name": author, "uri": paths.member_page(base, post.author_username)})
    entry.published(post.created_at)
    entry.updated(updated)
    entry.link(href=paths.post_page(base, post.id))
    entry.content(clean(_body(content, post, base, accepted)), type="html")
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
    entry.category(categories)
    return updated


def _page_entry(fg: FeedGenerator, page: FaqPage, base: str) -> datetime:
    """A FAQ page as one entry that is updated with every revision (its id never changes)."""
    url = paths.faq_page(base, page.group_name, page.slug)
    entry = fg.add_entry(order="append")
    entry.id(url)
    entry.title(clean(f"Page updated: {page.title}"))
    editor = clean(page.updated_by_username) or "someone"
    entry.author({"name": editor, "uri": paths.member_page(base, page.updated_by_username)})
    entry.published(page.created_at)
    entry.updated(page.updated_at)
    entry.link(href=url)
    note = f"<p><em>Revision {page.revision}, by {html.escape(editor)}.</em></p>\n"
    entry.content(clean(note + page.body_html), type="html")  # body_html sanitized at write
    categories = [{"term": t, "scheme": paths.tag_page(base, ""), "label": f"#{t}"}
                  for t in page.tags]  # fmt: skip
    categories.append({"term": "page", "scheme": f"{base}/kinds/", "label": "FAQ page"})
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
