"""The console for any WSGI server, e.g. ``gunicorn 'mailworker.web.wsgi:create()'``.

Configured from the environment: $MAILWORKER_CONFIG (settings file),
$MAILWORKER_WEB_SECRET or the secret file, $MAILWORKER_CLAIM_MINUTES (default:
``review.claim_minutes``) and $MAILWORKER_WEB_SECURE_COOKIES (``0`` only for plain-HTTP loopback use).
"""

from __future__ import annotations

import os

from flask import Flask

from mailworker.config import ConfigError, load_settings
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.review.common import DEFAULT_CLAIM_MINUTES
from mailworker.web.app import WebConfig, create_app, load_secret_key


def _claim_minutes(default: int = DEFAULT_CLAIM_MINUTES) -> int:
    text = os.environ.get("MAILWORKER_CLAIM_MINUTES", str(default))
    if not text.isdigit() or int(text) <= 0:
        raise ConfigError(f"MAILWORKER_CLAIM_MINUTES: expected a positive whole number, got {text!r}")
    return int(text)


def create(config_path: str | None = None) -> Flask:
    """The console on the configured database (its schema brought up to date first)."""
    settings = load_settings(config_path)
    database = settings.database
    engine = make_engine(database.url, echo=database.echo, busy_timeout_ms=database.sqlite_busy_timeout_ms)
    upgrade(engine)
    secure = os.environ.get("MAILWORKER_WEB_SECURE_COOKIES", "1") != "0"
    config = WebConfig(load_secret_key(), claim_minutes=_claim_minutes(settings.review.claim_minutes),
                       secure_cookies=secure)
    return create_app(session_factory(engine), settings, config)
