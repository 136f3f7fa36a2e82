"""Shared helpers of the review console tests: seeded databases, hand-made e-mails, users, logging in.

A seeded database holds the dev registry, every dev e-mail ingested through
the real commands (so the queue has real reasons), two hostile e-mails and
three users.  It is built once per backend and per test session, then copied
for each test (SQLite: the backup API; PostgreSQL: ``CREATE DATABASE ...
TEMPLATE``), which keeps the tests fast.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.cli import main
from mailworker.config import load_settings
from mailworker.db.models import Message, RawBlob, RegistryAccount, ReviewItem
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.users import add_user
from tests.conftest import DEV_CORPUS, _pg_admin

FAST_HASH = "pbkdf2:sha256:1000"  # tests only: the real default is scrypt
PASSWORD = "correct horse battery"
USERS = (("alice", "reviewer"), ("bob", "reviewer"), ("root", "admin"))
HOSTILE_MARK = "HOSTILE-"
REMOTE = "http://203.0.113.9"
SCRIPT = "<script>alert(1)</script>"
ONERROR = "<img src=x onerror=alert(1)>"
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def cli(config: Path, *args: str) -> int:
    """Run the real ``mailworker`` command quietly."""
    return main(["--config", str(config), "--log-level", "WARNING", *args])


def write_config(folder: Path, url: str) -> Path:
    """A settings file for ``url`` in ``folder``."""
    path = folder / f"settings-{uuid.uuid4().hex[:6]}.yaml"
    path.write_text(f"database: {{url: '{url}'}}\nrunner: {{lock_dir: '{folder / 'locks'}'}}\n", encoding="utf-8")
    return path


def hostile_emails() -> dict[str, bytes]:
    """Two e-mails whose every field tries to run script or load remote content (plain+HTML, HTML only)."""
    text = (f"Здравствуйте! {SCRIPT}\nПоказания счетчика 12345 {ONERROR}\n"
            f'<a href="javascript:alert(1)">click</a> <style>body{{display:none}}</style>\n'
            f'<img src="{REMOTE}/x.png">\nАдрес: ул. Несуществующая 1, кв. 1\n')
    html = (f"<html><head><link rel=stylesheet href='{REMOTE}/x.css'><style>@import url({REMOTE}/y.css);"
            f" body{{background:url({REMOTE}/bg.png)}}</style>{SCRIPT}</head><body onload=alert(1)>"
            f"<p>Показания счетчика 12345</p>{ONERROR}<img src='{REMOTE}/x.png'>"
            f"<a href='javascript:alert(1)'>click me</a><iframe src='{REMOTE}/'></iframe>"
            f"<form action='{REMOTE}/'><input name=q></form><svg onload=alert(1)></svg></body></html>")
    mails = {}
    for kind in ("plain", "html"):
        message = MIMEMultipart("mixed")
        message["Subject"] = Header(f"{HOSTILE_MARK}{kind} {SCRIPT} Показания {ONERROR}", "utf-8").encode()
        message["From"] = formataddr((str(Header(f"{ONERROR} Зловред", "utf-8")), "evil@example.com"))
        message["To"] = "pokazania@example.com"
        message["Date"] = format_datetime(datetime(2016, 12, 1, 10, 0, tzinfo=UTC))
        message["Message-ID"] = f"<hostile-{kind}@example.com>"
        body = MIMEMultipart("alternative")
        if kind == "plain":
            body.attach(MIMEText(text, "plain", "utf-8"))
        body.attach(MIMEText(html, "html", "utf-8"))
        message.attach(body)
        image = MIMEImage(PNG_1PX, "png")
        image.add_header("Content-Disposition", "attachment", filename=f"{ONERROR}.png")
        message.attach(image)
        fake = MIMEImage(f"<html>{SCRIPT}</html>".encode(), "png")
        fake.add_header("Content-Disposition", "attachment", filename="fake.png")
        message.attach(fake)
        svg = MIMEImage(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "svg+xml")
        svg.add_header("Content-Disposition", "attachment", filename="evil.svg")
        message.attach(svg)
        page = MIMEApplication(f"<html>{SCRIPT}</html>".encode(), "html")
        page.replace_header("Content-Type", "text/html")
        page.add_header("Content-Disposition", "attachment", filename=f'{SCRIPT}".html')
        message.attach(page)
        mails[kind] = message.as_bytes()
    return mails


def add_users(factory: sessionmaker[Session]) -> None:
    """alice and bob (reviewers) and root (admin), all with PASSWORD."""
    with factory.begin() as session:
        for name, role in USERS:
            add_user(session, name, PASSWORD, role, method=FAST_HASH)


def seed(url: str, folder: Path) -> None:
    """Registry, every dev e-mail, the hostile e-mails and the users, through the real commands."""
    config = write_config(folder, url)
    assert cli(config, "registry", "import", str(DEV_CORPUS / "registry.csv"),
               "--aliases", str(DEV_CORPUS / "street_aliases.csv")) == 0
    hostile = folder / "hostile"
    hostile.mkdir(exist_ok=True)
    for kind, raw in hostile_emails().items():
        (hostile / f"{kind}.eml").write_bytes(raw)
    assert cli(config, "ingest", str(DEV_CORPUS / "emails"), str(hostile)) == 0
    engine = make_engine(url)
    add_users(session_factory(engine))
    engine.dispose()


@dataclass
class _Templates:
    """Seeded template databases, built once per backend for the whole test session."""

    sqlite_path: Path | None = None
    pg_name: str | None = None
    pg_url: str | None = None


TEMPLATES = _Templates()


def _drop_pg_template() -> None:
    admin = _pg_admin()
    if admin is None or TEMPLATES.pg_name is None:
        return
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{TEMPLATES.pg_name}" WITH (FORCE)')
    admin.dispose()
    TEMPLATES.pg_name = None


def _sqlite_copy(request: pytest.FixtureRequest, target: Path) -> str:
    if TEMPLATES.sqlite_path is None:
        folder = request.getfixturevalue("tmp_path_factory").mktemp("review_template")
        path = folder / "template.db"
        seed(f"sqlite:///{path}", folder)
        TEMPLATES.sqlite_path = path
    with sqlite3.connect(TEMPLATES.sqlite_path) as source, sqlite3.connect(target) as copy:
        source.backup(copy)
    return f"sqlite:///{target}"


def _pg_copy(request: pytest.FixtureRequest) -> str:
    admin = request.getfixturevalue("pg_admin")
    if TEMPLATES.pg_name is None:
        name = f"mw_review_tmpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        TEMPLATES.pg_name = name
        request.config.add_cleanup(_drop_pg_template)
        url = admin.url.set(database=name).render_as_string(hide_password=False)
        seed(url, request.getfixturevalue("tmp_path_factory").mktemp("review_pg"))
    copy = f"mw_review_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   f"WHERE datname = '{TEMPLATES.pg_name}' AND pid <> pg_backend_pid()")
        connection.exec_driver_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{TEMPLATES.pg_name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')

    request.addfinalizer(drop)
    return str(admin.url.set(database=copy).render_as_string(hide_password=False))


def seeded_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """A private copy of the seeded database on ``backend`` (``sqlite`` or ``postgresql``)."""
    if not DEV_CORPUS.is_dir():
        pytest.skip("shared dev corpus not present")
    if backend == "sqlite":
        return _sqlite_copy(request, folder / f"review-{uuid.uuid4().hex[:6]}.db")
    return _pg_copy(request)


def fresh_url(request: pytest.FixtureRequest, backend: str, folder: Path) -> str:
    """An empty database on ``backend``, dropped when ``request``'s scope ends."""
    if backend == "sqlite":
        return f"sqlite:///{folder / f'fresh-{uuid.uuid4().hex[:6]}.db'}"
    admin = request.getfixturevalue("pg_admin")
    name = f"mw_review_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return str(admin.url.set(database=name).render_as_string(hide_password=False))


