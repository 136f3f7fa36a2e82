"""The Flask application of the review console: configuration, security headers, error pages.

Server-rendered Jinja2 (autoescaping on), one small static JavaScript file for
keyboard shortcuts, and a strict Content-Security-Policy on every response.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, render_template
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.exceptions import HTTPException

from mailworker.config import Settings
from mailworker.review.audit import describe_changes
from mailworker.review.common import DEFAULT_CLAIM_MINUTES, reason_text

log = logging.getLogger("mailworker.web")

ENV_SECRET = "MAILWORKER_WEB_SECRET"
ENV_SECRET_FILE = "MAILWORKER_WEB_SECRET_FILE"
DEFAULT_SECRET_FILE = Path("var") / "web_secret"
MIN_SECRET_LENGTH = 32
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


class SecretError(RuntimeError):
    """The session secret cannot be read, created or is too weak."""


@dataclass(frozen=True, slots=True)
class WebConfig:
    """How the console runs: secret, claim time, cookie and session rules, page size."""

    secret_key: str
    claim_minutes: int = DEFAULT_CLAIM_MINUTES
    secure_cookies: bool = True
    session_idle_minutes: int = 8 * 60
    session_max_hours: int = 24
    per_page: int = 50
    max_failed_logins: int = 10


@dataclass(frozen=True, slots=True)
class WebState:
    """What the views need: the database, the worker's settings and the console's configuration."""

    factory: sessionmaker[Session]
    settings: Settings
    config: WebConfig


def load_secret_key(path: Path | None = None) -> str:
    """The session secret: $MAILWORKER_WEB_SECRET, else a file (created once with mode 0600)."""
    value = os.environ.get(ENV_SECRET)
    if value:
        if len(value) < MIN_SECRET_LENGTH:
            raise SecretError(f"{ENV_SECRET} must have at least {MIN_SECRET_LENGTH} characters")
        return value
    path = path or Path(os.environ.get(ENV_SECRET_FILE) or DEFAULT_SECRET_FILE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("secret file %s was readable by others (mode %o): tightened to 0600", path, mode)
            path.chmod(0o600)
        secret = path.read_text(encoding="ascii").strip()
        if len(secret) < MIN_SECRET_LENGTH:
            raise SecretError(f"{path}: the secret is too short; delete the file to generate a new one") from None
        return secret
    except OSError as error:
        raise SecretError(f"{path}: cannot create the secret file: {error.strerror}") from error
    secret = secrets.token_hex(32)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(secret + "\n")
    return secret


def state() -> WebState:
    """The console's state of the running application."""
    found: WebState = current_app.extensions["mailworker"]
    return found


def _security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", CSP)
    if not response.headers.get("Cache-Control"):
        response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("error.html", code=error.code, title=error.name,
                           message=error.description), error.code or 500


def create_app(factory: sessionmaker[Session], settings: Settings, config: WebConfig) -> Flask:
    """The console as a WSGI application on the given database."""
    from mailworker.web import auth, logs, views

    app = Flask("mailworker.web", static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=config.secret_key, SESSION_COOKIE_NAME="mw_session", SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=config.secure_cookies,
        MAX_CONTENT_LENGTH=256 * 1024, MAX_FORM_MEMORY_SIZE=256 * 1024, SEND_FILE_MAX_AGE_DEFAULT=3600,
        TEMPLATES_AUTO_RELOAD=False)
    app.jinja_env.autoescape = True
    app.extensions["mailworker"] = WebState(factory, settings, config)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(views.blueprint)
    app.register_blueprint(logs.blueprint)
    app.before_request(auth.load_user)
    app.after_request(_security_headers)
    app.register_error_handler(HTTPException, _error_page)
    app.jinja_env.globals.update(reason_text=reason_text, describe_changes=describe_changes)
    app.context_processor(_template_globals)
    return app


def _template_globals() -> dict[str, Any]:
    user = g.get("user")
    return {"current_user": user, "csrf_token": g.get("csrf_token", "")}
