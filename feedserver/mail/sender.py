"""The mail sender: a task that sends the outbox through the SMTP server after the commit.

Each mail is claimed (leased) in a write of its own before it goes out and marked sent after,
so a crash before the send loses nothing and a crash after sends it once more when the lease
ends: each mail goes out at most twice. A temporary failure (4xx, the server unreachable) is
retried with exponential backoff; a permanent one (5xx) is given up and shown to admins.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from datetime import datetime, timedelta

import aiosmtplib

from feedserver.domain import mailing
from feedserver.domain.services import Services
from feedserver.mail.compose import compose, compose_confirmation
from feedserver.models import MailItem

log = logging.getLogger(__name__)

BATCH = 20
POLL_SECONDS = 60.0  # digests and retries come due without anyone waking the sender


class MailSender:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.config = services.config
        self._event = asyncio.Event()
        # Set while run_forever waits with nothing to do (tests wait for it).
        self.idle = asyncio.Event()

    def wake(self) -> None:
        """Something was queued (called inside the writing transaction: the claim's own
        write returns only after that transaction committed)."""
        self.idle.clear()
        self._event.set()

    def backoff(self, attempts: int) -> timedelta:
        ceiling = min(3600.0, self.config.mail_backoff_seconds * 2 ** min(attempts - 1, 20))
        return timedelta(seconds=ceiling / 2 + random.uniform(0, ceiling / 2))

    async def run_once(self, now: datetime | None = None) -> int:
        """One pass: digests that are due, then every due mail. Returns how many were sent."""
        now = now or self.services.clock()
        await mailing.make_digests(self.services, now)
        done = 0
        while items := await mailing.claim(self.services, now, BATCH):
            for item in items:
                done += await self._deliver(item, now)
        return done

    async def _deliver(self, item: MailItem, now: datetime) -> int:
        try:
            prepared = await mailing.prepare(self.services, item, now)
            if prepared is None:
                await mailing.dropped(self.services, item, now)
                return 0
            if prepared.confirm_url is not None:
                message = compose_confirmation(self.config, prepared)
            else:
                message = compose(self.config, prepared)
            error, temporary = await self._send(message, prepared.address)
            if error is None:
                await mailing.sent(self.services, item, now)
                return 1
            retry = self.backoff(item.attempts) if temporary else None
            again = await mailing.failed(self.services, item, now, error, retry_in=retry)
            log.info("mail %s %s: %s", item.id, "deferred" if again else "given up", error)
        except Exception:  # the lease ends and it is tried again; the loop goes on
            log.exception("mail %s could not be sent", item.id)
        return 0

    async def _send(self, message: object, address: str) -> tuple[str | None, bool]:
        """(None, _) when the server took it; else (error, temporary)."""
        c = self.config
        try:
            await aiosmtplib.send(
                message,  # type: ignore[arg-type]
                sender=c.sender_address, recipients=[address], hostname=c.smtp_host,
                port=c.smtp_port, start_tls=c.smtp_starttls,
                username=c.smtp_username or None, password=c.smtp_password or None,
                timeout=c.smtp_timeout_seconds,
            )  # fmt: skip
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return f"recipient refused ({', '.join(map(str, codes))})", all(
                400 <= code < 500 for code in codes
            )
        except aiosmtplib.SMTPResponseException as exc:
            # The server's words stay out of the log's secrets: code and first line only.
            first = str(exc.message).splitlines()[0][:200] if exc.message else ""
            return f"SMTP {exc.code} {first}".strip(), 400 <= exc.code < 500
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300], True
        return None, False

    async def run_forever(self) -> None:
        services = self.services
        while True:
            self._event.clear()  # before the pass: a wake-up from here on is not lost
            try:
                await self.run_once(services.clock())
                due = await mailing.next_due(services)
            except asyncio.CancelledError:
                raise
            except Exception:  # keep the sender alive; the failure is in the log
                log.exception("mail pass failed")
                due = None
            wait = POLL_SECONDS
            if due is not None:
                wait = max(0.05, min(wait, (due - services.clock()).total_seconds()))
            if not self._event.is_set():
                self.idle.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), wait)
            self.idle.clear()
