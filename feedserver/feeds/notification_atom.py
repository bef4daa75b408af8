"""The member's notifications as Atom (RFC 4287): their newest FEED_SIZE notifications, each
an entry that links to what it is about. Private to the member like every feed; rendered per
request (it is one member's, so no cache is shared)."""

from __future__ import annotations

import hashlib
from datetime import datetime

from feedgen.feed import FeedGenerator

from feedserver.domain import feed_paths as paths
from feedserver.domain import notification_text as text
from feedserver.feeds.atom import EPOCH, VERSION, clean
from feedserver.models import Member, Notification


def render(base: str, member: Member, items: list[Notification], language: str) -> bytes:
    fg = FeedGenerator()
    fg.id(base + paths.NOTIFICATIONS)  # no token: the id survives rotation
    fg.title(clean(f"Notifications for {member.display_name}"))
    fg.subtitle("Answers to your posts, questions asked of you, mentions and more")
    fg.language(language)
    fg.link(href=f"{base}/notifications", rel="alternate", type="text/html")
    fg.generator("feedserver", version=VERSION, uri=f"{base}/")
    newest: datetime = EPOCH
    for n in items:
        entry = fg.add_entry(order="append")
        url = base + text.link_path(n)
        entry.id(f"{base}/notifications#n-{n.seq}")
        headline = clean(text.headline(n))
        entry.title(headline)
        entry.author({"name": clean(n.actor_display_name or "feedserver")})
        entry.updated(n.created_at)
        entry.published(n.created_at)
        entry.link(href=url)
        entry.content(headline, type="text")
        newest = max(newest, n.created_at)
    fg.updated(newest)
    body: bytes = fg.atom_str(pretty=False, encoding="UTF-8")
    return body


def etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
