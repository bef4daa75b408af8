"""Notification mail: composing messages from notifications and sending the outbox through
an SMTP server after the commit (beside federation: it does network I/O for the domain)."""
