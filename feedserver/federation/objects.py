"""ActivityStreams objects we sign: a post or reply in a group that partners hold a copy of
gets a FEP-8b32 DataIntegrityProof (eddsa-jcs-2022) once, when it is created or edited, and
the signed object is stored with it so partners (and relays) receive exactly those bytes'
meaning, verifiable by anyone. A post in a group no partner holds is signed when one first
needs it (the group's backfill to a new copy): nothing else reads a post's object, and
signing costs a tenth of a post's write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feedserver.config import Config
from feedserver.domain.services import Services
from feedserver.federation.documents import AS_CONTEXT, DI_CONTEXT, context_url, member_url
from feedserver.federation.proofs import sign_object
from feedserver.models import FaqPage, Post
from feedserver.store import federation_objects as object_store
from feedserver.store import partner_posts as partner_store
from feedserver.store import posts as post_store
from feedserver.store.db import Connection

OBJECT_CONTEXT = [AS_CONTEXT, DI_CONTEXT]
# On an activity a group's host sends to build a new copy (its backfill): the past, not news.
BACKFILL = "feedserver:backfill"


def object_context(config: Config) -> list[str]:
    """What our signed objects name: OBJECT_CONTEXT and the context of our own terms."""
    return [*OBJECT_CONTEXT, context_url(config)]


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def post_url(services: Services, post_id: str) -> str:
    return f"{services.config.public_url}/posts/{post_id}"


def note(
    services: Services, *, object_id: str, kind: str, author_username: str, group_url: str,
    title: str, body: str, html: str, tags: tuple[str, ...], published: datetime,
    updated: datetime, in_reply_to: str | None,
) -> dict[str, Any]:  # fmt: skip
    """A post or reply as an object: ours, or one our member writes into a partner's group."""
    obj: dict[str, Any] = {
        "@context": object_context(services.config),
        "id": object_id,
        "type": "Question" if kind == "question" else "Note",
        "attributedTo": member_url(services.config, author_username),
        "audience": group_url,
        "content": html,
        "mediaType": "text/html",
        "source": {"content": body, "mediaType": "text/markdown"},
        "published": _when(published),
        "updated": _when(updated),
        "feedserver:kind": kind,
    }
    if title:
        obj["name"] = title
    if in_reply_to:
        obj["inReplyTo"] = in_reply_to
    if tags:
        obj["tag"] = [{"type": "Hashtag", "name": f"#{t}"} for t in tags]
    return obj


def post_object(services: Services, post: Post, parent_object: str | None = None) -> dict[str, Any]:
    """`parent_object`: the thread's object id when a partner's member wrote it elsewhere."""
    parent = parent_object or (post_url(services, post.parent_id) if post.parent_id else None)
    return note(
        services, object_id=post_url(services, post.id), kind=post.kind,
        author_username=post.author_username,
        group_url=f"{services.config.public_url}/groups/{post.group_name}", title=post.title,
        body=post.body, html=post.body_html, tags=post.tags, published=post.created_at,
        updated=post.updated_at, in_reply_to=parent,
    )  # fmt: skip


def sign(services: Services, obj: dict[str, Any]) -> dict[str, Any] | None:
    """The object with its proof, or None when the server has no key loaded."""
    if services.keys is None or not services.keys.loaded:
        return None
    key_id, key = services.keys.private()
    return sign_object(obj, key, key_id, created=services.clock())


async def store_post_proof(
    conn: Connection, services: Services, post: Post, *, created: bool, shared: bool
) -> None:
    """Called inside the write transaction that created or edited `post`; `shared`: whether
    a partner holds a copy of its group. A post a partner's member wrote keeps the object
    their server signed (stored with it). An edit in a group no partner holds drops the
    object signed for an earlier version, so a later backfill signs the current one."""
    if post.written_elsewhere:
        return
    if shared:
        await _sign_and_store(conn, services, post)
    elif not created:
        await object_store.drop_post_object(conn, post.id)


async def signed_post_object(
    conn: Connection, services: Services, post_id: str
) -> dict[str, Any] | None:
    """The post's signed object as stored, or signed (and stored) now if it has none yet."""
    stored = await object_store.post_object(conn, post_id)
    if stored is not None:
        return stored
    post = await post_store.get(conn, post_id)
    if post is None or post.written_elsewhere:
        return None
    return await _sign_and_store(conn, services, post)


async def _sign_and_store(
    conn: Connection, services: Services, post: Post
) -> dict[str, Any] | None:
    parent = await partner_store.object_of_post(conn, post.parent_id) if post.parent_id else None
    signed = sign(services, post_object(services, post, parent))
    if signed is not None:
        await object_store.put_post_object(conn, post.id, signed)
    return signed


def page_object(services: Services, page: FaqPage) -> dict[str, Any]:
    base = services.config.public_url
    obj: dict[str, Any] = {
        "@context": object_context(services.config),
        "id": f"{base}/groups/{page.group_name}/pages/{page.slug}",
        "type": "Article",
        "attributedTo": member_url(services.config, page.updated_by_username),
        "audience": f"{base}/groups/{page.group_name}",
        "name": page.title,
        "content": page.body_html,
        "mediaType": "text/html",
        "source": {"content": page.body, "mediaType": "text/markdown"},
        "published": _when(page.created_at),
        "updated": _when(page.updated_at),
        "feedserver:revision": page.revision,
    }
    if page.tags:
        obj["tag"] = [{"type": "Hashtag", "name": f"#{t}"} for t in page.tags]
    return obj


async def store_page_proof(conn: Connection, services: Services, page: FaqPage) -> None:
    """Called by domain.pages inside the write transaction of each revision."""
    signed = sign(services, page_object(services, page))
    if signed is not None:
        await object_store.put_page_object(conn, page.id, signed)
