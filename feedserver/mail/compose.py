"""One mail from one or more notifications: a text and an HTML part, links to the site, and
RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

import html
from email.message import EmailMessage
from email.utils import format_datetime

from feedserver.config import Config
from feedserver.domain import notification_text as text
from feedserver.domain.mailing import Prepared
from feedserver.models import Member, Notification

EXCERPT_LINES = 6


def _excerpt(body: str) -> str:
    lines = [line for line in body.strip().splitlines() if line.strip()][:EXCERPT_LINES]
    return "\n".join(lines)


def _items(config: Config, items: list[Notification]) -> list[tuple[str, str, str]]:
    """(headline, link, excerpt) of each notification, private text left out as configured."""
    base = config.public_url
    out = []
    for n in items:
        with_text = text.shows_text(n, config.mail_include_text)
        out.append((
            text.headline(n, with_text=with_text),
            base + text.link_path(n, with_text=with_text),
            _excerpt(n.excerpt) if with_text else "",
        ))  # fmt: skip
    return out


def _headers(config: Config, p: Prepared, subject: str) -> EmailMessage:
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = config.sender_address
    msg["To"] = p.address
    # Stable across retries, so a resend after a crash is recognisably the same mail.
    msg["Message-ID"] = f"<{p.item.id}@{config.public_host}>"
    msg["Date"] = format_datetime(p.item.created_at)
    msg["List-Unsubscribe"] = f"<{p.unsubscribe_url}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def compose(config: Config, p: Prepared) -> EmailMessage:
    parts = _items(config, p.notifications)
    if p.item.kind == "digest":
        subject = f"{len(parts)} notifications from {config.organization}"
    else:
        subject = parts[0][0]
    msg = _headers(config, p, subject)
    unsubscribe_url, member = p.unsubscribe_url, p.member
    settings = f"{config.public_url}/me/settings"
    lines = [f"Hello {member.display_name},", ""]
    for headline, link, excerpt in parts:
        lines += [headline, link]
        if excerpt:
            lines += ["", *(f"> {line}" for line in excerpt.splitlines())]
        lines.append("")
    lines += [
        "--",
        f"Change what mail you get: {settings}",
        f"Stop all notification mail: {unsubscribe_url}",
    ]
    msg.set_content("\n".join(lines) + "\n")
    msg.add_alternative(_html(member, parts, settings, unsubscribe_url), subtype="html")
    return msg


def _html(
    member: Member, parts: list[tuple[str, str, str]], settings: str, unsubscribe: str
) -> str:
    e = html.escape
    blocks = []
    for headline, link, excerpt in parts:
        quote = f"<blockquote>{e(excerpt)}</blockquote>" if excerpt else ""
        blocks.append(f'<li><p><a href="{e(link)}">{e(headline)}</a></p>{quote}</li>')
    return (
        "<!doctype html><html><body>"
        f"<p>Hello {e(member.display_name)},</p><ul>{''.join(blocks)}</ul><hr>"
        f'<p><a href="{e(settings)}">Change what mail you get</a> · '
        f'<a href="{e(unsubscribe)}">Stop all notification mail</a></p>'
        "</body></html>\n"
    )


def compose_confirmation(config: Config, p: Prepared) -> EmailMessage:
    """The link that makes a new address the member's (nothing else is sent to it before)."""
    assert p.confirm_url is not None
    msg = _headers(config, p, f"Confirm your email address for {config.organization}")
    msg.set_content(
        f"Hello {p.member.display_name},\n\nOpen this link to get notification mail at this"
        f" address:\n{p.confirm_url}\n\nIf you did not ask for this, ignore this mail.\n"
    )
    e = html.escape
    msg.add_alternative(
        "<!doctype html><html><body>"
        f"<p>Hello {e(p.member.display_name)},</p><p>Open this link to get notification mail"
        f' at this address: <a href="{e(p.confirm_url)}">confirm</a></p>'
        "<p>If you did not ask for this, ignore this mail.</p></body></html>\n",
        subtype="html",
    )
    return msg
