"""Expertise, routing and FAQ page models to JSON (the public contract in openapi.json)."""

from __future__ import annotations

from typing import Any

from feedserver.domain.profiles import ProfileView
from feedserver.domain.routing import Suggestion
from feedserver.http.render import post, search_hit, when
from feedserver.models import (
    Ask,
    EvidenceSeen,
    Expert,
    Explanation,
    FaqPage,
    PageHit,
    SearchHit,
)


def evidence(e: EvidenceSeen) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": e.kind, "at": when(e.created_at), "group": e.group_name,
                           "title": e.title}  # fmt: skip
    if e.page_slug:
        doc["page"] = f"/api/v1/groups/{e.group_name}/pages/{e.page_slug}"
    elif e.group_name and "@" in e.group_name:  # a partner's group: read in its copy's posts
        doc["post"] = f"/api/v1/groups/{e.group_name}/posts"
    elif e.root_id:
        doc["post"] = f"/api/v1/posts/{e.root_id}"
        if e.source_id and e.source_id != e.root_id:
            doc["reply"] = f"/api/v1/posts/{e.source_id}"
    return doc


def explanation(x: Explanation) -> dict[str, Any]:
    return {
        "text": x.text,
        "counts": x.counts,
        "recent": x.recent,
        "recent_days": x.recent_days,
        "endorsed_by": x.endorsed_by,
        "evidence": [evidence(e) for e in x.evidence],
        "hidden": x.hidden,
    }


def expert(x: Expert, server: str) -> dict[str, Any]:
    e = x.entry
    return {
        "username": e.username,
        "display_name": e.display_name,
        "topic": e.topic,
        "score": x.score,
        "status": "evidenced" if x.evidenced else "declared",
        "level": e.level,
        "headline": e.headline,
        "field": e.field,
        "team": e.team,
        "location": e.location,
        "server": server,
        "explanation": explanation(x.explanation) if x.explanation else None,
    }


def topic(x: Expert, endorsements: dict[str, tuple[int, bool]]) -> dict[str, Any]:
    count, mine = endorsements.get(x.entry.topic, (0, False))
    return {
        "topic": x.entry.topic,
        "level": x.entry.level,
        "status": "evidenced" if x.evidenced else "declared",
        "score": x.score,
        "endorsements": count,
        "endorsed_by_me": mine,
        "explanation": explanation(x.explanation) if x.explanation else None,
    }


def profile(view: ProfileView, server: str) -> dict[str, Any]:
    p = view.profile
    doc: dict[str, Any] = {
        "username": p.member.username,
        "display_name": p.member.display_name,
        "headline": p.headline,
        "field": p.field,
        "team": p.team,
        "location": p.location,
        "server": server,
        "declared": [{"topic": t.topic, "level": t.level} for t in p.topics],
        "topics": [topic(t, view.endorsements) for t in view.topics],
    }
    if view.own:  # settings only the owner (or an admin) sees
        doc["sharing"] = p.sharing
        doc["weekly_ask_cap"] = p.weekly_ask_cap
    return doc


def suggestion(s: Suggestion, server: str) -> dict[str, Any]:
    return {
        "username": s.username,
        "display_name": s.display_name,
        "score": s.score,
        "already_asked": s.already_asked,
        "server": server,
        "topics": [expert(t, server) for t in s.topics],
    }


def ask(a: Ask) -> dict[str, Any]:
    return {"post": post(a.post), "asked_by": a.asker_username, "asked_at": when(a.asked_at)}


def page(p: FaqPage) -> dict[str, Any]:
    return {
        "group": p.group_name,
        "slug": p.slug,
        "title": p.title,
        "body": p.body,
        "body_html": p.body_html,
        "tags": list(p.tags),
        "revision": p.revision,
        "locked": p.locked,
        "source_post_id": p.source_post_id,
        "updated_by": p.updated_by_username,
        "created_at": when(p.created_at),
        "updated_at": when(p.updated_at),
    }


def any_hit(hit: SearchHit | PageHit) -> dict[str, Any]:
    if isinstance(hit, PageHit):
        return {"page": page(hit.page), "snippet_html": hit.snippet_html, "rank": hit.rank}
    return search_hit(hit)
