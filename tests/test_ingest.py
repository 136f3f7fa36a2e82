"""`mailworker ingest`: .eml files, folders, Maildir and mbox through the ledger; twice adds nothing."""

from __future__ import annotations

import json
import mailbox
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from mailworker import ledger
from mailworker.cli import main
from mailworker.db.models import Message
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.parallel import PreparationError
from mailworker.pipeline import Context, Stage
from mailworker.processing import process_many, process_one
from tests.conftest import FIXTURES, MIME_CORPUS

SAMPLES = FIXTURES / "emails"


def done(counts: dict[str, int]) -> int:
    """Messages that went through the whole pipeline (posted or waiting for a reviewer)."""
    return counts["processed"] + counts["review"]


def ingest(db_url: str, tmp_path: Path, *paths: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, int]:
    config = tmp_path / "settings.yaml"
    config.write_text(f"database: {{url: '{db_url}'}}\nrunner: {{lock_dir: '{tmp_path / 'locks'}'}}\n")
    assert main(["--config", str(config), "--log-level", "WARNING", "ingest", *map(str, paths)]) == 0
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_ingest_folder_twice_adds_nothing(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                          ) -> None:
    """Every sample becomes one processed ledger row, and a second import changes no count."""
    first = ingest(db_url, tmp_path, SAMPLES, capsys=capsys)
    total = len(list(SAMPLES.glob("*.eml")))
    assert sum(first.values()) == total
    assert first["fetched"] == 0 and first["quarantined"] == 0
    second = ingest(db_url, tmp_path, SAMPLES, capsys=capsys)
    assert second == first


def test_ingest_maildir_and_mbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Maildir and mbox archives are read message by message with stable keys."""
    maildir = mailbox.Maildir(str(tmp_path / "md"), create=True)
    box = mailbox.mbox(str(tmp_path / "box.mbox"), create=True)
    for sample in sorted(SAMPLES.glob("*.eml"))[:3]:
        maildir.add(sample.read_bytes())
        box.add(sample.read_bytes())
    box.flush()
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    counts = ingest(url, tmp_path, tmp_path / "md", capsys=capsys)
    assert done(counts) == 3
    counts = ingest(url, tmp_path, tmp_path / "box.mbox", capsys=capsys)
    # The mbox copies may differ in bytes (From_ quoting), so each is a new row or a duplicate,
    # never lost and never processed twice.
    assert done(counts) + counts["duplicate"] == 6
    again = ingest(url, tmp_path, tmp_path / "md", tmp_path / "box.mbox", capsys=capsys)
    assert again == counts


def test_single_file_and_copy_elsewhere_is_duplicate(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    """The same bytes under another path are recorded as a duplicate, not processed again."""
    sample = sorted(SAMPLES.glob("*.eml"))[0]
    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copy(sample, copy_dir / "renamed.eml")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ingest(url, tmp_path, sample, capsys=capsys)
    counts = ingest(url, tmp_path, copy_dir / "renamed.eml", capsys=capsys)
    assert done(counts) == 1 and counts["duplicate"] == 1


def test_missing_path_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A path that does not exist exits 1 with a message naming it."""
    config = tmp_path / "settings.yaml"
    config.write_text(f"database: {{url: 'sqlite:///{tmp_path / 'db.sqlite'}'}}\n")
    assert main(["--config", str(config), "ingest", str(tmp_path / "nope")]) == 1
    assert "nope: no such file or directory" in capsys.readouterr().err


class Explodes:
    """A stage that fails like a bug would."""

    name = "explodes"

    def __call__(self, context: Context) -> None:
        raise ZeroDivisionError("boom")


def test_stage_error_quarantines_with_traceback_and_raw_kept(factory: sessionmaker[Session]) -> None:
    """An exception in a stage rolls back, quarantines the message with its traceback, and keeps the bytes."""
    raw = (SAMPLES / "0001-cp1251-qp.eml").read_bytes()
    with factory.begin() as session:
        row = ledger.record(session, ledger.FetchedMessage("local", "/x", 0, "1", raw, len(raw)))
        assert row is not None
        row_id = row.id
    stages: tuple[Stage, ...] = (Explodes(),)
    outcome = process_one(factory, row_id, stages)
    assert outcome is not None and outcome.status == "quarantined"
    with factory() as session:
        stored = session.get(Message, row_id)
        assert stored is not None and stored.status == "quarantined"
        assert stored.traceback is not None and "ZeroDivisionError" in stored.traceback
        assert ledger.raw_bytes(session, stored) == raw


@pytest.mark.skipif(not MIME_CORPUS.is_dir(), reason="shared MIME corpus not present")
def test_whole_peer_mime_corpus_ingests_without_crashing(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """Every real-world message from other projects' test suites ends processed, review or quarantined."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    counts = ingest(url, tmp_path, MIME_CORPUS, capsys=capsys)
    files = [p for p in MIME_CORPUS.rglob("*") if p.is_file() and not p.name.startswith(".")]
    assert counts["fetched"] == 0
    assert sum(counts.values()) == len(files)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        crashed = session.query(Message).filter(Message.status == "quarantined",
                                                Message.headers_only.is_(False)).count()
    engine.dispose()
    print(f"mime corpus: {counts}")
    assert crashed == 0, "a peer message crashed the pipeline"


def test_worker_process_failure_quarantines_that_message(tmp_path: Path) -> None:
    """A stage failing inside a worker process quarantines that message with the worker's traceback."""
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    upgrade(engine)
    factory = session_factory(engine)
    raw = (SAMPLES / "0001-cp1251-qp.eml").read_bytes()
    with factory.begin() as session:
        row = ledger.record(session, ledger.FetchedMessage("local", "/x", 0, "1", raw, len(raw)))
        assert row is not None
        row_id = row.id
    failure = PreparationError("Traceback (most recent call last):\n  ...\nValueError: bad part")
    outcomes = list(process_many(factory, [(row_id, raw)], (), prepared={row_id: failure}))
    assert [o.status for o in outcomes] == ["quarantined"]
    with factory() as session:
        stored = session.get(Message, row_id)
        assert stored is not None and "ValueError: bad part" in (stored.error or "")
