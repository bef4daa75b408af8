"""The one routing table. schemas/openapi.json documents every /api/v1 route listed here
(tests/test_openapi.py keeps the two in step)."""

from __future__ import annotations

from aiohttp import web

from feedserver.http import (
    expertise,
    export,
    federation,
    federation_admin,
    feeds,
    groups,
    insights,
    invitations,
    meta,
    metrics,
    moderation,
    notifications,
    pages,
    partner_groups,
    posts,
    programs,
    sessions,
    shared_groups,
)
from feedserver.web import (
    admin_members,
    admin_pages,
    auth_pages,
    avatars,
    faq_pages,
    feeds_pages,
    group_pages,
    home,
    insights_pages,
    mentoring_pages,
    mentoring_review,
    notification_pages,
    partner_group_pages,
    people_pages,
    post_pages,
    search_pages,
    shared_group_pages,
    tag_pages,
    thread_pages,
    writing_aids,
)
from feedserver.web.render import STATIC

API = "/api/v1"


def api_routes() -> list[web.RouteDef]:
    return [
        web.post(f"{API}/sessions", sessions.create_session),
        web.delete(f"{API}/sessions/current", sessions.delete_current_session),
        web.get(f"{API}/me", sessions.me),
        web.post(f"{API}/members", sessions.create_member),
        web.get(f"{API}/members/{{username}}", sessions.get_member),
        web.post(f"{API}/invitations", invitations.create_invitation),
        web.post(f"{API}/groups", groups.create_group),
        web.get(f"{API}/groups", groups.list_groups),
        web.get(f"{API}/groups/{{name}}", groups.get_group),
        web.patch(f"{API}/groups/{{name}}", groups.edit_group),
        web.get(f"{API}/groups/{{name}}/members", groups.list_members),
        web.put(f"{API}/groups/{{name}}/members/{{username}}", groups.put_member),
        web.delete(f"{API}/groups/{{name}}/members/{{username}}", groups.remove_member),
        web.post(f"{API}/groups/{{name}}/join-requests", groups.request_to_join),
        web.get(f"{API}/groups/{{name}}/join-requests", groups.list_join_requests),
        web.delete(f"{API}/groups/{{name}}/join-requests", partner_groups.withdraw),
        web.post(
            f"{API}/groups/{{name}}/join-requests/{{username}}/approve",
            groups.approve_join_request,
        ),
        web.post(
            f"{API}/groups/{{name}}/join-requests/{{username}}/reject", groups.reject_join_request
        ),
        web.get(f"{API}/partner-groups", partner_groups.list_partner_groups),
        web.get(f"{API}/groups/{{name}}/posts", posts.list_posts),
        web.post(f"{API}/groups/{{name}}/posts", posts.create_post),
        web.post(f"{API}/groups/{{name}}/replies", shared_groups.create_reply),
        web.post(f"{API}/groups/{{name}}/accept", shared_groups.accept_answer),
        web.post(f"{API}/groups/{{name}}/deletions", shared_groups.delete_post),
        web.post(f"{API}/groups/{{name}}/helpful", shared_groups.mark_helpful),
        web.post(f"{API}/groups/{{name}}/edits", shared_groups.edit_post),
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
        web.get(f"{API}/insights", insights.get_insights),
    ]


def expertise_routes() -> list[web.RouteDef]:
    """Expertise profiles, the directory, question routing and FAQ pages."""
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
    """Mentoring programs, matching, cohorts, oversight and reports."""
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
        web.get("/livez", meta.livez),
        web.get("/readyz", meta.readyz),
        web.get("/healthz", meta.livez),  # the older name of /livez
        web.get("/metrics", metrics.metrics),
        web.get("/problems/{code}", meta.problem_type),
    ]


