"""The IMAP path against a real, private Dovecot: exactly-once, post-actions, reconnects, IDLE, errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import ConfigError, MailboxSettings, PostAction, RetrySettings
from mailworker.db.models import Message
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.pipeline import Context, DecodeStage, Stage
from mailworker.runner import MailboxRunner, run_mailbox
from mailworker.sources.imap import ImapSource, PermanentImapError

ROOT = Path(__file__).resolve().parents[1]
FLAG = b"$MailworkerProcessed"
pytestmark = pytest.mark.dovecot


def mail(i: int, body: str = "", size: int = 0) -> bytes:
    """A small realistic Russian message number ``i``."""
    text = body or f"Показания {10000 + i}, ул. Рабочая {i % 90 + 1}, кв. {i % 50 + 1}\n"
    text += "x" * size
    return (f"From: Client {i} <c{i}@example.net>\r\nTo: call@example.net\r\nSubject: pokazaniya {i}\r\n"
            f"Date: Tue, 01 Dec 2026 10:00:00 +0200\r\nMessage-ID: <m{i}@test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            ).encode() + text.encode("utf-8")


def mailbox_settings(server: Any, **overrides: Any) -> MailboxSettings:
    values: dict[str, Any] = {"name": "main", "host": server.host, "port": server.port, "security": "plain",
                              "username": server.user, "batch_size": 50, "connect_timeout": 5.0,
                              "read_timeout": 10.0, "idle_renew_seconds": 30, "poll_interval": 1.0}
    values.update(overrides)
    return MailboxSettings(**values)


FAST_RETRY = RetrySettings(max_attempts=0, once_attempts=3, initial_wait=0.1, max_wait=1.0)


def one_pass(server: Any, factory: sessionmaker[Session], **overrides: Any) -> Any:
    runner = MailboxRunner(mailbox_settings(server, **overrides), server.password, factory, (DecodeStage(),),
                           lambda: False)
    return run_mailbox(runner, FAST_RETRY, once=True)


def ledger_counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as session:
        rows = session.execute(select(Message.status, func.count()).group_by(Message.status)).all()
    return {status: count for status, count in rows}


def test_new_messages_recorded_flagged_and_not_refetched(dovecot: Any, factory: sessionmaker[Session]) -> None:
    """N messages give N processed ledger rows and N flags on the server; a second pass adds nothing."""
    dovecot.append_many(mail(i) for i in range(120))
    report = one_pass(dovecot, factory)
    assert report.fetched == 120
    assert ledger_counts(factory) == {"processed": 120}
    flags = dovecot.flags()
    assert all(FLAG in f and b"\\Seen" not in f for f in flags.values())
    assert one_pass(dovecot, factory).fetched == 0
    assert ledger_counts(factory) == {"processed": 120}


def test_move_post_action_moves_after_commit(dovecot: Any, factory: sessionmaker[Session]) -> None:
    """With post_action move, every message leaves INBOX for the target folder once it is stored."""
    dovecot.append_many(mail(i) for i in range(30))
    one_pass(dovecot, factory, post_action=PostAction(kind="move", move_to="Processed"))
    assert dovecot.uids() == []
    assert len(dovecot.uids("Processed")) == 30
    assert ledger_counts(factory) == {"processed": 30}


def test_uidvalidity_change_rescans_without_duplicates(dovecot: Any, factory: sessionmaker[Session]) -> None:
    """A recreated folder (new UIDVALIDITY) with old and new mail processes only the new mail."""
    dovecot.append_many(mail(i) for i in range(10))
    one_pass(dovecot, factory)
    before = dovecot.uidvalidity()
    dovecot.recreate_folder("INBOX", [mail(i) for i in range(15)])
    assert dovecot.uidvalidity() != before
    one_pass(dovecot, factory)
    assert ledger_counts(factory) == {"processed": 15, "duplicate": 10}


def test_oversized_message_quarantined_headers_kept(dovecot: Any, factory: sessionmaker[Session]) -> None:
    """A message above max_message_bytes is stored as headers only, quarantined, and the rest go on."""
    dovecot.append(mail(1))
    dovecot.append(mail(2, size=50_000))
    dovecot.append(mail(3))
    one_pass(dovecot, factory, max_message_bytes=10_000)
    with factory() as session:
        rows = {r.uid: r for r in session.scalars(select(Message))}
    assert rows[2].status == "quarantined" and rows[2].headers_only
    assert rows[2].size > 50_000 and "oversized_message" in (rows[2].error or "")
    assert rows[1].status == rows[3].status == "processed"
    assert len(dovecot.uids()) == 3  # left on the server


def test_wrong_password_is_permanent(dovecot: Any) -> None:
    """A wrong password raises a permanent error at once instead of being retried."""
    source = ImapSource(mailbox_settings(dovecot), "wrong")
    started = time.monotonic()
    with pytest.raises(PermanentImapError, match="login failed"):
        source.connect()
    assert time.monotonic() - started < 5


def test_missing_folder_is_permanent(dovecot: Any) -> None:
    """Selecting a folder that does not exist is a permanent error naming it."""
    source = ImapSource(mailbox_settings(dovecot, folder="Nope"), dovecot.password)
    with pytest.raises(PermanentImapError, match="Nope"):
        source.connect()


class SlowStage:
    """Makes processing slow enough for the server to be restarted mid-run."""

    name = "slow"

    def __call__(self, context: Context) -> None:
        time.sleep(0.01)


def test_dovecot_restart_mid_run_reconnects_exactly_once(dovecot: Any, factory: sessionmaker[Session]) -> None:
    """Stopping and restarting Dovecot mid-run makes the daemon reconnect; every message ends processed once."""
    dovecot.append_many(mail(i) for i in range(300))
    stop = threading.Event()
    stages: tuple[Stage, ...] = (DecodeStage(), SlowStage())
    runner = MailboxRunner(mailbox_settings(dovecot, batch_size=20), dovecot.password, factory, stages, stop.is_set)
    thread = threading.Thread(target=run_mailbox, args=(runner, FAST_RETRY), kwargs={"once": False})
    thread.start()
    try:
        wait_for(lambda: sum(ledger_counts(factory).values()) >= 60, 30)
        dovecot.stop()
        time.sleep(1.0)
        dovecot.start()
        wait_for(lambda: ledger_counts(factory).get("processed", 0) == 300, 60)
        wait_for(lambda: all(FLAG in f for f in dovecot.flags().values()), 30)
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()
    assert ledger_counts(factory) == {"processed": 300}


def wait_for(condition: Any, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"condition not met within {seconds} s")


# -- the real command, as an operator runs it ---------------------------------------------------------


@pytest.fixture
def cli_env(dovecot: Any, tmp_path: Path) -> Iterator[tuple[dict[str, str], Path]]:
    """Settings file + environment for running `worker.py run` against the private Dovecot on SQLite."""
    config = tmp_path / "settings.yaml"
    config.write_text(
        f"database: {{url: 'sqlite:///{tmp_path / 'mw.db'}'}}\n"
        f"runner: {{lock_dir: '{tmp_path / 'locks'}', retry: {{initial_wait: 0.1, max_wait: 1.0}}}}\n"
        f"mailboxes:\n  - {{name: main, host: {dovecot.host}, port: {dovecot.port}, security: plain,\n"
        f"     username: {dovecot.user}, batch_size: 25, idle_renew_seconds: 60, connect_timeout: 5.0}}\n")
    env = {**os.environ, "MAILWORKER_IMAP_PASSWORD": dovecot.password, "MAILWORKER_CONFIG": str(config)}
    env.pop("MAILWORKER_CRASH_AT", None)
    yield env, tmp_path


def worker(env: dict[str, str], *args: str, **kwargs: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, str(ROOT / "worker.py"), *args], env=env, cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def db_factory(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'mw.db'}")
    upgrade(engine)
    return session_factory(engine)


def test_sigkill_after_commit_before_post_action_no_duplicate(dovecot: Any, cli_env: Any) -> None:
    """A worker killed between the ledger commit and the post-action leaves no duplicate after a restart."""
    env, tmp_path = cli_env
    dovecot.append_many(mail(i) for i in range(40))
    crashed = worker({**env, "MAILWORKER_CRASH_AT": "after_commit"}, "run", "--once")
    crashed.communicate(timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    factory = db_factory(tmp_path)
    assert ledger_counts(factory) == {"fetched": 25}  # the first batch committed, nothing flagged yet
    assert not any(FLAG in f for f in dovecot.flags().values())
    again = worker(env, "run", "--once")
    again.communicate(timeout=60)
    assert again.returncode == 0
    assert ledger_counts(factory) == {"review": 40}  # no registry imported: every message waits for review
    assert all(FLAG in f for f in dovecot.flags().values())


def test_sigkill_after_post_action_before_bookkeeping(dovecot: Any, cli_env: Any) -> None:
    """A worker killed after flagging but before recording it re-applies the flag harmlessly on restart."""
    env, tmp_path = cli_env
    dovecot.append_many(mail(i) for i in range(10))
    crashed = worker({**env, "MAILWORKER_CRASH_AT": "after_post_action"}, "run", "--once")
    crashed.communicate(timeout=60)
    assert crashed.returncode == -signal.SIGKILL
    again = worker(env, "run", "--once")
    again.communicate(timeout=60)
    assert again.returncode == 0
    assert ledger_counts(db_factory(tmp_path)) == {"review": 10}


def test_a_message_that_kills_the_worker_is_quarantined_after_three_deaths(dovecot: Any, cli_env: Any) -> None:
    """A message that SIGKILLs the worker whenever it is processed ends quarantined, and the rest get through."""
    env, tmp_path = cli_env
    poison = mail(3).replace(b"MIME-Version: 1.0\r\n", b"MIME-Version: 1.0\r\nX-Mailworker-Test-Crash: yes\r\n")
    dovecot.append_many([*(mail(i) for i in range(3)), poison, *(mail(i) for i in range(4, 8))])
    crashing = {**env, "MAILWORKER_CRASH_AT": "marked_message"}
    codes = []
    for _ in range(8):
        run = worker(crashing, "run", "--once")
        run.communicate(timeout=60)
        codes.append(run.returncode)
        if run.returncode == 0:
            break
    # The first run dies in its batch; each of the next three dies on the poison message, taken up alone.
    assert codes == [-signal.SIGKILL] * 4 + [0]
    factory = db_factory(tmp_path)
    assert ledger_counts(factory) == {"review": 7, "quarantined": 1}
    with factory() as session:
        row = session.scalars(select(Message).where(Message.status == "quarantined")).one()
    assert row.message_id == "<m3@test>" and row.leftover_runs == 4
    assert row.error is not None and "the worker died each of the 3 times" in row.error
    assert all(FLAG in f for f in dovecot.flags().values())


def test_cli_wrong_password_exits_nonzero_without_retries(dovecot: Any, cli_env: Any) -> None:
    """`run --once` with a wrong password prints a clear error, exits 1, and never retries."""
    env, _ = cli_env
    proc = worker({**env, "MAILWORKER_IMAP_PASSWORD": "wrong"}, "run", "--once")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "login failed" in err and "not retried" in err
    assert "reconnecting" not in err


def test_cli_unreachable_server_exits_1_after_bounded_retries(cli_env: Any, dovecot: Any) -> None:
    """`run --once` against a stopped server retries a few times with back-off, then exits 1."""
    env, _ = cli_env
    dovecot.stop()
    proc = worker(env, "run", "--once")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert err.count("reconnecting") == 2
    assert "IMAP unreachable" in err


def test_idle_daemon_processes_new_mail_within_5_seconds(dovecot: Any, cli_env: Any) -> None:
    """A message appended while the daemon idles is processed within 5 s; SIGTERM then exits 0."""
    env, tmp_path = cli_env
    daemon = worker(env, "run")
    try:
        factory = db_factory(tmp_path)
        time.sleep(2.0)  # connected and idling
        appended = time.monotonic()
        dovecot.append(mail(1))
        wait_for(lambda: ledger_counts(factory).get("review", 0) == 1, 5)
        latency = time.monotonic() - appended
        second = worker(env, "run", "--once")
        _, err = second.communicate(timeout=30)
        assert second.returncode == 3 and "locked by another instance" in err
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert latency < 5


def test_missing_password_is_config_error_not_crash(tmp_path: Path) -> None:
    """A mailbox without a password environment value is a configuration error."""
    with pytest.raises(ConfigError):
        MailboxSettings(password_env="MW_DEFINITELY_UNSET").password()


@pytest.fixture
def tls_dovecot() -> Iterator[Any]:
    """A private Dovecot serving IMAPS and STARTTLS with a self-signed certificate."""
    from tests.dovecot import DovecotServer, dovecot_available

    if not dovecot_available():
        pytest.skip("dovecot-imapd is not installed")
    with DovecotServer(tls=True) as server:
        yield server


def test_imaps_and_starttls_with_a_trusted_certificate(tls_dovecot: Any, factory: sessionmaker[Session]) -> None:
    """IMAPS and STARTTLS both work when the server's certificate is trusted via ca_file."""
    tls_dovecot.append(mail(1))
    ssl_settings = mailbox_settings(tls_dovecot, security="ssl", port=tls_dovecot.tls_port,
                                    ca_file=str(tls_dovecot.certificate))
    report = run_mailbox(MailboxRunner(ssl_settings, tls_dovecot.password, factory, (DecodeStage(),),
                                       lambda: False), FAST_RETRY, once=True)
    assert report.fetched == 1
    tls_dovecot.append(mail(2))
    starttls = mailbox_settings(tls_dovecot, security="starttls", ca_file=str(tls_dovecot.certificate))
    report = run_mailbox(MailboxRunner(starttls, tls_dovecot.password, factory, (DecodeStage(),),
                                       lambda: False), FAST_RETRY, once=True)
    assert report.fetched == 1