def open_factory(url: str) -> sessionmaker[Session]:
    """A session factory on ``url`` (migrations applied)."""
    engine = make_engine(url)
    upgrade(engine)
    return session_factory(engine)


def settings_for(url: str, folder: Path) -> Any:
    """The worker's settings for ``url``."""
    return load_settings(write_config(folder, url))


def hostile_item_ids(factory: sessionmaker[Session]) -> dict[str, int]:
    """Review item ids of the hostile e-mails, by kind (``plain``, ``html``)."""
    with factory() as session:
        rows = session.execute(select(ReviewItem.id, Message.subject)
                               .join(Message, Message.id == ReviewItem.message_id)
                               .where(Message.subject.contains(HOSTILE_MARK)))
        return {(subject or "").split(HOSTILE_MARK)[1].split()[0]: item_id for item_id, subject in rows}


def simple_email(text: str, *, subject: str = "Показания", sent: datetime | None = None) -> bytes:
    """A plain-text e-mail."""
    message = MIMEText(text, "plain", "utf-8")
    message["Subject"] = Header(subject, "utf-8").encode()
    message["From"] = "customer@example.com"
    message["Date"] = format_datetime(sent or datetime(2016, 12, 1, 9, 0, tzinfo=UTC))
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.com>"
    return message.as_bytes()