def federation_routes() -> list[web.RouteDef]:
    return [
        web.get("/.well-known/webfinger", federation.webfinger),
        web.get("/.well-known/nodeinfo", federation.nodeinfo_links),
        web.get("/nodeinfo/2.1", federation.nodeinfo),
        web.get("/actor", federation.application_actor),
        web.get("/users/{username}", federation.person_actor),
        web.get(federation.CONTEXT_PATH, federation.context_document),
        web.post("/inbox", federation.post_inbox),
        web.post("/federation/handshake", federation.post_handshake),
        web.get("/shared-groups", federation.shared_groups_offered),
        web.get(f"{API}/admin/partners", federation_admin.list_partners),
        web.post(f"{API}/admin/partners", federation_admin.accept_invite),
        web.delete(f"{API}/admin/partners/{{host}}", federation_admin.remove_partner),
        web.post(f"{API}/admin/partner-invites", federation_admin.create_invite),
        web.get(f"{API}/admin/deliveries", federation_admin.list_deliveries),
    ]


def moderation_routes() -> list[web.RouteDef]:
    """Admins manage members: standing, suspension, admin rights, passwords, deletion, and
    the audit log of it all."""
    one = f"{API}/admin/members/{{username}}"
    return [
        web.get(f"{API}/admin/members", moderation.list_members),
        web.delete(one, moderation.delete_member),
        web.put(f"{one}/suspension", moderation.suspend),
        web.delete(f"{one}/suspension", moderation.unsuspend),
        web.put(f"{one}/admin", moderation.promote),
        web.delete(f"{one}/admin", moderation.demote),
        web.put(f"{one}/password", moderation.reset_password),
        web.get(f"{API}/admin/audit", moderation.audit_log),
        web.get(f"{API}/me/export", export.my_export),
    ]


def web_routes() -> list[web.AbstractRouteDef]:
    """Server-rendered pages. Every name starts with "web.": the CSRF check and the HTML error
    pages key on it. Later pages slot in here: /me/feeds (feeds), /people and /people/{username}
    (expertise directory and profiles), /faq/... (FAQ pages)."""
    return [
        web.get("/", home.home, name="web.home"),
        web.get("/login", auth_pages.login_form, name="web.login"),
        web.post("/login", auth_pages.login, name="web.login.post"),
        web.post("/logout", auth_pages.logout, name="web.logout"),
        web.get("/join/{token}", auth_pages.join_form, name="web.join"),
        web.post("/join/{token}", auth_pages.join, name="web.join.post"),
        web.get("/insights", insights_pages.insights_page, name="web.insights"),
        web.get("/groups", group_pages.group_list, name="web.groups"),
        web.post("/groups", group_pages.group_create, name="web.groups.create"),
        web.get(
            "/partner-groups", partner_group_pages.partner_groups_page, name="web.partner_groups"
        ),
        web.get("/groups/{name}", group_pages.group_page, name="web.group"),
        web.post("/groups/{name}/posts", group_pages.post_create, name="web.group.post"),
        web.post("/groups/{name}/replies", shared_group_pages.reply, name="web.shared.reply"),
        web.post("/groups/{name}/accept", shared_group_pages.accept, name="web.shared.accept"),
        web.post("/groups/{name}/deletions", shared_group_pages.delete, name="web.shared.delete"),
        web.post("/groups/{name}/helpful", shared_group_pages.helpful, name="web.shared.helpful"),
        web.post("/groups/{name}/edits", shared_group_pages.edit, name="web.shared.edit"),
        web.post("/groups/{name}/join", group_pages.join_group, name="web.group.join"),
        web.post(
            "/groups/{name}/join/withdraw", partner_group_pages.withdraw, name="web.shared.withdraw"
        ),
        web.get("/groups/{name}/requested", group_pages.requested, name="web.group.requested"),
        web.post("/groups/{name}/leave", group_pages.leave_group, name="web.group.leave"),
        web.post("/groups/{name}/members", group_pages.put_member, name="web.group.add"),
        web.post(
            "/groups/{name}/members/{username}/role", group_pages.put_member, name="web.group.role"
        ),
        web.post(
            "/groups/{name}/members/{username}/remove",
            group_pages.remove_member,
            name="web.group.remove",
        ),
        web.post(
            "/groups/{name}/requests/{username}/{decision:approve|reject}",
            group_pages.decide_request,
            name="web.group.request",
        ),
        web.get("/posts/{id}", thread_pages.thread_page, name="web.thread"),
        web.post("/posts/{id}/replies", thread_pages.reply, name="web.thread.reply"),
        web.post("/posts/{id}/accept", thread_pages.accept, name="web.thread.accept"),
        web.post("/posts/{id}/helpful", thread_pages.helpful, name="web.thread.helpful"),
        web.get("/search", search_pages.search_page, name="web.search"),
        web.get("/search/similar", writing_aids.similar, name="web.search.similar"),
        web.post("/preview", writing_aids.preview, name="web.preview"),
        web.get("/admin", admin_pages.admin_page, name="web.admin"),
        web.post("/admin/invitations", admin_pages.create_invitation, name="web.admin.invite"),
        web.post(
            "/admin/invitations/{id}/revoke",
            admin_pages.revoke_invitation,
            name="web.admin.revoke",
        ),
        *admin_member_routes(),
        web.get("/avatars/{username}.svg", avatars.avatar, name="web.avatar"),
        web.static("/static", STATIC, name="static"),
    ]


