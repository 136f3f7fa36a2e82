"""Login, logout, server-side sessions and CSRF protection.

The signed session cookie only carries a random token; the database keeps its
SHA-256 with the user and the session's CSRF token, so logging out (or an idle
timeout) really ends the session.  Every POST must carry the CSRF token of its
session (the login form has one of its own) and, when the browser sends an
``Origin`` header, come from this very host.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from mailworker.db.review_models import ReviewEvent, User, WebSession
from mailworker.review.audit import record_event
from mailworker.review.common import Actor, as_utc, utcnow
from mailworker.users import authenticate
from mailworker.web.app import state

blueprint = Blueprint("auth", __name__)
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.favicon", "static"})
TOUCH_EVERY = timedelta(seconds=60)
FAILED_LOGIN_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class CurrentUser:
    """The logged-in person as the views see them."""

    id: int
    name: str
    role: str

    @property
    def actor(self) -> Actor:
        """The user as the author of review actions."""
        return Actor(self.name, "web", admin=self.role == "admin")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _session_user(db: Session, token: str) -> tuple[CurrentUser, str] | None:
    """The user and CSRF token of a live session; expired sessions are deleted."""
    found = db.execute(select(WebSession, User).join(User, User.id == WebSession.user_id)
                       .where(WebSession.token_hash == _hash(token))).first()
    if found is None:
        return None
    web_session, user = found
    config = state().config
    now = utcnow()
    last_seen, created = as_utc(web_session.last_seen_at), as_utc(web_session.created_at)
    assert last_seen is not None and created is not None
    idle = now - last_seen > timedelta(minutes=config.session_idle_minutes)
    if idle or now - created > timedelta(hours=config.session_max_hours) or not user.active:
        db.delete(web_session)
        return None
    if now - last_seen > TOUCH_EVERY:
        web_session.last_seen_at = now
    return CurrentUser(user.id, user.name, user.role), web_session.csrf_token


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if not origin or origin == "null":  # "null": Referrer-Policy no-referrer hides it; the token decides
        return True
    return urlsplit(origin).netloc == request.host


def _check_csrf(expected: str) -> None:
    sent = request.form.get("csrf_token", "")
    if not expected or not hmac.compare_digest(sent.encode("utf-8"), expected.encode("utf-8")):
        abort(400, "The form is out of date or was not sent by this console. Reload the page and try again.")
    if not _same_origin():
        abort(403, "The form was sent from another site.")


def load_user() -> Response | None:
    """Before every request: find the session's user, require login, enforce CSRF on POST."""
    g.user = None
    if request.endpoint in ("static", "auth.favicon"):
        return None  # public files: no database work
    token = session.get("sid")
    if isinstance(token, str) and token:
        with state().factory.begin() as db:
            found = _session_user(db, token)
        if found is not None:
            g.user, g.csrf_token = found
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if g.user is None:
        session.pop("sid", None)
        if request.method == "GET":
            return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
        abort(401, "Please log in first.")
    if request.method == "POST":
        _check_csrf(g.csrf_token)
    return None


def current_user() -> CurrentUser:
    """The logged-in user (views run only after load_user made sure there is one)."""
    user: CurrentUser = g.user
    return user


def _safe_next(target: str | None) -> str:
    """Only paths on this site, never another host (open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("views.queue")
    return target


def _too_many_failures(db: Session, name: str) -> bool:
    since = utcnow() - FAILED_LOGIN_WINDOW
    failures = db.scalar(select(func.count()).select_from(ReviewEvent).where(
        ReviewEvent.action == "login_failed", ReviewEvent.actor == name[:200], ReviewEvent.at >= since)) or 0
    return int(failures) >= state().config.max_failed_logins


def _start_session(db: Session, user: User) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    idle_since = now - timedelta(minutes=state().config.session_idle_minutes)
    db.execute(delete(WebSession).where(WebSession.last_seen_at < idle_since))  # abandoned browsers
    db.add(WebSession(token_hash=_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                      created_at=now, last_seen_at=now))
    record_event(db, Actor(user.name, "web"), "login")
    return token


def _login_form(error: str | None = None, name: str = "", status: int = 200) -> tuple[str, int]:
    existing = session.get("login_csrf")
    token = existing if isinstance(existing, str) and existing else secrets.token_urlsafe(32)
    session["login_csrf"] = token
    return render_template("login.html", error=error, name=name, login_csrf=token,
                           next=request.values.get("next", "")), status


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The login form; a good name and password start a fresh session."""
    if request.method == "GET":
        if g.user is not None:
            return redirect(url_for("views.queue"))
        return _login_form()
    expected = session.get("login_csrf", "")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_form("The login form expired. Please try again.", status=400)
    name = request.form.get("name", "").strip()[:64]
    password = request.form.get("password", "")
    with state().factory.begin() as db:
        if _too_many_failures(db, name):
            return _login_form("Too many failed attempts. Wait 15 minutes or ask an administrator.", name, 429)
        user = authenticate(db, name, password)
        if user is None:
            record_event(db, Actor(name or "?", "web"), "login_failed")
            return _login_form("Wrong name or password.", name, 401)
        token = _start_session(db, user)
    session.clear()
    session["sid"] = token
    return redirect(_safe_next(request.form.get("next")))


@blueprint.route("/favicon.ico")
def favicon() -> Response:
    """No icon (and no login redirect for the browser's automatic request)."""
    return Response(status=204)


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session here and in the database."""
    token = session.get("sid", "")
    with state().factory.begin() as db:
        db.execute(delete(WebSession).where(WebSession.token_hash == _hash(str(token))))
        record_event(db, current_user().actor, "logout")
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
