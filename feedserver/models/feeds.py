"""What a feed is (a target with a version) and what it contains (a page of posts)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feedserver.models import FaqPage, Group, Post, ReadScope, Tombstone, Viewer

FeedKind = Literal["group", "tag", "thread", "home"]

PAGE_SIZE = 50  # entries per page (RFC 5005 paged feed)
TOMBSTONE_DAYS = 30  # deleted posts stay as at:deleted-entry this long (RFC 6721)
PAGE_UPDATE_DAYS = 30  # a changed FAQ page stays in its group's feed this long
MAX_PAGE_UPDATES = 20  # ...at most this many of them, on the newest page of the feed

# Bumped whenever the rendered shape changes, so caches and readers' ETags from an older
# build are never mistaken for the new bytes.
FORMAT = 1


@dataclass(frozen=True, slots=True)
class FeedTarget:
    """A feed the viewer may read, resolved from its token, with its current version.

    `cache_key` names whose content this is (a group's feed is the same for every reader of
    the group; a tag or home feed depends on the member), `version` changes whenever an entry
    in it may have changed.
    """

    kind: FeedKind
    path: str  # canonical path, the one the token signs
    cache_key: str
    version: str
    viewer: Viewer
    group: Group | None = None  # group feeds and thread feeds
    question_id: str | None = None  # thread feeds
    tag: str | None = None
    scope: ReadScope | None = None  # tag and home feeds: which groups

    def etag(self, before: str | None) -> str:
        """A strong validator for one page: the same (feed, version, page) gives equal bytes."""
        raw = f"{FORMAT}|{self.cache_key}|{self.version}|{before or ''}"
        return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


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
    pages: list[FaqPage] = field(default_factory=list)  # group feeds: "page updated" entries
