"""Shared fixtures: databases (SQLite and a private PostgreSQL database) and a private Dovecot."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.session import make_engine, session_factory, upgrade

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.is_dir():
    SHARED = Path(__file__).resolve().parents[1].parent / "shared"
DEV_CORPUS = SHARED / "corpus" / "dev"
MIME_CORPUS = SHARED / "corpora" / "mime"
PG_ADMIN_URL = os.environ.get("MAILWORKER_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_admin() -> Engine | None:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None
    engine = make_engine(PG_ADMIN_URL)
    try:
        with engine.connect():
            return engine.execution_options(isolation_level="AUTOCOMMIT")  # type: ignore[return-value]
    except Exception:  # noqa: BLE001
        engine.dispose()
        return None


def _require(reason: str) -> None:
    """Skip on a developer machine, fail in CI: CI must prove the real thing."""
    if os.environ.get("CI"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[Engine]:
    """An autocommit engine on the shared `test` database, used to create private databases."""
    engine = _pg_admin()
    if engine is None:
        _require(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    assert engine is not None
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url(pg_admin: Engine) -> Iterator[str]:
    """URL of a fresh PostgreSQL database of this test's own, dropped afterwards."""
    name = f"mw_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with pg_admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = pg_admin.url.set(database=name).render_as_string(hide_password=False)
    yield url
    with pg_admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated-later, empty database URL: once SQLite, once PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mailworker.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on ``db_url`` with every migration applied."""
    created = make_engine(db_url)
    upgrade(created)
    yield created
    created.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory on the migrated test database."""
    return session_factory(engine)


@pytest.fixture
def dovecot() -> Iterator[object]:
    """A private Dovecot on a free loopback port, stopped after the test."""
    from tests.dovecot import DovecotServer, dovecot_available

    if not dovecot_available():
        _require("dovecot-imapd is not installed")
    with DovecotServer() as server:
        yield server
