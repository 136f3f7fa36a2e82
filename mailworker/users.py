"""Console users: roles ``reviewer`` and ``admin``, passwords stored only as salted scrypt hashes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from mailworker.db.review_models import ROLES, User, WebSession

DEFAULT_HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_NAME = re.compile(r"[\w.@-]{1,64}")
# Compared against when the user does not exist, so a wrong name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="pbkdf2:sha256:1000")


class UserError(ValueError):
    """A user cannot be created or changed as asked; the message says why in plain words."""


def check_name(name: str) -> str:
    """``name`` if it is a valid login name (letters, digits, ``. _ @ -``, at most 64), else UserError."""
    if not _NAME.fullmatch(name or ""):
        raise UserError("a user name is 1 to 64 letters, digits or . _ @ - (no spaces)")
    return name


def check_password(password: str) -> str:
    """``password`` if it is long enough (and not absurdly long), else UserError."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise UserError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return password


def find_user(session: Session, name: str) -> User | None:
    """The user called ``name`` (exact match), or None."""
    return session.scalar(select(User).where(User.name == name))


def add_user(session: Session, name: str, password: str, role: str = "reviewer", *,
             method: str = DEFAULT_HASH_METHOD) -> User:
    """Create a user (the caller commits); UserError on a bad name, role, password or a taken name."""
    check_name(name)
    check_password(password)
    if role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")
    if find_user(session, name) is not None:
        raise UserError(f"a user called {name!r} already exists")
    user = User(name=name, role=role, password_hash=generate_password_hash(password, method=method),
                active=True, created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, name: str, password: str, *, method: str = DEFAULT_HASH_METHOD) -> User:
    """Replace a user's password and end their sessions (the caller commits)."""
    check_password(password)
    user = find_user(session, name)
    if user is None:
        raise UserError(f"no user called {name!r}")
    user.password_hash = generate_password_hash(password, method=method)
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return user


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user whose name and password match, else None (same work whether the name exists or not)."""
    user = find_user(session, name) if _NAME.fullmatch(name or "") else None
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = datetime.now(UTC)
    return user
