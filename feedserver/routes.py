"""The one routing table. schemas/openapi.json documents every /api/v1 route listed here
(tests/test_openapi.py keeps the two in step)."""

from __future__ import annotations

from aiohttp import web

from feedserver.http import expertise, groups, meta, pages, posts, programs, sessions

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


def expertise_routes() -> list[web.RouteDef]:
    """Issue 4: expertise profiles, the directory, question routing and FAQ pages."""
    page = f"{API}/groups/{{name}}/pages/{{slug}}"
    return [
        web.get(f"{API}/members/{{username}}/profile", expertise.get_profile),
        web.put(f"{API}/members/{{username}}/profile", expertise.put_profile),
        web.post(f"{API}/members/{{username}}/endorsements/{{topic}}", expertise.endorse),
        web.delete(f"{API}/members/{{username}}/endorsements/{{topic}}", expertise.unendorse),
        web.get(f"{API}/experts", expertise.directory),
        web.get(f"{API}/posts/{{id}}/suggested-experts", expertise.suggested_experts),
        web.post(f"{API}/posts/{{id}}/ask/{{username}}", expertise.ask),
        web.get(f"{API}/me/asks", expertise.my_asks),
        web.get(f"{API}/groups/{{name}}/pages", pages.list_pages),
        web.put(page, pages.put_page),
        web.get(page, pages.get_page),
        web.get(f"{page}/revisions", pages.list_revisions),
        web.get(f"{page}/revisions/{{revision}}", pages.get_revision),
        web.put(f"{page}/lock", pages.lock_page),
        web.delete(f"{page}/lock", pages.unlock_page),
        web.post(f"{API}/posts/{{id}}/promote", pages.promote),
    ]


def mentoring_routes() -> list[web.RouteDef]:
    """Issue 7: mentoring programs, matching, cohorts, oversight and reports."""
    one = f"{API}/programs/{{id}}"
    return [
        web.post(f"{API}/programs", programs.create_program),
        web.get(f"{API}/programs", programs.list_programs),
        web.get(one, programs.get_program),
        web.post(f"{one}/mentors", programs.enrol_mentor),
        web.post(f"{one}/mentees", programs.enrol_mentee),
        web.get(f"{one}/me", programs.my_enrolment),
        web.post(f"{one}/match", programs.match),
        web.get(f"{one}/proposals/{{proposal}}", programs.get_proposal),
        web.post(f"{one}/proposals/{{proposal}}/edits", programs.edit_proposal),
        web.post(f"{one}/proposals/{{proposal}}/publish", programs.publish),
        web.get(f"{one}/pairings/{{pairing}}", programs.get_pairing),
        web.post(f"{one}/pairings/{{pairing}}/close", programs.close_pairing),
        web.post(f"{one}/pairings/{{pairing}}/rematch", programs.rematch),
        web.get(f"{one}/report", programs.report),
        web.get(f"{API}/me/mentoring", programs.my_mentoring),
    ]


def other_routes() -> list[web.RouteDef]:
    return [
        web.get("/healthz", meta.health),
        web.get("/problems/{code}", meta.problem_type),
    ]


def setup_routes(app: web.Application) -> None:
    app.add_routes(api_routes())
    app.add_routes(expertise_routes())
    app.add_routes(mentoring_routes())
    app.add_routes(other_routes())