def insert_item(session: Session, raw: bytes, *, reasons: list[str], proposal: dict[str, Any],
                candidates: dict[str, Any] | None = None, created_at: datetime | None = None,
                sent_at: datetime | None = None, status: str = "open") -> ReviewItem:
    """A review item for ``raw`` written directly (no pipeline), for precise test cases."""
    digest = hashlib.sha256(raw).hexdigest()
    if session.get(RawBlob, digest) is None:
        session.add(RawBlob(sha256=digest, size=len(raw), data=raw))
        session.flush()
    now = created_at or datetime.now(UTC)
    message = Message(mailbox="test", folder="INBOX", uidvalidity=0, source_key=uuid.uuid4().hex, sha256=digest,
                      size=len(raw), fetched_at=now, status="review", subject="Показания",
                      sender="customer@example.com",
                      sent_at=sent_at or datetime(2016, 12, 1, 9, 0, tzinfo=UTC))
    session.add(message)
    session.flush()
    item = ReviewItem(message_id=message.id, status=status, reasons=reasons, proposal=proposal,
                      candidates=candidates or {}, created_at=now)
    session.add(item)
    session.flush()
    return item


def known_account(session: Session, zones: int = 1) -> RegistryAccount:
    """A registry account with a last reading and a last reading date, on a meter of ``zones`` zones."""
    account = session.scalar(select(RegistryAccount).where(RegistryAccount.zones == zones,
                                                           RegistryAccount.last_reading_date.is_not(None))
                             .order_by(RegistryAccount.account_id).limit(1))
    assert account is not None
    return account


def plain_item(factory: sessionmaker[Session], zones: int = 1) -> tuple[int, RegistryAccount]:
    """A fresh open item proposing the account's last reading + 10 per register, and that account."""
    with factory.begin() as session:
        account = known_account(session, zones)
        readings = {k: int(v) + 10 for k, v in account.last_readings.items()}
        assert account.last_reading_date is not None
        fixation = account.last_reading_date.replace(day=1)
        fixation = fixation.replace(month=fixation.month % 12 + 1, year=fixation.year + fixation.month // 12)
        text = f"Лицевой счет {account.account_id}, показания {' '.join(map(str, readings.values()))}"
        sent = datetime(fixation.year, fixation.month, fixation.day, 9, 0, tzinfo=UTC) + timedelta(days=1)
        item = insert_item(session, simple_email(text, sent=sent), reasons=["low_confidence"], sent_at=sent,
                           proposal={"account_id": account.account_id, "readings": readings,
                                     "fixation_date": fixation.isoformat(), "phone": None, "confidence": 0.3},
                           candidates={"accounts": [{"account_id": account.account_id}]},
                           created_at=datetime(2000, 1, 1, tzinfo=UTC))
        return item.id, account


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    found = _CSRF.search(html)
    assert found is not None, "no CSRF token in the page"
    return found.group(1)


def login(client: Any, name: str = "alice", password: str = PASSWORD) -> str:
    """Log ``client`` in; returns the session's CSRF token."""
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": csrf_from(page.text)})
    assert response.status_code == 302, response.text
    return csrf_from(client.get("/queue").text)