def test_untrusted_certificate_is_a_permanent_error(tls_dovecot: Any) -> None:
    """A certificate that does not verify stops at once with a clear message instead of retrying."""
    source = ImapSource(mailbox_settings(tls_dovecot, security="ssl", port=tls_dovecot.tls_port),
                        tls_dovecot.password)
    with pytest.raises(PermanentImapError, match="certificate not trusted"):
        source.connect()
    plain_port_as_ssl = ImapSource(mailbox_settings(tls_dovecot, security="ssl"), tls_dovecot.password)
    with pytest.raises(PermanentImapError, match="TLS handshake failed"):
        plain_port_as_ssl.connect()


class TimedStage:
    """Records when each message is processed, and in which thread."""

    name = "timed"

    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def __call__(self, context: Context) -> None:
        time.sleep(0.005)
        self.calls.append((time.monotonic(), threading.current_thread().name))


def test_next_batch_is_fetched_while_this_one_is_processed(dovecot: Any, factory: sessionmaker[Session],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """A pass fetches batch k+1 in a helper thread while batch k is processed, and still stores each once."""
    dovecot.append_many(mail(i) for i in range(60))
    fetches: list[tuple[float, float, str]] = []
    original = ImapSource.fetch

    def timed_fetch(self: ImapSource, uids: Any, folder_label: str | None = None) -> Any:
        started = time.monotonic()
        result = original(self, uids, folder_label)
        fetches.append((started, time.monotonic(), threading.current_thread().name))
        return result

    monkeypatch.setattr(ImapSource, "fetch", timed_fetch)
    stage = TimedStage()
    runner = MailboxRunner(mailbox_settings(dovecot, batch_size=20), dovecot.password, factory,
                           (DecodeStage(), stage), lambda: False)
    run_mailbox(runner, FAST_RETRY, once=True)
    assert ledger_counts(factory) == {"processed": 60}
    assert [name.startswith("imap-fetch") for _, _, name in fetches] == [False, True, True]
    first_batch_done = stage.calls[19][0]
    assert fetches[1][0] < first_batch_done  # the second fetch began before the first batch was processed
    assert all(FLAG in flags for flags in dovecot.flags().values())


def test_imaplib_protocol_trace_is_off_unless_logged(dovecot: Any) -> None:
    """imaplib formats no protocol trace (a repr of every fetched message) unless its logger shows DEBUG."""
    import logging

    with ImapSource(mailbox_settings(dovecot), dovecot.password) as source:
        assert source.client is not None and source.client._imap.debug == 0
    trace = logging.getLogger("imapclient.imaplib")
    previous = trace.level
    trace.setLevel(logging.DEBUG)
    try:
        with ImapSource(mailbox_settings(dovecot), dovecot.password) as source:
            assert source.client is not None and source.client._imap.debug == 5
    finally:
        trace.setLevel(previous)
