"""The one routing table. schemas/openapi.json documents every /api/v1 route listed here
(tests/test_openapi.py keeps the two in step)."""

from __future__ import annotations

from aiohttp import web

from feedserver.http import federation, federation_admin, groups, meta, posts, sessions

API = "/api/v1"


def api_routes() -> list[web.RouteDef]:
    return [
        web.post(f"{API}/sessions", sessions.create_session),
        web.delete(f"{API}/sessions/current", sessions.delete_current_session),
        web.get(f"{API}/me", sessions.me),
        web.post(f"{API}/members", sessions.create_member),
        web.get(f"{API}/members/{{username}}", sessions.get_member),
        web.post(f"{API}/groups", groups.create_group),
        web.get(f"{API}/groups", groups.list_groups),
        web.get(f"{API}/groups/{{name}}", groups.get_group),
        web.get(f"{API}/groups/{{name}}/members", groups.list_members),
        web.put(f"{API}/groups/{{name}}/members/{{username}}", groups.put_member),
        web.delete(f"{API}/groups/{{name}}/members/{{username}}", groups.remove_member),
        web.post(f"{API}/groups/{{name}}/join-requests", groups.request_to_join),
        web.get(f"{API}/groups/{{name}}/join-requests", groups.list_join_requests),
        web.post(
            f"{API}/groups/{{name}}/join-requests/{{username}}/approve",
            groups.approve_join_request,
        ),
        web.post(
            f"{API}/groups/{{name}}/join-requests/{{username}}/reject", groups.reject_join_request
        ),
        web.get(f"{API}/groups/{{name}}/posts", posts.list_posts),
        web.post(f"{API}/groups/{{name}}/posts", posts.create_post),
        web.get(f"{API}/posts/{{id}}", posts.get_post),
        web.patch(f"{API}/posts/{{id}}", posts.edit_post),
        web.delete(f"{API}/posts/{{id}}", posts.delete_post),
        web.get(f"{API}/posts/{{id}}/revisions", posts.list_revisions),
        web.post(f"{API}/posts/{{id}}/replies", posts.create_reply),
        web.post(f"{API}/posts/{{id}}/accept", posts.accept_answer),
        web.delete(f"{API}/posts/{{id}}/accept", posts.unaccept_answer),
        web.put(f"{API}/posts/{{id}}/helpful", posts.mark_helpful),
        web.delete(f"{API}/posts/{{id}}/helpful", posts.unmark_helpful),
        web.get(f"{API}/search", posts.search_posts),
    ]


def other_routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", meta.health),
        web.get("/problems/{code}", meta.problem_type),
    ]


def federation_routes() -> list[web.RouteDef]:
    return [
        web.get("/.well-known/webfinger", federation.webfinger),
        web.get("/.well-known/nodeinfo", federation.nodeinfo_links),
        web.get("/nodeinfo/2.1", federation.nodeinfo),
        web.get("/actor", federation.application_actor),
        web.get("/users/{username}", federation.person_actor),
        web.post("/inbox", federation.post_inbox),
        web.post("/federation/handshake", federation.post_handshake),
        web.get(f"{API}/admin/partners", federation_admin.list_partners),
        web.post(f"{API}/admin/partners", federation_admin.accept_invite),
        web.delete(f"{API}/admin/partners/{{host}}", federation_admin.remove_partner),
        web.post(f"{API}/admin/partner-invites", federation_admin.create_invite),
        web.get(f"{API}/admin/deliveries", federation_admin.list_deliveries),
    ]


def setup_routes(app: web.Application) -> None:
    app.add_routes(api_routes())
    app.add_routes(other_routes())
    app.add_routes(federation_routes())