def admin_member_routes() -> list[web.RouteDef]:
    """Admins manage members from /admin (the rules are the domain's, as for the API)."""
    one = "/admin/members/{username}"
    return [
        web.post(f"{one}/suspend", admin_members.suspend, name="web.admin.suspend"),
        web.post(f"{one}/unsuspend", admin_members.unsuspend, name="web.admin.unsuspend"),
        web.post(f"{one}/promote", admin_members.promote, name="web.admin.promote"),
        web.post(f"{one}/demote", admin_members.demote, name="web.admin.demote"),
        web.post(f"{one}/password", admin_members.reset_password, name="web.admin.password"),
        web.post(f"{one}/delete", admin_members.delete, name="web.admin.delete"),
    ]


def member_page_routes() -> list[web.RouteDef]:
    """Pages for people, FAQ pages, editing posts, routing, tags and feeds.
    Names start with "web." like every page (CSRF check, HTML errors)."""
    page = "/groups/{name}/pages/{slug}"
    return [
        web.get("/people", people_pages.directory, name="web.people"),
        web.get("/people/{username}", people_pages.profile_page, name="web.profile"),
        web.get("/people/{username}/edit", people_pages.edit_form, name="web.profile.edit"),
        web.post("/people/{username}/edit", people_pages.save_profile, name="web.profile.save"),
        web.post("/people/{username}/endorse", people_pages.endorse, name="web.profile.endorse"),
        web.get("/members/{username}", people_pages.member_redirect, name="web.member"),
        web.get("/groups/{name}/pages", faq_pages.page_list, name="web.faq"),
        web.post("/groups/{name}/pages", faq_pages.page_create, name="web.faq.create"),
        web.get(page, faq_pages.page_view, name="web.faq.page"),
        web.get(f"{page}/edit", faq_pages.edit_form, name="web.faq.edit"),
        web.post(f"{page}/edit", faq_pages.save, name="web.faq.save"),
        web.get(f"{page}/revisions", faq_pages.history, name="web.faq.history"),
        web.get(f"{page}/revisions/{{revision}}", faq_pages.revision, name="web.faq.revision"),
        web.post(
            f"{page}/revisions/{{revision}}/restore", faq_pages.restore, name="web.faq.restore"
        ),
        web.post(f"{page}/lock", faq_pages.lock, name="web.faq.lock"),
        web.post("/posts/{id}/promote", faq_pages.promote, name="web.thread.promote"),
        web.get("/posts/{id}/edit", post_pages.edit_form, name="web.post.edit"),
        web.post("/posts/{id}/edit", post_pages.save, name="web.post.save"),
        web.post("/posts/{id}/delete", post_pages.delete, name="web.post.delete"),
        web.get("/posts/{id}/revisions", post_pages.revisions, name="web.post.revisions"),
        web.post("/posts/{id}/ask/{username}", thread_pages.ask, name="web.thread.ask"),
        web.get("/tags/{tag}", tag_pages.tag_page, name="web.tag"),
        web.get("/me/feeds", feeds_pages.my_feeds, name="web.feeds"),
        web.post("/me/feeds/rotate", feeds_pages.rotate, name="web.feeds.rotate"),
    ]


