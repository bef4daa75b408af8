"""Configuration: defaults < feedserver.toml < FEEDSERVER_* environment < command line.

Loaded once into a frozen Config; every field says what it is for in its `help`.
"""

from __future__ import annotations

import ipaddress
import json
import os
import tomllib
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MAX_WORKERS = 64  # more processes than this is a typo, not a deployment
# How much the search processes lower their CPU priority (bench/search_load.py measured it)
SEARCH_NICE = 0


def _f(default: Any, help: str) -> Any:  # noqa: A002 - "help" reads best at the call sites
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Config:
    # repr=False on secrets below: a Config in a traceback or log line shows no password.
    data_dir: Path = _f(Path("data"), "Directory for the database, keys and secrets.")
    host: str = _f("127.0.0.1", "Address to listen on.")
    port: int = _f(8080, "TCP port to listen on.")
    workers: int = _f(
        0,
        "Server processes sharing the port (SO_REUSEPORT); 0 is the database engine's"
        " default: 1 on SQLite.",
    )
    base_url: str = _f(
        "", "Public base URL; default http://HOST:PORT. Ids of shared objects live under it."
    )
    database_url: str = _f(
        "",
        "Where the data lives: empty or sqlite:///PATH for SQLite (default: feedserver.sqlite3"
        " in data_dir), or postgresql://USER@HOST/DB. Give a PostgreSQL password in PGPASSWORD"
        " or ~/.pgpass, not in the URL.",
    )
    db_readers: int = _f(4, "Read connections in the SQLite pool (one more connection writes).")
    search_timeout_ms: int = _f(
        2000,
        "Time one search may take, waiting for a search reader included, before it is stopped"
        " (503), so a search never holds a reader for long.",
    )
    search_readers: int = _f(
        1,
        "Read connections set aside for searches, beside db_readers, on either engine: at most"
        " this many searches run at once, so pages other than search keep readers (and most of"
        " the process) of their own while searches pile up.",
    )
    search_waiting: int = _f(
        16,
        "Searches that may wait for a search reader; one more is refused at once (503"
        " search-busy, with Retry-After), as is one still waiting after search_timeout_ms.",
    )
    search_process: bool = _f(
        True,
        "Run searches in a process of their own (search_readers processes, started with the"
        " first search), so the serving process's CPU time and event loop stay with the other"
        " pages; false runs them in the serving process, on its search readers.",
    )
    search_nice: int = _f(
        SEARCH_NICE,
        "CPU priority the search processes lower themselves by (os.nice, 0-19), so the"
        " operating system favours the serving processes when the CPUs are busy.",
    )
    sqlite_synchronous: str = _f(
        "FULL", "SQLite synchronous pragma: FULL survives power loss, NORMAL only a crash."
    )
    max_body_bytes: int = _f(1024 * 1024, "Largest accepted request body.")
    max_query_chars: int = _f(2048, "Longest accepted query string.")
    header_timeout_seconds: int = _f(
        15,
        "Time a client has to send a request's headers, counted from connecting or from the"
        " previous response; an idle keep-alive connection closes after it too.",
    )
    body_timeout_seconds: int = _f(
        60, "Time a client has to send a whole request body once its headers arrived (408)."
    )
    login_max_failures: int = _f(
        5, "Failed logins per account or address before logins are slowed."
    )
    login_window_seconds: int = _f(900, "Window over which failed logins are counted.")
    write_burst: int = _f(
        60,
        "Writes (POST, PUT, PATCH, DELETE) a member may make in a burst before being slowed"
        " to write_rate_per_minute; 429 with Retry-After beyond. 0 turns the limit off. A"
        " partner's member writing into a shared group here has the same limit.",
    )
    write_rate_per_minute: int = _f(60, "Writes per minute a member regains, steadily.")
    session_days: int = _f(30, "How long a login token lasts without use.")
    page_size: int = _f(20, "Default page size of lists.")
    max_page_size: int = _f(100, "Largest page size a client may ask for.")
    scrypt_n: int = _f(2**15, "scrypt cost (a power of two) for new password hashes.")
    trusted_proxies: str = _f(
        "", "Comma-separated proxy addresses whose X-Forwarded-For names the real client."
    )
    feed_cache_bytes: int = _f(
        32 * 1024 * 1024,
        "Memory for rendered Atom feed pages and remembered answers (feed polls, API reads),"
        " per process (bytes).",
    )
    feed_language: str = _f(
        "en", "Language of the Atom feeds' text (their xml:lang), e.g. en or fr-CA."
    )
    log_level: str = _f("INFO", "Logging level.")
    log_format: str = _f(
        "text", "Log lines as 'text' or 'json' (one object a line, with the request id)."
    )
    metrics_allow: str = _f(
        "127.0.0.1,::1",
        "Comma-separated addresses or networks (CIDR) that may read /metrics; others get 404.",
    )
    organization_name: str = _f(
        "", "The organization's name, shown to partner servers; default the host name."
    )
    delivery_backoff_seconds: int = _f(
        30, "First retry delay of a failed federation delivery; doubles (with jitter) after."
    )
    delivery_max_backoff_seconds: int = _f(3600, "Longest delay between delivery retries.")
    delivery_give_up_hours: int = _f(72, "Give up on a delivery this long after it was queued.")
    delivery_failed_retention_days: int = _f(
        30,
        "How long a failed (given-up) delivery is kept, with its body, for admins to see"
        " (GET /api/v1/admin/deliveries?state=failed); counted from when it was queued.",
    )
    inbox_activity_retention_days: int = _f(
        30,
        "How long a received activity's id is kept, so that a partner's resend is applied"
        " once. Keep it longer than partners retry (feedserver gives up after 3 days).",
    )
    delivery_pause_after: int = _f(
        5, "Consecutive failed deliveries after which a partner host is paused until it recovers."
    )
    delivery_poll_seconds: int = _f(5, "How often the delivery worker looks for due deliveries.")
    fetch_timeout_seconds: int = _f(10, "Time limit of one request to a partner server.")
    fetch_max_bytes: int = _f(1024 * 1024, "Largest response accepted from a partner server.")
    verify_workers: int = _f(
        1,
        "Processes that verify the inbox's Ed25519 signatures off the event loop (started on"
        " first use); 0 verifies in the server process. Up to one per spare core.",
    )
    key_rotation_grace_days: int = _f(
        7,
        "How long a rotated-out server key stays published and valid for partners, and how"
        " long a partner's rotated-out key stays valid here.",
    )
    expertise_half_life_days: int = _f(
        180, "Half-life of expertise evidence: evidence this many days old counts half."
    )
    expertise_weights: str = _f(
        # mentoring=4: a completed mentoring pairing, per goal topic of the mentee.
        "accepted_answer=5 helpful=1 story=3 tip=2 page_revision=2 endorsement=2 mentoring=4",
        "Weight of each kind of expertise evidence, as 'kind=weight' pairs separated by spaces.",
    )
    expertise_recent_days: int = _f(90, "Window an expertise explanation calls 'recent'.")
    expertise_default_ask_cap: int = _f(
        5, "Routed questions per week a member accepts until they set their own cap."
    )
    smtp_host: str = _f("", "SMTP server notification mail goes through; empty turns mail off.")
    smtp_port: int = _f(587, "Port of the SMTP server.")
    smtp_starttls: bool = _f(True, "Upgrade the SMTP connection with STARTTLS before sending.")
    smtp_username: str = _f("", "SMTP login name; empty sends without logging in.")
    smtp_password: str = field(
        default="", repr=False, metadata={"help": "SMTP password (never logged or shown)."}
    )
    smtp_timeout_seconds: int = _f(30, "Time limit of one SMTP conversation.")
    mail_from: str = _f("", "From address of notification mail; default feedserver@HOST.")
    mail_include_text: bool = _f(
        False,
        "Include a private group's post text in mail; off, mail says only what happened and"
        " where (org groups' text is always included).",
    )
    mail_backoff_seconds: int = _f(60, "First retry delay of a mail the SMTP server deferred.")
    mail_give_up_hours: int = _f(48, "Give up on a mail this long after it was queued.")
    mail_lease_seconds: int = _f(
        300,
        "How long a mail being sent is held by the sender; after a crash it is sent again"
        " when this ends.",
    )
    insights_min_searchers: int = _f(
        5,
        "Distinct members who must have searched a term (in one week) before insights show it"
        " among the searches that found nothing; never below 3.",
    )
    insights_gap_min_questions: int = _f(
        3, "Questions on a topic in the period before insights call it a knowledge gap."
    )
    insights_gap_min_score: int = _f(
        3,
        "Expertise score (decayed, as the directory ranks it) a local member needs on a topic"
        " for it not to be a knowledge gap; with the default weights an accepted answer is 5,"
        " halving every expertise_half_life_days.",
    )
    insights_flush_seconds: int = _f(
        60, "How often searches that found nothing and FAQ page reads (in memory) are written."
    )

    @property
    def public_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def public_host(self) -> str:
        """The host part of the public URL (what `@name@host` mentions of us say)."""
        return urlsplit(self.public_url).hostname or "localhost"

    @property
    def sender_address(self) -> str:
        return self.mail_from or f"feedserver@{self.public_host}"

    @property
    def organization(self) -> str:
        return self.organization_name or (urlsplit(self.public_url).hostname or "feedserver")

    @property
    def db_path(self) -> Path:
        """The SQLite file (also where a PostgreSQL deployment's data_dir would keep one)."""
        if self.database_url.startswith("sqlite:///"):
            return Path(self.database_url.removeprefix("sqlite:///"))
        return self.data_dir / "feedserver.sqlite3"

    @property
    def uses_postgresql(self) -> bool:
        return self.database_url.startswith(("postgresql://", "postgres://"))


