"""Operations: acknowledgements end to end, health, metrics, database trouble and fail-over between workers."""

from __future__ import annotations

import email
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from prometheus_client import generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from mailworker.cli import main
from mailworker.db.models import Message
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.metrics import REGISTRY
from tests.conftest import DEV_CORPUS, FIXTURES
from tests.test_imap import FAST_RETRY, mail, mailbox_settings, wait_for

ROOT = Path(__file__).resolve().parents[1]


class Inbox:
    """Collects what the SMTP server receives."""

    def __init__(self) -> None:
        self.envelopes: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd API
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=5.0)
    controller.start()
    yield inbox, port
    controller.stop()


def test_ingest_acknowledges_each_sender_once(smtp: tuple[Inbox, int], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """With notify enabled, each human sender gets one threaded reply; the auto-reply gets none."""
    inbox, port = smtp
    config = tmp_path / "settings.yaml"
    config.write_text(f"database: {{url: 'sqlite:///{tmp_path / 'db.sqlite'}'}}\n"
                      f"notify: {{enabled: true, host: 127.0.0.1, port: {port}, security: plain,"
                      f" from_address: call@oblenergo.example}}\n")
    samples = FIXTURES / "emails"
    assert main(["--config", str(config), "--log-level", "WARNING", "ingest", str(samples)]) == 0
    assert main(["--config", str(config), "--log-level", "WARNING", "ingest", str(samples)]) == 0
    capsys.readouterr()
    recipients = sorted(r for envelope in inbox.envelopes for r in envelope.rcpt_tos)
    assert "auto@example.net" not in recipients
    assert len(recipients) == len(set(recipients)) == len(list(samples.glob("*.eml"))) - 1
    reply = email.message_from_bytes(inbox.envelopes[0].content)
    assert reply["Auto-Submitted"] == "auto-replied" and reply["In-Reply-To"].startswith("<sample-")
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with session_factory(engine)() as session:
        statuses = dict(session.execute(select(Message.ack_status, func.count()).group_by(Message.ack_status)).all())
    assert statuses == {"sent": len(recipients), "skipped:auto_submitted": 1}


def test_health_reflects_the_last_pass(dovecot: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`health` fails before any pass, succeeds right after one, and fails when the pass is too old."""
    config, _ = worker_settings(tmp_path, dovecot, f"sqlite:///{tmp_path / 'db.sqlite'}")
    os.environ["MAILWORKER_IMAP_PASSWORD"] = dovecot.password
    try:
        assert main(["--config", str(config), "health"]) == 1
        assert "no successful pass" in capsys.readouterr().out
        dovecot.append(mail(1))
        assert main(["--config", str(config), "--log-level", "WARNING", "run", "--once"]) == 0
        assert main(["--config", str(config), "health"]) == 0
        report = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert report["problems"] == [] and report["counts"]["review"] == 1
        time.sleep(1.1)
        assert main(["--config", str(config), "health", "--max-age", "1"]) == 1
    finally:
        os.environ.pop("MAILWORKER_IMAP_PASSWORD", None)


def test_metrics_count_messages_and_polls(dovecot: Any, factory: sessionmaker[Session], db_url: str) -> None:
    """A pass updates the Prometheus counters by status and the last-poll gauge."""
    from mailworker.pipeline import DecodeStage
    from mailworker.runner import MailboxRunner, run_mailbox

    before = generate_latest(REGISTRY).decode()
    dovecot.append_many(mail(i) for i in range(7))
    name = f"metrics-{db_url.split(':')[0]}"
    settings = mailbox_settings(dovecot, name=name)
    runner = MailboxRunner(settings, dovecot.password, factory, (DecodeStage(),), lambda: False)
    run_mailbox(runner, FAST_RETRY, once=True)
    after = generate_latest(REGISTRY).decode()
    assert f'mailworker_messages_total{{mailbox="{name}",status="processed"}} 7.0' in after
    assert f'mailworker_fetched_total{{mailbox="{name}"}} 7.0' in after
    assert f'mailworker_last_successful_poll_timestamp_seconds{{mailbox="{name}"}}' in after
    assert f'mailbox="{name}"' not in before


def test_database_connections_killed_mid_run_recover(dovecot: Any, pg_url: str, pg_admin: Any,
                                                     tmp_path: Path) -> None:
    """Terminating the worker's PostgreSQL connections mid-run makes it reconnect; nothing is lost or doubled."""
    config, env = worker_settings(tmp_path, dovecot, pg_url, ", batch_size: 20")
    dovecot.append_many(mail(i) for i in range(600))
    log_path = tmp_path / "worker.log"
    daemon = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=log_path.open("w"))
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    database = pg_url.rsplit("/", 1)[1]
    try:
        wait_for(lambda: count(factory) >= 100, 60)
        with pg_admin.connect() as connection:
            killed = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database}).scalar()
        assert killed
        engine.dispose()
        wait_for(lambda: count(factory, "review") == 600, 120)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    err = log_path.read_text()
    assert daemon.returncode == 0, err[-3000:]
    assert count(factory) == 600 and count(factory, "quarantined") == 0
    assert all(b"$MailworkerProcessed" in f for f in dovecot.flags().values())