def mentoring_page_routes() -> list[web.RouteDef]:
    """Mentoring in the browser: programs, enrolment, pairings, cohorts; for managers the
    proposed matching, its edits, publishing and the report."""
    one = "/mentoring/{id}"  # after /mentoring/cohorts, which it would otherwise match
    proposal = f"{one}/proposals/{{proposal}}"
    return [
        web.get("/mentoring", mentoring_pages.program_list, name="web.mentoring"),
        web.post("/mentoring", mentoring_pages.program_create, name="web.mentoring.create"),
        web.get("/mentoring/cohorts", mentoring_pages.cohorts, name="web.mentoring.cohorts"),
        web.get(one, mentoring_pages.program_page, name="web.program"),
        web.post(f"{one}/enrol/{{side}}", mentoring_pages.enrol, name="web.program.enrol"),
        web.post(
            f"{one}/pairings/{{pairing}}/{{action}}",
            mentoring_pages.end_pairing,
            name="web.program.pairing",
        ),
        web.post(f"{one}/match", mentoring_review.propose, name="web.program.match"),
        web.get(proposal, mentoring_review.proposal_page, name="web.program.proposal"),
        web.post(f"{proposal}/edit", mentoring_review.edit, name="web.program.edit"),
        web.post(f"{proposal}/publish", mentoring_review.publish, name="web.program.publish"),
        web.get(f"{one}/report", mentoring_review.report, name="web.program.report"),
    ]


def feed_routes() -> list[web.RouteDef]:
    """Atom feeds (HEAD comes with every GET) and the member's feed URLs."""
    return [
        web.get("/feeds/home.atom", feeds.home_feed),
        web.get("/feeds/groups/{name}.atom", feeds.group_feed),
        web.get("/feeds/tags/{tag}.atom", feeds.tag_feed),
        web.get("/feeds/posts/{id}.atom", feeds.thread_feed),
        web.get("/feeds/replies.atom", feeds.replies_feed),
        web.get("/feeds/unanswered.atom", feeds.unanswered_feed),
        web.get("/feeds/members/{username}.atom", feeds.member_feed),
        web.get("/feeds/notifications.atom", feeds.notifications_feed),
        web.get(f"{API}/me/feeds", feeds.my_feeds),
        web.post(f"{API}/me/feeds/rotate", feeds.rotate_feeds),
    ]


def notification_routes() -> list[web.RouteDef]:
    """The member's notifications and their settings; the mail outbox for admins."""
    mine = f"{API}/me/notifications"
    return [
        web.get(mine, notifications.list_notifications),
        web.post(f"{mine}/read", notifications.mark_all_read),
        web.post(f"{mine}/{{id}}/read", notifications.mark_read),
        web.get(f"{API}/me/notification-settings", notifications.get_settings),
        web.put(f"{API}/me/notification-settings", notifications.put_settings),
        web.get(f"{API}/admin/mail-outbox", notifications.mail_outbox),
    ]


def notification_page_routes() -> list[web.RouteDef]:
    """The bell's page, watch levels, mail settings; the signed mail links are not "web."
    routes: a mail client posts the one-click unsubscribe with no session or CSRF token."""
    pages = notification_pages
    return [
        web.get("/notifications", pages.notification_list, name="web.notifications"),
        web.post("/notifications/read", pages.mark_all_read, name="web.notifications.read"),
        web.post("/groups/{name}/watch", pages.watch_group, name="web.group.watch"),
        web.get("/me/settings", pages.settings_form, name="web.settings"),
        web.post("/me/settings", pages.save_settings, name="web.settings.save"),
        web.get("/mail/unsubscribe", pages.unsubscribe_page, name="mail.unsubscribe"),
        web.post("/mail/unsubscribe", pages.unsubscribe, name="mail.unsubscribe.post"),
        web.get("/mail/confirm", pages.confirm_email, name="mail.confirm"),
    ]


def setup_routes(app: web.Application) -> None:
    app.add_routes(api_routes())
    app.add_routes(expertise_routes())
    app.add_routes(mentoring_routes())
    app.add_routes(other_routes())
    app.add_routes(federation_routes())
    app.add_routes(moderation_routes())
    app.add_routes(feed_routes())
    app.add_routes(notification_routes())
    app.add_routes(notification_page_routes())
    app.add_routes(member_page_routes())
    app.add_routes(mentoring_page_routes())
    app.add_routes(web_routes())
