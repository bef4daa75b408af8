"""What a notification says, in one place for the page, the feed and the mail.

`private` text leaves out what only the group may read (the thread's title): a mail about a
private group says what happened and where, and the link leads to the rest behind a login.
"""

from __future__ import annotations

from urllib.parse import quote

from feedserver.models import Notification


def shows_text(n: Notification, include_private_text: bool) -> bool:
    """Whether the thread's title and the post's text may go where the reader may not be
    signed in (mail): always for org groups, for others only when the admin allows it."""
    return n.group_visibility == "org" or include_private_text


def headline(n: Notification, *, with_text: bool = True) -> str:
    who = n.actor_display_name or "Someone"
    group = n.group_title or "a group"
    thread = f"“{n.thread_title}”" if with_text and n.thread_title else "a thread"
    if n.kind == "answer":
        return f"{who} answered your question {thread} in {group}"
    if n.kind == "reply":
        return f"{who} replied to your post {thread} in {group}"
    if n.kind == "accepted":
        return f"{who} accepted your answer to {thread} in {group}"
    if n.kind == "helpful":
        if n.count > 1:
            return f"{n.count} people found your post in {thread} helpful ({group})"
        return f"{who} found your post in {thread} helpful ({group})"
    if n.kind == "asked":
        return f"{who} asked you to answer {thread} in {group}"
    if n.kind == "mention":
        return f"{who} mentioned you in {thread} in {group}"
    if n.kind == "join_request":
        return f"{who} asks to join {group}"
    if n.kind == "join_declined":
        return f"Your request to join {n.subject or 'a partner group'} was declined"
    if n.kind == "join_approved":
        return f"{who} let you into {group}"
    if n.kind == "page_changed":
        page = f"“{n.subject}”" if with_text else "a FAQ page you wrote or edited"
        return f"{who} changed the FAQ page {page} in {group}"
    if n.kind == "match_published":
        return f"Mentoring ({n.subject}): you were paired with {who}"
    if n.kind == "write_refused":
        what, address = _refused(n)
        return f"Your {_REFUSED.get(what, what)} in {address} was refused by the group's host"
    if n.kind == "new_post":
        return f"{who} posted in {thread} in {group}"
    return f"Something happened in {group}"


def link_path(n: Notification, *, with_text: bool = True) -> str:
    """Where on the site the notification leads (a path; callers add the base URL). Without
    text (see shows_text) a link names no more than the headline does: a FAQ page's slug is
    its title's words, so it leads to the group's pages instead."""
    if n.thread_id is not None:
        anchor = f"#p-{n.post_id}" if n.post_id and n.post_id != n.thread_id else ""
        return f"/posts/{n.thread_id}{anchor}"
    if n.kind == "page_changed" and n.group_name:
        if not with_text:
            return f"/groups/{n.group_name}/pages"
        return f"/groups/{n.group_name}/pages/{quote(n.subject)}"
    if n.kind == "match_published":
        return "/mentoring"
    if n.kind == "write_refused":
        return f"/groups/{quote(_refused(n)[1], safe='@:')}"
    if n.kind == "join_declined":
        return "/partner-groups"
    if n.group_name:
        return f"/groups/{n.group_name}"
    return "/notifications"


# A write into a partner's group that its host refused: the subject is "what name@host".
_REFUSED = {"accept": "choice of an accepted answer", "removal": "removal of a post",
            "helpful": "helpful mark"}  # fmt: skip


def _refused(n: Notification) -> tuple[str, str]:
    what, _, address = n.subject.partition(" ")
    return what, address
