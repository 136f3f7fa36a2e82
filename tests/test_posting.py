"""Registry import, posting, review items and export on SQLite and PostgreSQL, through the real commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.cli import main
from mailworker.db.models import Message, PostedReading, RegistryAccount, ReviewItem
from mailworker.db.session import make_engine, session_factory
from tests.conftest import DEV_CORPUS

pytestmark = pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared dev corpus not present")


def cli(config: Path, *args: str) -> int:
    return main(["--config", str(config), "--log-level", "WARNING", *args])


@pytest.fixture
def config(db_url: str, tmp_path: Path) -> Path:
    path = tmp_path / "settings.yaml"
    path.write_text(f"database: {{url: '{db_url}'}}\nrunner: {{lock_dir: '{tmp_path / 'locks'}'}}\n")
    return path


@pytest.fixture
def db(db_url: str) -> sessionmaker[Session]:
    return session_factory(make_engine(db_url))


def import_dev_registry(config: Path) -> None:
    assert cli(config, "registry", "import", str(DEV_CORPUS / "registry.csv"),
               "--aliases", str(DEV_CORPUS / "street_aliases.csv")) == 0


def test_registry_import_is_idempotent(config: Path, db: sessionmaker[Session],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A second import of the same file inserts and updates nothing and says so."""
    import_dev_registry(config)
    assert "150 inserted, 0 updated, 0 unchanged, 90 aliases" in capsys.readouterr().out
    import_dev_registry(config)
    assert "0 inserted, 0 updated, 150 unchanged" in capsys.readouterr().out
    with db() as session:
        row = session.get(RegistryAccount, "0011055495")
        assert row is not None and row.last_readings == {"total": 20796}


def test_bad_registry_row_imports_nothing(config: Path, db: sessionmaker[Session], tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """One bad row aborts the import with file, line and column named, and no account is written."""
    lines = (DEV_CORPUS / "registry.csv").read_text(encoding="utf-8").splitlines()
    fields = lines[5].split(",")
    fields[2] = "7"
    lines[5] = ",".join(fields)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli(config, "registry", "import", str(bad)) == 1
    err = capsys.readouterr().err
    assert "bad.csv" in err and ":6" in err and "zones" in err
    with db() as session:
        assert session.scalar(select(func.count()).select_from(RegistryAccount)) == 0


def test_ingest_posts_accepted_and_queues_the_rest(config: Path, db: sessionmaker[Session],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """Every dev e-mail ends posted or in review; posted readings move the registry's last reading."""
    import_dev_registry(config)
    assert cli(config, "ingest", str(DEV_CORPUS / "emails")) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts["processed"] + counts["review"] == 80 and counts["quarantined"] == 0
    with db() as session:
        posted = session.scalar(select(func.count()).select_from(PostedReading))
        reviews = session.scalar(select(func.count()).select_from(ReviewItem))
        assert posted == counts["processed"] and reviews == counts["review"]
        reading = session.scalar(select(PostedReading).where(PostedReading.account_id == "5256534116"))
        assert reading is not None and reading.registers == {"total": 25684}
        account = session.get(RegistryAccount, "5256534116")
        assert account is not None and account.last_readings == {"total": 25684}
        item = session.scalar(select(ReviewItem).join(Message, Message.id == ReviewItem.message_id)
                              .where(ReviewItem.reasons.is_not(None)).limit(1))
        assert item is not None and item.status == "open" and item.reasons


def test_resubmission_is_posted_once(config: Path, db: sessionmaker[Session], tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """The same reading sent again (another message) is accepted but recorded once."""
    import_dev_registry(config)
    original = (DEV_CORPUS / "emails" / "0001.eml").read_bytes()
    again = original.replace(b"Message-ID: <", b"Message-ID: <resent-", 1)
    assert again != original
    (tmp_path / "a.eml").write_bytes(original)
    (tmp_path / "b.eml").write_bytes(again)
    assert cli(config, "ingest", str(tmp_path / "a.eml"), str(tmp_path / "b.eml")) == 0
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts["processed"] == 2
    with db() as session:
        rows = list(session.scalars(select(PostedReading)))
        assert len(rows) == 1 and rows[0].resubmissions == 1


def test_export_csv_json_and_new(config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Export writes every posted reading; --new afterwards exports nothing until more are posted."""
    import_dev_registry(config)
    cli(config, "ingest", str(DEV_CORPUS / "emails" / "0001.eml"), str(DEV_CORPUS / "emails" / "0007.eml"))
    capsys.readouterr()
    out = tmp_path / "billing.json"
    assert cli(config, "export", "--format", "json", "--out", str(out), "--new") == 0
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert {r["account_id"] for r in rows} >= {"5256534116"}
    assert rows[0]["fixation_date"] == "2016-12-01"
    assert cli(config, "export", "--new") == 0
    assert capsys.readouterr().out.strip().splitlines() == [
        "reading_id,account_id,fixation_date,total,day,night,peak,half_peak,posted_at,decided_by,reviewer,"
        "message_id"]
    cli(config, "ingest", str(DEV_CORPUS / "emails" / "0003.eml"))
    capsys.readouterr()
    assert cli(config, "export", "--new", "--since", "2016-01-01") == 0
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_parallel_ingest_gives_the_same_outcomes(config: Path, db: sessionmaker[Session], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """`ingest --workers 2` (decode+extract in worker processes) ends every message exactly as the serial path."""
    import_dev_registry(config)
    assert cli(config, "ingest", "--workers", "2", str(DEV_CORPUS / "emails")) == 0
    parallel = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    serial_config = tmp_path / "serial.yaml"
    serial_config.write_text(f"database: {{url: 'sqlite:///{tmp_path / 'serial.db'}'}}\n")
    import_dev_registry(serial_config)
    assert cli(serial_config, "ingest", str(DEV_CORPUS / "emails")) == 0
    serial = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert parallel == serial and parallel["processed"] + parallel["review"] == 80
    assert outcomes(db) == outcomes(session_factory(make_engine(f"sqlite:///{tmp_path / 'serial.db'}")))


def outcomes(factory: sessionmaker[Session]) -> dict[str, tuple[str, object]]:
    """File name -> (status, reasons) of every ledger row."""
    with factory() as session:
        return {m.source_key: (m.status, (m.summary or {}).get("reasons")) for m in session.scalars(select(Message))}