# Settings whose values are never printed or logged.
SECRET_SETTINGS = frozenset({"smtp_password"})


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line naming it."""


def _coerce(name: str, value: Any) -> Any:
    kind = {f.name: f.default for f in fields(Config)}[name]
    if isinstance(kind, bool):
        return (
            value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes", "on")
        )
    if isinstance(kind, int):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ConfigError(f"{name} must be a whole number, not {value!r}")
        try:
            return int(value)
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {value!r}") from None
    if isinstance(kind, Path):
        return Path(value)
    return str(value)


def _check(config: Config) -> None:
    url = config.database_url
    if url and not url.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ConfigError("database_url must start with sqlite:/// or postgresql://")
    if config.sqlite_synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
        raise ConfigError("sqlite_synchronous must be FULL, NORMAL or EXTRA")
    if not 0 <= config.port <= 65535:
        raise ConfigError(f"port must be between 0 and 65535, not {config.port}")
    if not 0 <= config.workers <= MAX_WORKERS:
        raise ConfigError(f"workers must be between 0 and {MAX_WORKERS}, not {config.workers}")
    if config.base_url and urlsplit(config.base_url).scheme not in ("http", "https"):
        raise ConfigError(f"base_url must start with https:// or http://, not {config.base_url!r}")
    if config.log_format not in ("text", "json"):
        raise ConfigError("log_format must be text or json")
    if config.search_readers < 1 or config.search_waiting < 0:
        raise ConfigError("search_readers must be at least 1 and search_waiting at least 0")
    if not 0 <= config.search_nice <= 19:
        raise ConfigError(f"search_nice must be between 0 and 19, not {config.search_nice}")
    if config.insights_min_searchers < 3:
        raise ConfigError("insights_min_searchers must be at least 3 (k-anonymity)")
    if config.insights_flush_seconds < 1:
        raise ConfigError("insights_flush_seconds must be at least 1")
    for part in filter(None, (p.strip() for p in config.metrics_allow.split(","))):
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ConfigError(f"metrics_allow: {part!r} is not an address or network") from None


def load_config(
    path: Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Config:
    """Build the Config from a TOML file (if any), FEEDSERVER_* variables and explicit overrides."""
    known = {f.name for f in fields(Config)}
    values: dict[str, Any] = {}
    if path is None and Path("feedserver.toml").exists():
        path = Path("feedserver.toml")
    if path is not None:
        try:
            with open(path, "rb") as fh:
                table = tomllib.load(fh)
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path} is not valid TOML: {exc}") from None
        table = table.get("feedserver", table)
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"{path}: unknown settings {sorted(unknown)}")
        values.update(table)
    env = os.environ if environ is None else environ
    for name in known:
        if (raw := env.get(f"FEEDSERVER_{name.upper()}")) is not None:
            values[name] = raw
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    config = replace(Config(), **{k: _coerce(k, v) for k, v in values.items()})
    _check(config)
    return config


def describe() -> list[tuple[str, Any, str]]:
    """(name, default, help) for every setting: the README and `--help` show these."""
    return [
        (f.name, f.default if f.default is not MISSING else None, f.metadata["help"])
        for f in fields(Config)
    ]


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # A JSON string is a TOML basic string: same quotes, same escapes (\uXXXX included).
    return json.dumps(str(value), ensure_ascii=False)


def to_toml(config: Config) -> str:
    """Every setting as TOML that feedserver.toml accepts, each with its meaning and default."""
    lines = ["# feedserver settings (paste into feedserver.toml; unset ones keep the default)"]
    for name, default, help_text in describe():
        lines += [f"# {help_text} Default: {_toml_value(default)}."]
        value = getattr(config, name)
        if name in SECRET_SETTINGS and value:
            lines += [f"# {name} is set; not shown", ""]
            continue
        if name == "database_url":
            value = without_password(value)
        lines += [f"{name} = {_toml_value(value)}", ""]
    return "\n".join(lines)


def without_password(url: str) -> str:
    """`url` with any password replaced by ***: what may be printed or logged."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()
