"""What a feed is (a target the viewer may open) and what it contains (a page of entries).

A page's validator is a digest of exactly what the page shows (FeedContent.etag): it changes
when, and only when, the rendered page changes, costs one pass over the page (never over the
rest of the data), and is derived from the database alone, so every worker process computes
the same one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feedserver.models import (
    CachedGroup,
    CachedPost,
    FaqPage,
    Group,
    Post,
    ReadScope,
    Tombstone,
    Viewer,
)


@dataclass(frozen=True, slots=True)
class FeedKey:
    """A member's feed secret and its id: what signs and checks their feed URLs' tokens."""

    key_id: str
    secret: bytes


FeedKind = Literal["group", "tag", "thread", "home", "replies", "unanswered", "member", "group_tag"]

PAGE_SIZE = 50  # entries per page (RFC 5005 paged feed)
TOMBSTONE_DAYS = 30  # deleted posts stay as at:deleted-entry this long (RFC 6721)
PAGE_UPDATE_DAYS = 30  # a changed FAQ page stays in its group's feed this long
MAX_PAGE_UPDATES = 20  # ...at most this many of them, on the newest page of the feed
# A page's post HTML stops growing past this many bytes (fewer entries, the rest on the next
# page), and its "page updated" entries past FAQ_HTML_BYTES, so with titles, links and
# tombstones a page stays under 1 MiB: under the W3C validator's 5 MB and any cache.
PAGE_HTML_BYTES = 704 * 1024
FAQ_HTML_BYTES = 160 * 1024
# A body longer than this is shown as a summary and a link to the post, never in full.
ENTRY_HTML_BYTES = 64 * 1024
# A body longer than this gets a plain-text <summary> beside its content.
SUMMARY_FROM_BYTES = 2000

# Bumped whenever the rendered shape changes, so caches and readers' ETags from an older
# build are never mistaken for the new bytes.
FORMAT = 2


@dataclass(frozen=True, slots=True)
class FeedTarget:
    """A feed the viewer may read, resolved from its token.

    `cache_key` names whose content this is (a group's feed is the same for every reader of
    the group; a tag or home feed depends on the member).
    """

    kind: FeedKind
    path: str  # canonical path, the one the token signs
    cache_key: str
    viewer: Viewer
    key: FeedKey  # the reader's feed key: signs the tokens of the feeds a page links to
    group: Group | None = None  # group, group+tag, thread and (optionally) unanswered feeds
    question_id: str | None = None  # thread feeds
    tag: str | None = None
    scope: ReadScope | None = None  # feeds over several groups: which ones
    author_id: str | None = None  # member activity feeds
    author_name: str | None = None
    # Home and tag feeds: the copies of partners' groups the reader reads (access policy).
    copies: tuple[CachedGroup, ...] = ()


def entry_key(item: Post | CachedPost) -> str:
    """Where an entry sorts in a feed over several groups: a post's id, a copy's post's
    feed_key (the same layout, store/cached_feeds.py); the page cursor is one of these."""
    return item.id if isinstance(item, Post) else item.feed_key


@dataclass(frozen=True, slots=True)
class FeedContent:
    target: FeedTarget
    title: str
    subtitle: str
    alternate_url: str
    posts: list[Post]  # newest first
    tombstones: list[Tombstone] = field(default_factory=list)
    before: str | None = None  # the page served (None = the newest page)
    next_before: str | None = None  # the next (older) page, if any
    question: Post | None = None  # thread feeds: the first post, read after the version
    accepted_answer: Post | None = None  # thread feeds: the accepted answer, wherever it is
    created_at: datetime | None = None  # `updated` of a feed with no entries yet
    pages: list[FaqPage] = field(default_factory=list)  # "page updated" entries
    # When an entry changed without its post being edited (accepting an answer).
    entry_changes: dict[str, datetime] = field(default_factory=dict)
    # Question entries link their thread feed (rel="replies"); off in the thread feed itself.
    replies_links: bool = True
    parents: dict[str, Post] = field(default_factory=dict)  # the questions of answers shown
    # Home and tag feeds: posts of the copies the reader reads, newest first (by feed_key,
    # which sorts with our post ids: entries() merges the two).
    copies: list[CachedPost] = field(default_factory=list)

    def entries(self) -> list[Post | CachedPost]:
        """The page's posts and copies' posts in one order, newest first."""
        if not self.copies:
            return list(self.posts)
        return sorted([*self.posts, *self.copies], key=entry_key, reverse=True)

    def copy_group(self, post: CachedPost) -> CachedGroup:
        return next(g for g in self.target.copies if g.actor_id == post.group_actor)

    def entry_updated(self, post: Post) -> datetime:
        changed = self.entry_changes.get(post.id)
        return post.updated_at if changed is None or changed < post.updated_at else changed

    @property
    def language(self) -> str:
        """The language of a one-group feed (group, its tags, a thread, its unanswered
        questions), if the group names one; "" for the server's."""
        return self.target.group.language if self.target.group is not None else ""

    def etag(self) -> str:
        """A strong validator of exactly what this page shows (and nothing it does not, such
        as helpful marks): every field the renderer reads goes in, in order, NUL-separated
        (no field holds a NUL: text is cleaned at write time)."""
        parts: list[object] = [FORMAT, self.target.path, self.title, self.subtitle,
                               self.alternate_url, self.before, self.next_before,
                               self.created_at, self.replies_links, self.language]  # fmt: skip
        for p in self.posts:
            parts += ("p", p.id, p.group_name, p.parent_id, p.kind, p.author_username,
                      p.author_display_name, p.title, p.body_html, " ".join(p.tags),
                      p.created_at, self.entry_updated(p), p.accepted_answer_id,
                      p.reply_count)  # fmt: skip
        for c in self.copies:
            parts += ("c", c.object_id, c.feed_key, self.copy_group(c).address, c.kind,
                      c.author, c.title, c.body_html, " ".join(c.tags), c.published,
                      c.entry_updated)  # fmt: skip
        for t in self.tombstones:
            parts += ("t", t.post_id, t.deleted_at)
        for page in self.pages:
            parts += ("g", page.id, page.group_name, page.slug, page.title, page.body_html,
                      " ".join(page.tags), page.revision, page.updated_by_username,
                      page.created_at, page.updated_at)  # fmt: skip
        for extra in (self.question, self.accepted_answer, *self.parents.values()):
            if extra is not None:
                parts += ("x", extra.id, extra.author_username, extra.author_display_name,
                          extra.title, extra.accepted_answer_id, extra.updated_at)  # fmt: skip
        raw = "\x00".join(map(str, parts)).encode("utf-8", "surrogatepass")
        return '"' + hashlib.sha256(raw).hexdigest()[:32] + '"'
