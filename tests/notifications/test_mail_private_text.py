"""With `mail_include_text` off (the default), a mail about a private group says what happened
and where, never the group's own words: not in the headline, and not in the link either."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import Api
from tests.notifications.conftest import add, sender_idle
from tests.notifications.smtp import Mailbox

SLUG = "severance-terms-for-the-berlin-office"


async def test_a_changed_private_faq_page_is_mailed_without_its_name(
    mail_client: TestClient, mail_admin: Api, mailbox: Mailbox
) -> None:
    bob = await add(mail_admin, "bob", "bob@example.test")
    alice = await add(mail_admin, "alice", "alice@example.test")
    status, _ = await bob.post(
        "/api/v1/groups", {"name": "hr-leads", "title": "HR leads", "visibility": "private"}
    )
    assert status == 201
    assert (await bob.put("/api/v1/groups/hr-leads/members/alice", {}))[0] == 200
    page = f"/api/v1/groups/hr-leads/pages/{SLUG}"
    status, _ = await bob.put(page, {"title": "Severance", "body": "Draft."})
    assert status in (200, 201)
    status, _ = await alice.put(page, {"title": "Severance", "body": "Final.", "base_revision": 1})
    assert status == 200
    await mailbox.wait_for(1)
    await sender_idle(mail_client)
    [mail] = mailbox.to("bob@example.test")
    whole = f"{mail.message['Subject']}\n{mail.text()}\n{mail.html()}"
    assert "changed the FAQ page a FAQ page you wrote or edited in HR leads" in whole
    assert "severance" not in whole.lower()
    assert "/groups/hr-leads/pages" in mail.text()
    # In the app (behind a login) the notification still names and links the page.
    status, listed = await bob.get("/api/v1/me/notifications")
    assert status == 200 and listed["items"][0]["url"].endswith(f"/pages/{SLUG}")
