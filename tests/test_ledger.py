"""The ledger on SQLite and PostgreSQL: one row per source position, duplicates recognised, raw kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker import ledger
from mailworker.db.models import Base, RawBlob
from mailworker.ledger import FetchedMessage

RAW = b"Message-ID: <a@b>\r\nSubject: hi\r\n\r\nbody 12345\r\n"


def fetched(uid: int, raw: bytes = RAW, uidvalidity: int = 7, headers_only: bool = False) -> FetchedMessage:
    return FetchedMessage(mailbox="main", folder="INBOX", uidvalidity=uidvalidity, source_key=str(uid),
                          uid=uid, raw=raw, size=len(raw) * (100 if headers_only else 1),
                          headers_only=headers_only)


def test_migrations_create_every_model_table(factory: sessionmaker[Session]) -> None:
    """The Alembic migrations produce every table and column the models declare."""
    with factory() as session:
        inspector = inspect(session.get_bind())
        for table in Base.metadata.sorted_tables:
            columns = {c["name"] for c in inspector.get_columns(table.name)}
            assert {c.name for c in table.columns} <= columns, table.name


def test_head_revision_constant_is_the_newest_migration(engine: Engine) -> None:
    """HEAD_REVISION (which lets a start-up skip Alembic) is Alembic's head and what a migrated database holds."""
    from alembic.script import ScriptDirectory

    from mailworker.db.session import HEAD_REVISION, alembic_config, current_revision

    assert ScriptDirectory.from_config(alembic_config(engine)).get_current_head() == HEAD_REVISION
    assert current_revision(engine) == HEAD_REVISION


def test_current_revision_of_a_new_database_is_none(tmp_path: Path) -> None:
    """A database without Alembic's table has no revision (and upgrade() then migrates it)."""
    from mailworker.db.session import HEAD_REVISION, current_revision, make_engine, upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == HEAD_REVISION


def test_record_is_idempotent_per_source_position(factory: sessionmaker[Session]) -> None:
    """Recording the same (mailbox, folder, UIDVALIDITY, UID) twice adds one row only."""
    with factory.begin() as session:
        first = ledger.record(session, fetched(1))
        assert first is not None and first.status == "fetched"
        assert first.message_id == "<a@b>"
    with factory.begin() as session:
        assert ledger.record(session, fetched(1)) is None
        assert ledger.counts_by_status(session)["fetched"] == 1
        assert ledger.last_uid(session, "main", "INBOX", 7) == 1


def test_same_bytes_under_new_uidvalidity_is_a_duplicate(factory: sessionmaker[Session]) -> None:
    """After a UIDVALIDITY change the same message (Message-ID + SHA-256) is recorded as a duplicate."""
    with factory.begin() as session:
        original = ledger.record(session, fetched(1))
    with factory.begin() as session:
        copy = ledger.record(session, fetched(1, uidvalidity=8))
        assert copy is not None and original is not None
        assert copy.status == "duplicate" and copy.duplicate_of == original.id
        other = ledger.record(session, fetched(2, raw=RAW.replace(b"12345", b"12346"), uidvalidity=8))
        assert other is not None and other.status == "fetched"


def test_raw_bytes_are_kept_once_per_content(factory: sessionmaker[Session]) -> None:
    """The raw bytes come back exactly, and identical bytes share one blob."""
    with factory.begin() as session:
        row = ledger.record(session, fetched(1))
        ledger.record(session, fetched(2))
        assert row is not None
        assert ledger.raw_bytes(session, row) == RAW
        count = session.execute(select(RawBlob)).all()
        assert len(count) == 1


def test_oversized_message_is_quarantined_with_reason(factory: sessionmaker[Session]) -> None:
    """A headers-only (oversized) message is recorded quarantined, naming its size."""
    with factory.begin() as session:
        row = ledger.record(session, fetched(3, headers_only=True))
        assert row is not None and row.status == "quarantined"
        assert row.error is not None and "oversized_message" in row.error


def test_post_action_bookkeeping(factory: sessionmaker[Session]) -> None:
    """UIDs stay owed a post-action until marked done, and then are no longer listed."""
    with factory.begin() as session:
        for uid in (1, 2, 3):
            ledger.record(session, fetched(uid, raw=RAW + bytes([uid])))
    with factory.begin() as session:
        assert ledger.pending_post_actions(session, "main", "INBOX", 7) == [1, 2, 3]
        ledger.mark_post_action_done(session, "main", "INBOX", 7, [1, 3])
    with factory() as session:
        assert ledger.pending_post_actions(session, "main", "INBOX", 7) == [2]


def test_header_message_id_handles_folding_and_absence() -> None:
    """Message-ID is read even when folded, and is None when missing."""
    assert ledger.header_message_id(b"Message-ID:\r\n <x@y>\r\n\r\nbody") == "<x@y>"
    assert ledger.header_message_id(b"Subject: x\r\n\r\nMessage-ID: <not@header>") is None


def test_batch_with_an_unstorable_message_records_the_rest(factory: sessionmaker[Session]) -> None:
    """A message the database refuses (NUL in a key) is quarantined alone; the rest of its batch is recorded."""
    from mailworker.runner import record_batch

    batch = [fetched(1, raw=RAW + b"1"), fetched(2, raw=RAW + b"2"),
             FetchedMessage("main", "INBOX", 7, "bad\x00key", b"Subject: x\r\n\r\nodd", 20, uid=3)]
    raws, _ = record_batch(factory, batch)
    with factory() as session:
        counts = ledger.counts_by_status(session)
    if session.get_bind().dialect.name == "postgresql":
        assert counts["fetched"] == 2 and counts["quarantined"] == 1
    else:  # SQLite stores NUL happily
        assert counts["fetched"] == 3
    assert len(raws) == 2 + (counts["fetched"] - 2)


def test_nul_in_message_id_is_stored_on_every_database(factory: sessionmaker[Session]) -> None:
    """A Message-ID carrying NUL bytes is cleaned so PostgreSQL accepts the row."""
    with factory.begin() as session:
        row = ledger.record(session, fetched(9, raw=b"Message-ID: <a\x00b@x>\r\n\r\nbody"))
        assert row is not None and row.message_id == "<a b@x>"
