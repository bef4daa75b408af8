"""A member's data export: their profile, posts, answers and replies, and the FAQ page
revisions they wrote, as JSON and Markdown in one zip.

Only what the member wrote goes in. The one thing of others' it names is the question an
answer or reply belongs to: its title is included only when the access policy still lets
the member read it (they may have left the group since); otherwise just its id.
"""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from feedserver.domain import access
from feedserver.domain.services import Services
from feedserver.errors import NotFound
from feedserver.models import Post, Profile, Viewer
from feedserver.store import export as store
from feedserver.store import posts as post_store
from feedserver.store import profiles as profile_store
from feedserver.store.db import Connection

TOP_LEVEL = ("question", "story", "tip", "note")


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _post_doc(post: Post, question_title: str | None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": post.id, "group": post.group_name, "kind": post.kind, "title": post.title,
        "body": post.body, "tags": list(post.tags), "created_at": _when(post.created_at),
        "updated_at": _when(post.updated_at), "revision": post.revision,
    }  # fmt: skip
    if post.parent_id is not None:
        doc["in_reply_to"] = {"id": post.parent_id, "title": question_title}
    return doc


def _profile_doc(profile: Profile) -> dict[str, Any]:
    m = profile.member
    return {
        "username": m.username, "display_name": m.display_name,
        "created_at": _when(m.created_at), "headline": profile.headline,
        "field": profile.field, "team": profile.team, "location": profile.location,
        "sharing": profile.sharing, "weekly_ask_cap": profile.weekly_ask_cap,
        "topics": [{"topic": t.topic, "level": t.level} for t in profile.topics],
    }  # fmt: skip


async def _question_titles(conn: Connection, viewer: Viewer, posts: list[Post]) -> dict[str, str]:
    """Titles of the threads the member answered, where the policy lets them read them."""
    titles: dict[str, str] = {}
    for parent_id in {p.parent_id for p in posts if p.parent_id is not None}:
        parent = await post_store.get(conn, parent_id)
        try:
            await access.readable_post_group(conn, viewer, parent)
        except NotFound:
            continue
        assert parent is not None
        titles[parent_id] = parent.title
    return titles


async def build(services: Services, viewer: Viewer) -> bytes:
    """The zip, for the signed-in member only."""
    access.require_member(viewer)
    assert viewer.member is not None
    async with services.db.read() as conn:
        profile = await profile_store.get(
            conn, viewer.member, services.config.expertise_default_ask_cap
        )
        posts = await store.posts_by_author(conn, viewer.member.id)
        titles = await _question_titles(conn, viewer, posts)
        revisions = await store.page_revisions_by_editor(conn, viewer.member.id)
    return await asyncio.to_thread(_zip, profile, posts, titles, revisions)


def _zip(
    profile: Profile, posts: list[Post], titles: dict[str, str], revisions: list[dict[str, Any]]
) -> bytes:
    top = [_post_doc(p, None) for p in posts if p.parent_id is None]
    answers = [_post_doc(p, titles.get(p.parent_id)) for p in posts if p.parent_id is not None]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:

        def put_json(name: str, value: Any) -> None:
            z.writestr(name, json.dumps(value, ensure_ascii=False, indent=2) + "\n")

        put_json("profile.json", _profile_doc(profile))
        z.writestr("profile.md", _profile_md(profile))
        put_json("posts.json", top)
        put_json("answers.json", answers)
        put_json("pages.json", revisions)
        for doc in top:
            z.writestr(f"posts/{doc['id']}.md", _post_md(doc))
        for doc in answers:
            z.writestr(f"answers/{doc['id']}.md", _post_md(doc))
        for rev in revisions:
            z.writestr(
                f"pages/{rev['group']}/{rev['slug']}-r{rev['revision']}.md",
                f"# {rev['title']}\n\n{_meta(rev, ('group', 'slug', 'revision', 'created_at'))}"
                f"\n{rev['body']}\n",
            )
    return buffer.getvalue()


def _meta(doc: dict[str, Any], keys: tuple[str, ...]) -> str:
    return "".join(f"- {k}: {doc[k]}\n" for k in keys if doc.get(k) not in (None, ""))


def _post_md(doc: dict[str, Any]) -> str:
    head = f"# {doc['title']}\n\n" if doc["title"] else ""
    reply = doc.get("in_reply_to")
    about = ""
    if reply is not None:
        about = f"- in reply to: {reply['title'] or reply['id']}\n"
    tags = f"- tags: {' '.join(doc['tags'])}\n" if doc["tags"] else ""
    return (
        f"{head}{_meta(doc, ('kind', 'group', 'created_at', 'updated_at'))}{about}{tags}"
        f"\n{doc['body']}\n"
    )


def _profile_md(profile: Profile) -> str:
    doc = _profile_doc(profile)
    topics = "".join(f"- {t['topic']} ({t['level']})\n" for t in doc["topics"])
    return (
        f"# {doc['display_name']} (@{doc['username']})\n\n"
        f"{_meta(doc, ('headline', 'field', 'team', 'location', 'sharing', 'created_at'))}"
        + (f"\n## Topics\n\n{topics}" if topics else "")
    )
