"""Fault injection: SIGKILL the worker at random moments, restart it, and check nothing is lost or doubled."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mailworker.db.models import Message, PostedReading
from mailworker.db.session import make_engine, session_factory
from tests.conftest import DEV_CORPUS

ROOT = Path(__file__).resolve().parents[1]
FLAG = b"$MailworkerProcessed"
ROUNDS = int(os.environ.get("MAILWORKER_FAULT_ROUNDS", "20"))
pytestmark = [pytest.mark.dovecot, pytest.mark.slow,
              pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared dev corpus not present")]


def corpus_copies(copies: int) -> list[bytes]:
    """The dev e-mails ``copies`` times, each copy with its own Message-ID (resubmissions of the same reading)."""
    raws = []
    for copy in range(copies):
        for path in sorted((DEV_CORPUS / "emails").glob("*.eml")):
            raw = path.read_bytes()
            raws.append(raw.replace(b"Message-ID: <", f"Message-ID: <copy{copy}-".encode(), 1))
    return raws


def settings_file(tmp_path: Path, server: Any, db_url: str) -> Path:
    config = tmp_path / "settings.yaml"
    config.write_text(
        f"database: {{url: '{db_url}'}}\n"
        f"runner: {{lock_dir: '{tmp_path / 'locks'}', retry: {{initial_wait: 0.1, max_wait: 1.0}}}}\n"
        f"mailboxes:\n  - {{name: main, host: {server.host}, port: {server.port}, security: plain,\n"
        f"     username: {server.user}, batch_size: 20, connect_timeout: 5.0}}\n")
    return config


TAG = "MAILWORKER_TEST_TAG"  # inherited by every process a test's workers start


def processes_tagged(tag: str) -> list[int]:
    """Pids of live processes whose environment carries ``TAG=tag``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes() if entry.name.isdigit() else b""
        except OSError:
            continue
        if f"{TAG}={tag}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def run_worker(env: dict[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, str(ROOT / "worker.py"), "--log-level", "WARNING", *args], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_random_sigkill_rounds_lose_and_double_nothing(dovecot: Any, db_url: str, tmp_path: Path) -> None:
    """After many SIGKILLs at random points (every other run with worker processes), nothing is lost or doubled."""
    # Enough mail that the worker (about 1,000 msg/s here) is still busy when most kills land.
    raws = corpus_copies(min(200, max(40, 5 * ROUNDS)))
    dovecot.append_many(raws)
    config = settings_file(tmp_path, dovecot, db_url)
    env = {**os.environ, "MAILWORKER_CONFIG": str(config), "MAILWORKER_IMAP_PASSWORD": dovecot.password,
           TAG: uuid.uuid4().hex}
    subprocess.run([sys.executable, str(ROOT / "worker.py"), "registry", "import",
                    str(DEV_CORPUS / "registry.csv"), "--aliases", str(DEV_CORPUS / "street_aliases.csv")],
                   env=env, check=True, capture_output=True)
    rng = random.Random(20261125)
    killed = 0
    for round_number in range(ROUNDS):
        proc = run_worker(env, "run", "--once", "--workers", str(1 + round_number % 2))
        time.sleep(rng.uniform(0.8, 2.0))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(30)
    final = run_worker(env, "run", "--once")
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()[-2000:]
    assert killed >= ROUNDS // 2, "the worker finished before most kills: make the mailbox bigger"
    assert wait_until(lambda: not processes_tagged(env[TAG])), "worker processes outlived their killed parent"

    factory = session_factory(make_engine(db_url))
    with factory() as session:
        statuses = dict(session.execute(select(Message.status, func.count()).group_by(Message.status)).all())
        owed = session.scalar(select(func.count()).select_from(Message).where(Message.post_action_done.is_(False)))
        posted = list(session.scalars(select(PostedReading)))
        ledger_uids = set(session.scalars(select(Message.uid)))
    assert sum(statuses.values()) == len(raws) and set(statuses) <= {"processed", "review"}, statuses
    assert owed == 0
    keys = [(p.account_id, p.fixation_date, p.registers_key) for p in posted]
    assert len(keys) == len(set(keys)), "a reading was posted twice"
    assert sum(p.resubmissions + 1 for p in posted) == statuses["processed"]
    flags = dovecot.flags()
    assert set(flags) == ledger_uids
    assert all(FLAG in f for f in flags.values())
