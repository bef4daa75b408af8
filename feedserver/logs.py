"""Logging set-up: plain text lines (the default) or JSON lines (`log_format = "json"`), each
with the id of the request it belongs to, and never a token.

The request id lives in a context variable set by the request middleware (http/observe.py),
so every line logged while a request is handled carries it, whichever module logged it.
Secrets are kept out at the source (access lines name the route pattern, not the path); the
formatters also mask anything shaped like a token (`token=…`, `Bearer …`) as a last guard.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
from datetime import UTC, datetime

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
FORMATS = ("text", "json")
_SECRETS = re.compile(r"(?i)(token=|bearer\s+)[^\s&\"';,]+")


def redact(text: str) -> str:
    return _SECRETS.sub(r"\1[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id when in a request,
    the fields a record carries in `extra={"fields": {...}}`, and a formatted exception."""

    def format(self, record: logging.LogRecord) -> str:
        moment = datetime.fromtimestamp(record.created, UTC)
        doc: dict[str, object] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if (request_id := REQUEST_ID.get()) is not None:
            doc["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            doc.update({k: v for k, v in fields.items() if k not in doc})
        if record.exc_info:
            doc["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(doc, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = redact(super().format(record))
        request_id = REQUEST_ID.get()
        return f"{line} [request {request_id}]" if request_id is not None else line


def configure(level: str, log_format: str) -> None:
    """The root logger writes to stderr in the chosen format."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
