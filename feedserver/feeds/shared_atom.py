"""The Atom feed of a partner's group as a member server holds it (name@host): its posts as
relayed by the hosting server, rendered with feedgen like our own feeds. Entry ids are the
posts' ids on their host, so a reader that follows both servers sees one entry per post.
A post its host deleted is an RFC 6721 at:deleted-entry naming that id, as in our own feeds
(`atom.add_tombstones`), so readers drop the entry."""

from __future__ import annotations

from datetime import UTC, datetime

from feedgen.feed import FeedGenerator

from feedserver.domain import feed_paths as paths
from feedserver.feeds.atom import EMPTY_BODY, VERSION, add_tombstones, clean
from feedserver.models import CachedGroup, CachedPost, CachedTombstone

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def render(
    group: CachedGroup, posts: list[CachedPost], tombstones: list[CachedTombstone], base: str,
    token: str,
) -> bytes:  # fmt: skip
    fg = FeedGenerator()
    path = paths.group_feed(group.address)
    fg.id(base + path)  # no token: the id survives rotation
    fg.title(clean(f"{group.title} ({group.organization})"))
    fg.subtitle(clean(group.description) or clean(group.title))
    fg.link(href=f"{base}{path}?token={token}", rel="self", type="application/atom+xml")
    fg.link(href=group.actor_id, rel="alternate", type="text/html")
    fg.generator("feedserver", version=VERSION, uri=f"{base}/")
    newest = EPOCH
    for post in posts:
        entry = fg.add_entry(order="append")
        entry.id(post.object_id)
        entry.title(clean(post.title or f"{post.kind} by {post.author}"))
        entry.author({"name": clean(post.author)})
        entry.published(post.published)
        entry.updated(post.updated)
        entry.link(href=post.object_id)
        entry.content(clean(post.body_html or EMPTY_BODY), type="html")
        entry.category(
            [{"term": t, "label": f"#{t}"} for t in post.tags]
            + [{"term": post.kind, "label": post.kind}]
        )
        newest = max(newest, post.updated)
    add_tombstones(fg, [(t.object_id, t.deleted_at) for t in tombstones])
    for tombstone in tombstones:
        newest = max(newest, tombstone.deleted_at)
    fg.updated(newest)
    body: bytes = fg.atom_str(pretty=False, encoding="UTF-8")
    return body
