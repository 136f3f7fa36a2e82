"""settings.yaml + environment → frozen, typed settings.

The file is read once at start; every error names the key that is wrong so an
operator can fix it without reading code.  Secrets never live in the YAML: the
IMAP password and a database URL with a password come from environment
variables (or a file named by one), see ``settings.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from mailworker.notify import SmtpSettings

DEFAULT_CONFIG = "settings.yaml"
ENV_CONFIG = "MAILWORKER_CONFIG"
ENV_DATABASE_URL = "MAILWORKER_DATABASE_URL"


class ConfigError(Exception):
    """The settings cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    url: str = "sqlite:///var/mailworker.db"
    echo: bool = False
    sqlite_busy_timeout_ms: int = 30000


@dataclass(frozen=True, slots=True)
class PostAction:
    kind: str = "flag"  # flag | move | none
    flag: str = "$MailworkerProcessed"
    move_to: str = "Processed"


@dataclass(frozen=True, slots=True)
class MailboxSettings:
    name: str = "main"
    host: str = "localhost"
    port: int = 993
    security: str = "ssl"  # ssl | starttls | plain
    verify_tls: bool = True
    ca_file: str | None = None
    username: str = ""
    password_env: str = "MAILWORKER_IMAP_PASSWORD"
    password_file: str | None = None
    folder: str = "INBOX"
    batch_size: int = 200
    max_message_bytes: int = 25 * 1024 * 1024
    connect_timeout: float = 30.0
    read_timeout: float = 120.0
    idle: bool = True
    idle_renew_seconds: int = 540
    poll_interval: float = 60.0
    post_action: PostAction = field(default_factory=PostAction)

    def password(self) -> str:
        """The IMAP password from the environment or the password file; ConfigError when absent."""
        if self.password_file:
            path = Path(self.password_file)
            try:
                return path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"mailboxes[{self.name}].password_file: cannot read {path}: {exc.strerror}"
                ) from exc
        value = os.environ.get(self.password_env)
        if not value:
            raise ConfigError(
                f"mailboxes[{self.name}].password_env: environment variable {self.password_env} is not set"
            )
        return value


@dataclass(frozen=True, slots=True)
class RetrySettings:
    max_attempts: int = 0  # 0 = retry transient errors forever (daemon); --once uses once_attempts
    once_attempts: int = 3
    initial_wait: float = 1.0
    max_wait: float = 300.0


@dataclass(frozen=True, slots=True)
class RunnerSettings:
    lock_dir: str = "var/locks"
    metrics_port: int = 0
    metrics_host: str = "127.0.0.1"
    health_max_age: float = 900.0
    workers: int = 1  # processes for decode+extract (1 = all in the worker itself)
    retry: RetrySettings = field(default_factory=RetrySettings)


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    level: str = "INFO"
    format: str = "text"  # text | json


@dataclass(frozen=True, slots=True)
class DecisionSettings:
    min_confidence: float = 0.35
    spike_factor: float = 3.0
    stale_days: int = 31
    fuzzy_threshold: float = 85.0


