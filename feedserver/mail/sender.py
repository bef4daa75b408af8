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
from email.message import EmailMessage

import aiosmtplib

from feedserver.config import Config
from feedserver.domain import mailing
from feedserver.domain.services import Services
from feedserver.mail.compose import compose, compose_confirmation
from feedserver.models import MailItem

log = logging.getLogger(__name__)

BATCH = 20
POLL_SECONDS = 60.0  # digests and retries come due without anyone waking the sender
DIGEST_CHECK = timedelta(seconds=POLL_SECONDS)
WAKE_COALESCE_SECONDS = 0.2


class MailSender:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.config = services.config
        self._event = asyncio.Event()
        # Set while run_forever waits with nothing to do (tests wait for it).
        self.idle = asyncio.Event()
        self._digests_checked: datetime | None = None

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
        # Digests are due once a day per member: looking once a poll interval is plenty, and
        # keeps a busy server's passes (one per queued mail) to the claim alone.
        if self._digests_checked is None or now - self._digests_checked >= DIGEST_CHECK:
            self._digests_checked = now
            await mailing.make_digests(self.services, now)
        done = 0
        connection = _Connection(self.config)
        try:
            while items := await mailing.claim(self.services, now, BATCH):
                for item in items:
                    done += await self._deliver(connection, item, now)
                if len(items) < BATCH:  # all that was due: no second claim (a write) to learn it
                    break
        finally:
            await connection.close()
        return done

    async def _deliver(self, connection: _Connection, item: MailItem, now: datetime) -> int:
        try:
            prepared = await mailing.prepare(self.services, item, now)
            if prepared is None:
                await mailing.dropped(self.services, item, now)
                return 0
            if prepared.confirm_url is not None:
                message = compose_confirmation(self.config, prepared)
            else:
                message = compose(self.config, prepared)
            error, temporary = await connection.send(message, prepared.address)
            if error is None:
                await mailing.sent(self.services, item, now)
                return 1
            retry = self.backoff(item.attempts) if temporary else None
            again = await mailing.failed(self.services, item, now, error, retry_in=retry)
            log.info("mail %s %s: %s", item.id, "deferred" if again else "given up", error)
        except Exception:  # the lease ends and it is tried again; the loop goes on
            log.exception("mail %s could not be sent", item.id)
        return 0

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
                # Woken by a queued mail: let the posts arriving with it queue theirs too, so
                # a busy server makes one pass (two writes) for many mails, not one per post.
                await asyncio.sleep(WAKE_COALESCE_SECONDS)
            self.idle.clear()


class _Connection:
    """One SMTP conversation for a pass's mails (opened on the first, again after a failure):
    a mail costs one transaction on it, not a TCP connection, greeting and login."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.client: aiosmtplib.SMTP | None = None

    async def _open(self) -> aiosmtplib.SMTP:
        if self.client is not None and self.client.is_connected:
            return self.client
        c = self.config
        self.client = aiosmtplib.SMTP(
            hostname=c.smtp_host, port=c.smtp_port, start_tls=c.smtp_starttls,
            username=c.smtp_username or None, password=c.smtp_password or None,
            timeout=c.smtp_timeout_seconds,
        )  # fmt: skip
        await self.client.connect()
        return self.client

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()

    async def send(self, message: EmailMessage, address: str) -> tuple[str | None, bool]:
        """(None, _) when the server took it; else (error, temporary)."""
        error, temporary = await self._send(message, address)
        if error is not None and self.client is not None:
            # After a refusal the conversation may be mid-transaction: start afresh.
            await self.close()
        return error, temporary

    async def _send(self, message: EmailMessage, address: str) -> tuple[str | None, bool]:
        try:
            client = await self._open()
            await client.send_message(
                message, sender=self.config.sender_address, recipients=[address]
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            return f"recipient refused ({', '.join(map(str, codes))})", all(
                400 <= code < 500 for code in codes
            )
        except aiosmtplib.SMTPResponseException as exc:
            # The server's words stay short: code and first line only.
            first = str(exc.message).splitlines()[0][:200] if exc.message else ""
            return f"SMTP {exc.code} {first}".strip(), 400 <= exc.code < 500
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            return f"{type(exc).__name__}: {exc}"[:300], True
        return None, False