def worker_settings(tmp_path: Path, dovecot: Any, database_url: str, mailbox_extra: str = ""
                    ) -> tuple[Path, dict[str, str]]:
    """A settings file for mailbox `main` on ``dovecot`` (fast retries) and the environment to run a worker."""
    config = tmp_path / "settings.yaml"
    config.write_text(
        f"database: {{url: '{database_url}'}}\n"
        f"runner: {{lock_dir: '{tmp_path / 'locks'}', retry: {{initial_wait: 0.2, max_wait: 1.0}}}}\n"
        f"mailboxes:\n  - {{name: main, host: {dovecot.host}, port: {dovecot.port}, security: plain,"
        f" username: {dovecot.user}{mailbox_extra}}}\n")
    return config, {**os.environ, "MAILWORKER_CONFIG": str(config), "MAILWORKER_IMAP_PASSWORD": dovecot.password}


def count(factory: sessionmaker[Session], status: str | None = None) -> int:
    with factory() as session:
        query = select(func.count()).select_from(Message)
        if status:
            query = query.where(Message.status == status)
        return int(session.scalar(query) or 0)


def test_failover_second_worker_takes_over(dovecot: Any, pg_url: str, tmp_path: Path) -> None:
    """Two workers share one mailbox on PostgreSQL; when the active one is killed the other continues."""
    config, env = worker_settings(tmp_path, dovecot, pg_url, ", batch_size: 20, idle_renew_seconds: 30")
    workers = [subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run", "--wait-lock"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=(tmp_path / f"worker{i}.log").open("w"))
               for i in range(2)]
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    try:
        dovecot.append_many(mail(i) for i in range(50))
        wait_for(lambda: count(factory, "review") == 50, 60)
        wait_for(lambda: active_worker(factory) is not None, 30)
        active = active_worker(factory)
        victim = next(w for w in workers if active and active.endswith(f":{w.pid}"))
        survivor = next(w for w in workers if w is not victim)
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        dovecot.append_many(mail(i) for i in range(50, 80))
        wait_for(lambda: count(factory, "review") == 80, 60)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(30)
    assert survivor.returncode == 0
    assert count(factory) == 80
    now_active = active_worker(factory)
    assert now_active and now_active.endswith(f":{survivor.pid}")


def active_worker(factory: sessionmaker[Session]) -> str | None:
    """host:pid of the worker that last finished a pass over mailbox `main`."""
    with factory() as session:
        return session.scalar(text("SELECT worker FROM mailbox_state WHERE mailbox = 'main'"))