@dataclass(frozen=True, slots=True)
class ReviewSettings:
    claim_minutes: int = 30


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    decision: DecisionSettings = field(default_factory=DecisionSettings)
    notify: SmtpSettings = field(default_factory=SmtpSettings)
    review: ReviewSettings = field(default_factory=ReviewSettings)
    mailboxes: tuple[MailboxSettings, ...] = (MailboxSettings(),)
    runner: RunnerSettings = field(default_factory=RunnerSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    source_path: str | None = None

    def mailbox(self, name: str | None) -> MailboxSettings:
        """The mailbox called ``name`` (the first one when ``name`` is None)."""
        if name is None:
            return self.mailboxes[0]
        for mailbox in self.mailboxes:
            if mailbox.name == name:
                return mailbox
        known = ", ".join(m.name for m in self.mailboxes)
        raise ConfigError(f"mailboxes: no mailbox named {name!r} (known: {known})")


_CHOICES: dict[str, tuple[str, ...]] = {
    "PostAction.kind": ("flag", "move", "none"),
    "MailboxSettings.security": ("ssl", "starttls", "plain"),
    "LoggingSettings.format": ("text", "json"),
    "LoggingSettings.level": ("DEBUG", "INFO", "WARNING", "ERROR"),
    "SmtpSettings.security": ("starttls", "ssl", "plain"),
}


def _convert(value: Any, hint: Any, key: str) -> Any:
    """Check ``value`` against the annotated type ``hint``; ConfigError naming ``key`` when it does not fit."""
    if hint in (str, "str"):
        if not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string, got {type(value).__name__}")
        return value
    if hint == "str | None" or hint == (str | None):
        if value is not None and not isinstance(value, str):
            raise ConfigError(f"{key}: expected a string or null, got {type(value).__name__}")
        return value
    if hint in (bool, "bool"):
        if not isinstance(value, bool):
            raise ConfigError(f"{key}: expected true or false, got {value!r}")
        return value
    if hint in (int, "int"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        return value
    if hint in (float, "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{key}: expected a number, got {value!r}")
        return float(value)
    if isinstance(hint, type) and hasattr(hint, "__dataclass_fields__"):
        return _build(hint, value, key)
    raise ConfigError(f"{key}: unsupported setting type {hint!r}")  # pragma: no cover


def _build(cls: type, data: Any, prefix: str) -> Any:
    """Build dataclass ``cls`` from a mapping, rejecting unknown keys."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ConfigError(f"{prefix or 'settings'}: expected a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    names = {f.name for f in fields(cls)} - {"source_path"}
    unknown = sorted(set(map(str, data)) - names)
    if unknown:
        where = f"{prefix}." if prefix else ""
        raise ConfigError(f"{where}{unknown[0]}: unknown key (allowed: {', '.join(sorted(names))})")
    kwargs: dict[str, Any] = {}
    for name in names:
        if name not in data:
            continue
        key = f"{prefix}.{name}" if prefix else name
        if name == "mailboxes":
            kwargs[name] = _build_mailboxes(data[name], key)
            continue
        value = _convert(data[name], hints[name], key)
        choices = _CHOICES.get(f"{cls.__name__}.{name}")
        if choices and value not in choices:
            raise ConfigError(f"{key}: must be one of {', '.join(choices)}, got {value!r}")
        kwargs[name] = value
    result = cls(**kwargs)
    _check_ranges(result, prefix)
    return result


def _build_mailboxes(value: Any, key: str) -> tuple[MailboxSettings, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{key}: expected a non-empty list of mailboxes")
    mailboxes = tuple(_build(MailboxSettings, item, f"{key}[{i}]") for i, item in enumerate(value))
    names = [m.name for m in mailboxes]
    if len(set(names)) != len(names):
        raise ConfigError(f"{key}: mailbox names must be unique, got {names}")
    return mailboxes


def _check_ranges(obj: Any, prefix: str) -> None:
    positive = ("spike_factor", "stale_days", "batch_size", "max_message_bytes", "connect_timeout", "read_timeout",
                "poll_interval",
                "idle_renew_seconds", "once_attempts", "initial_wait", "max_wait", "health_max_age", "claim_minutes",
                "workers")
    for name in positive:
        if hasattr(obj, name) and getattr(obj, name) <= 0:
            raise ConfigError(f"{prefix}.{name}: must be greater than 0")
    if isinstance(obj, DecisionSettings) and not 0 <= obj.min_confidence <= 1:
        raise ConfigError(f"{prefix}.min_confidence: must be between 0 and 1")
    if isinstance(obj, DecisionSettings) and not 0 < obj.fuzzy_threshold <= 100:
        raise ConfigError(f"{prefix}.fuzzy_threshold: must be in (0, 100]")
    if isinstance(obj, MailboxSettings) and obj.idle_renew_seconds > 1740:
        raise ConfigError(f"{prefix}.idle_renew_seconds: must be at most 1740 (RFC 2177: 29 minutes)")


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load settings from ``path`` (or $MAILWORKER_CONFIG, or ./settings.yaml if present, else defaults)."""
    chosen = path or os.environ.get(ENV_CONFIG)
    data: Any = {}
    source: str | None = None
    if chosen is None and Path(DEFAULT_CONFIG).is_file():
        chosen = DEFAULT_CONFIG
    if chosen is not None:
        source = str(chosen)
        try:
            text = Path(chosen).read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{chosen}: cannot read settings file: {exc.strerror}") from exc
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{chosen}: not valid YAML: {exc}") from exc
    settings: Settings = _build(Settings, data, "")
    url = os.environ.get(ENV_DATABASE_URL)
    database = settings.database
    if url:
        database = DatabaseSettings(url=url, echo=database.echo,
                                    sqlite_busy_timeout_ms=database.sqlite_busy_timeout_ms)
    return Settings(database=database, decision=settings.decision, notify=settings.notify, review=settings.review,
                    mailboxes=settings.mailboxes,
                    runner=settings.runner, logging=settings.logging, source_path=source)