def test_standby_worker_stops_on_sigterm(dovecot: Any, pg_url: str, tmp_path: Path) -> None:
    """A worker waiting for a held mailbox lock exits 0 promptly on SIGTERM."""
    config, env = worker_settings(tmp_path, dovecot, pg_url)
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    active = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: active_worker(factory) is not None, 30)
        standby = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run", "--wait-lock"], env=env,
                                   cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(3)
        assert standby.poll() is None
        standby.send_signal(signal.SIGTERM)
        _, err = standby.communicate(timeout=10)
        assert standby.returncode == 0, err
        assert "stopped while waiting" in err
    finally:
        active.send_signal(signal.SIGTERM)
        active.wait(30)


pytestmark = pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared corpus not present")


def test_read_only_database_stops_fetching_and_loses_nothing(dovecot: Any, pg_url: str, pg_admin: Any,
                                                             tmp_path: Path) -> None:
    """While the database refuses writes the worker stores and flags nothing, says why, then catches up."""
    config, env = worker_settings(tmp_path, dovecot, pg_url, ", idle_renew_seconds: 5")
    engine = make_engine(pg_url)
    upgrade(engine)
    factory = session_factory(engine)
    database = pg_url.rsplit("/", 1)[1]
    log_path = tmp_path / "worker.log"
    daemon = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=log_path.open("w"))

    def set_read_only(value: str) -> None:
        with pg_admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = {value}')
            connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database})
        engine.dispose()

    try:
        wait_for(lambda: active_worker(factory) is not None, 30)
        set_read_only("on")
        dovecot.append_many(mail(i) for i in range(20))
        wait_for(lambda: "transient database error" in log_path.read_text(), 30)
        assert count(factory) == 0
        assert not any(b"$MailworkerProcessed" in f for f in dovecot.flags().values())
        set_read_only("off")
        wait_for(lambda: count(factory, "review") == 20, 60)
    finally:
        with pg_admin.connect() as connection:
            connection.exec_driver_sql(f'ALTER DATABASE "{database}" SET default_transaction_read_only = off')
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    assert daemon.returncode == 0
    assert "read-only transaction" in log_path.read_text()
    wait_for(lambda: all(b"$MailworkerProcessed" in f for f in dovecot.flags().values()), 10)


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs to fill up (needs root and mount permission; skipped otherwise)."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], capture_output=True)


def test_full_disk_stops_fetching_and_loses_nothing(dovecot: Any, tiny_disk: Path, tmp_path: Path) -> None:
    """When the SQLite disk is full the worker stores and flags nothing more, says why, then catches up."""
    database = tiny_disk / "mw.db"
    config, env = worker_settings(tmp_path, dovecot, f"sqlite:///{database}", ", batch_size: 5, idle_renew_seconds: 5")
    log_path = tmp_path / "worker.log"
    dovecot.append_many(mail(i, size=120_000) for i in range(40))  # ~5 MB of raw bytes for a 2 MB disk
    daemon = subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "run"], env=env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=log_path.open("w"))
    try:
        wait_for(lambda: "transient database error" in log_path.read_text(), 60)
        engine = make_engine(f"sqlite:///{database}")
        stored = count(session_factory(engine))
        engine.dispose()
        assert 0 < stored < 40
        flagged = sum(1 for f in dovecot.flags().values() if b"$MailworkerProcessed" in f)
        assert flagged <= stored  # a message is flagged on the server only after it is safely stored
        subprocess.run(["mount", "-o", "remount,size=64m", str(tiny_disk)], check=True)
        factory = session_factory(make_engine(f"sqlite:///{database}"))
        wait_for(lambda: count(factory) == 40 and count(factory, "fetched") == 0, 60)
    finally:
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
    assert daemon.returncode == 0
    assert "database or disk is full" in log_path.read_text()
    wait_for(lambda: all(b"$MailworkerProcessed" in f for f in dovecot.flags().values()), 10)
