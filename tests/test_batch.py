"""One transaction per batch: the same results as one per message, and the same isolation, on both databases."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailworker import ledger
from mailworker.batch import process_batch
from mailworker.config import DecisionSettings
from mailworker.db.models import Message, PostedReading, RegistryAccount, ReviewItem
from mailworker.db.session import make_engine, session_factory, upgrade
from mailworker.parallel import PoolKeeper
from mailworker.pipeline import Context
from mailworker.posting import write_results
from mailworker.processing import LedgerRow, process_many
from mailworker.registry import RegistryRecord, load_aliases_csv, load_registry_csv
from mailworker.registry_store import DbRegistry, import_registry
from mailworker.stages import build_stages
from tests.conftest import DEV_CORPUS, FIXTURES

Items = list[tuple[int, bytes | None]]


def load_registry(factory: sessionmaker[Session], folder: Path) -> DbRegistry:
    """Import ``folder``'s registry.csv and street_aliases.csv; the daemon's registry view over it."""
    with factory.begin() as session:
        import_registry(session, load_registry_csv(folder / "registry.csv"),
                        load_aliases_csv(folder / "street_aliases.csv"))
    registry = DbRegistry(factory)
    registry.refresh()  # as the commands do: the index is built before any processing transaction
    return registry


def record(factory: sessionmaker[Session], raws: Sequence[bytes]) -> Items:
    """Ledger rows for ``raws`` (source keys 0, 1, ...); their (id, raw) pairs in order."""
    batch = [ledger.FetchedMessage("local", "/batch", 0, str(i), raw, len(raw)) for i, raw in enumerate(raws)]
    with factory.begin() as session:
        rows = ledger.record_many(session, batch)
    return [(row.id, row.message.raw) for row in rows]


def snapshot(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Everything processing stored, keyed by source and account rather than by generated ids."""
    with factory() as session:
        keys = {m.id: m.source_key for m in session.scalars(select(Message))}
        messages = {m.source_key: (m.status, m.error, m.attempts, m.subject, m.sender,
                                   {k: v for k, v in (m.summary or {}).items() if k != "posted_reading_id"})
                    for m in session.scalars(select(Message))}
        posted = sorted((p.account_id, str(p.fixation_date), p.registers_key, p.resubmissions, keys[p.message_id or 0])
                        for p in session.scalars(select(PostedReading)))
        reviews = {keys[r.message_id]: (r.status, r.reasons, r.proposal, r.candidates)
                   for r in session.scalars(select(ReviewItem))}
        accounts = {a.account_id: (a.last_readings, str(a.last_reading_date))
                    for a in session.scalars(select(RegistryAccount))}
    return {"messages": messages, "posted": posted, "reviews": reviews, "accounts": accounts}


def sqlite_factory(path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return session_factory(engine)


@pytest.mark.skipif(not DEV_CORPUS.is_dir(), reason="shared dev corpus not present")
def test_batch_stores_exactly_what_one_transaction_per_message_stores(factory: sessionmaker[Session],
                                                                      tmp_path: Path) -> None:
    """The whole dev corpus in one batch leaves the same ledger, postings, review items and registry as per message."""
    raws = [p.read_bytes() for p in sorted((DEV_CORPUS / "emails").glob("*.eml"))]
    reference = sqlite_factory(tmp_path / "reference.db")
    stages = build_stages(load_registry(reference, DEV_CORPUS), DecisionSettings())
    list(process_many(reference, record(reference, raws), stages, write_results))
    batch_stages = build_stages(load_registry(factory, DEV_CORPUS), DecisionSettings())
    outcomes = process_batch(factory, record(factory, raws), batch_stages, write_results)
    assert len(outcomes) == len(raws)
    assert snapshot(factory) == snapshot(reference)
    for stored in (factory, reference):
        with stored() as session:
            for row in session.scalars(select(Message).where(Message.status == "processed")):
                posted = session.get(PostedReading, (row.summary or {})["posted_reading_id"])
                assert posted is not None and posted.account_id == (row.summary or {})["account_id"]


def customer_mail(n: int, reading: int, day: str = "01.11.2026") -> bytes:
    """A plain UTF-8 reading for account 0123456789 of the fixture registry (просп. Гагаріна 40, кв. 12)."""
    text = f"Дніпро, просп. Гагаріна 40, кв. 12. Показания {reading}, дата {day}. Тел. 067-000-11-22\n"
    return (f"From: Client <client@example.net>\r\nTo: call@example.net\r\nSubject: Показания\r\n"
            f"Date: Mon, 02 Nov 2026 10:00:00 +0200\r\nMessage-ID: <batch-{n}@test>\r\nMIME-Version: 1.0\r\n"
            f"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n").encode() \
        + text.encode("utf-8")


@pytest.fixture
def fixture_registry(tmp_path: Path) -> Path:
    """The fixture registry and aliases under the names ``load_registry`` expects."""
    folder = tmp_path / "registry"
    folder.mkdir()
    (folder / "registry.csv").write_bytes((FIXTURES / "registry.csv").read_bytes())
    (folder / "street_aliases.csv").write_bytes((FIXTURES / "street_aliases.csv").read_bytes())
    return folder


def test_readings_of_one_account_in_one_batch_see_each_other(factory: sessionmaker[Session],
                                                             fixture_registry: Path) -> None:
    """A resubmission in the same batch is posted once, and a lower reading after it is caught as a decrease."""
    stages = build_stages(load_registry(factory, fixture_registry), DecisionSettings())
    items = record(factory, [customer_mail(1, 22950), customer_mail(2, 22950), customer_mail(3, 22900)])
    outcomes = process_batch(factory, items, stages, write_results)
    assert [o.status for o in outcomes] == ["processed", "processed", "review"]
    assert "reading_decreased" in outcomes[2].reasons
    with factory() as session:
        posted = list(session.scalars(select(PostedReading)))
        assert [(p.registers, p.resubmissions, p.fixation_date) for p in posted] == [
            ({"total": 22950}, 1, date(2026, 11, 1))]
        account = session.get(RegistryAccount, "0123456789")
        assert account is not None and account.last_readings == {"total": 22950}
        summaries = [session.get(Message, i) for i, _ in items]
        assert [(m.summary or {}).get("posted_reading_id") for m in summaries if m] == [posted[0].id] * 2 + [None]


class ExplodesOn:
    """A stage that raises for messages whose raw bytes contain ``marker``."""

    def __init__(self, name: str, marker: bytes) -> None:
        self.name = name
        self.marker = marker

    def __call__(self, context: Context) -> None:
        if self.marker in context.raw:
            raise ZeroDivisionError(f"{self.name} failed")


def test_a_failing_stage_quarantines_only_its_message(factory: sessionmaker[Session], fixture_registry: Path) -> None:
    """A stage error in the middle of a batch quarantines that message with its traceback; the rest commit."""
    stages = (*build_stages(load_registry(factory, fixture_registry), DecisionSettings()),
              ExplodesOn("late", b"batch-2@"))
    items = record(factory, [customer_mail(1, 22950), customer_mail(2, 23000), customer_mail(3, 23050)])
    outcomes = process_batch(factory, items, stages, write_results)
    assert [o.status for o in outcomes] == ["processed", "quarantined", "processed"]
    with factory() as session:
        broken = session.get(Message, items[1][0])
        assert broken is not None and broken.traceback and "ZeroDivisionError: late failed" in broken.traceback
        assert ledger.raw_bytes(session, broken) == items[1][1]
        assert len(list(session.scalars(select(PostedReading)))) == 2


def test_a_failing_writer_falls_back_to_one_transaction_per_message(factory: sessionmaker[Session],
                                                                     fixture_registry: Path) -> None:
    """A writer error rolls the batch back and redoes it per message: only that message is quarantined."""
    stages = build_stages(load_registry(factory, fixture_registry), DecisionSettings())

    def writer(session: Session, row: LedgerRow, context: Context) -> str:
        if b"batch-2@" in context.raw:
            raise ValueError("cannot store this one")
        return write_results(session, row, context)

    items = record(factory, [customer_mail(1, 22950), customer_mail(2, 23000), customer_mail(3, 23050)])
    outcomes = process_batch(factory, items, stages, writer)
    assert [o.status for o in outcomes] == ["processed", "quarantined", "processed"]
    with factory() as session:
        posted = sorted(p.registers["total"] for p in session.scalars(select(PostedReading)))
        assert posted == [22950, 23050]
        rows = [session.get(Message, i) for i, _ in items]
        assert [m.attempts for m in rows if m] == [1, 1, 1]
        assert rows[1] is not None and "ValueError: cannot store this one" in (rows[1].error or "")


def test_only_rows_still_fetched_are_processed(factory: sessionmaker[Session], fixture_registry: Path) -> None:
    """A batch skips rows another pass already finished, so nothing is processed twice."""
    stages = build_stages(load_registry(factory, fixture_registry), DecisionSettings())
    items = record(factory, [customer_mail(1, 22950), customer_mail(2, 23000)])
    first = process_batch(factory, items[:1], stages, write_results)
    second = process_batch(factory, [(i, None) for i, _ in items], stages, write_results)
    assert [o.ledger_id for o in first] == [items[0][0]]
    assert [o.ledger_id for o in second] == [items[1][0]]  # raw bytes read back from the ledger


def test_pool_keeper_follows_registry_imports(tmp_path: Path, fixture_registry: Path) -> None:
    """After a registry import the daemon's index knows the new account and the worker pool is restarted."""
    factory = sqlite_factory(tmp_path / "keeper.db")
    registry = load_registry(factory, fixture_registry)
    keeper = PoolKeeper(registry, factory, 2, DecisionSettings())
    try:
        first = keeper.preparer()
        assert first is not None and keeper.preparer() is first  # unchanged registry: same pool
        extra = RegistryRecord(account_id="0999999999", meter_id="1", zones=1, city="Дніпро", street="вул. Нова",
                               house="1", apartment=None, phones=(), last={"total": 10},
                               last_reading_date=date(2026, 10, 1), avg_monthly_kwh=100)
        with factory.begin() as session:
            import_registry(session, [extra])
        second = keeper.preparer()
        assert second is not None and second is not first
        assert registry.index.get("0999999999") is not None
    finally:
        keeper.close()


@pytest.mark.dovecot
def test_daemon_pass_with_worker_processes_ends_like_the_serial_one(dovecot: Any, tmp_path: Path,
                                                                    fixture_registry: Path) -> None:
    """`runner.workers: 2` against Dovecot: every message fetched once and ended exactly as with one process."""
    from mailworker.runner import MailboxRunner, run_mailbox
    from tests.test_imap import FAST_RETRY, mailbox_settings

    raws = [p.read_bytes() for p in sorted((FIXTURES / "emails").glob("*.eml"))]
    raws += [customer_mail(n, 22900 + 10 * n) for n in range(1, 60)]
    dovecot.append_many(raws)
    ends = []
    for workers in (1, 2):
        factory = sqlite_factory(tmp_path / f"workers{workers}.db")
        registry = load_registry(factory, fixture_registry)
        keeper = PoolKeeper(registry, factory, workers, DecisionSettings())
        runner = MailboxRunner(mailbox_settings(dovecot, batch_size=25), dovecot.password,
                               factory, build_stages(registry, DecisionSettings()), lambda: False, write_results,
                               keeper=keeper)
        try:
            report = run_mailbox(runner, FAST_RETRY, once=True)
        finally:
            keeper.close()
        assert report.fetched == len(raws) and sum(report.statuses.values()) == len(raws)
        ends.append(snapshot(factory))
    assert ends[0] == ends[1]
    assert len(ends[0]["posted"]) >= 40


def test_a_dead_worker_process_loses_nothing(tmp_path: Path, fixture_registry: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A pool worker killed mid-batch: the batch is finished in the worker itself and the next pass gets a new pool."""
    from mailworker.feeder import Feeder

    factory = sqlite_factory(tmp_path / "dead.db")
    registry = load_registry(factory, fixture_registry)
    stages = build_stages(registry, DecisionSettings())
    monkeypatch.setenv("MAILWORKER_CRASH_AT", "pool_worker")  # inherited by the pool's processes only
    keeper = PoolKeeper(registry, factory, 2, DecisionSettings())
    try:
        pool = keeper.preparer()
        feeder = Feeder(factory, stages, lambda: False, write_results, preparer=pool)
        items = record(factory, [customer_mail(n, 22900 + 10 * n) for n in range(1, 11)])
        raws = {ledger_id: raw or b"" for ledger_id, raw in items}
        first, second = dict(list(raws.items())[:5]), dict(list(raws.items())[5:])
        done = feeder.feed(first) + feeder.feed(second) + feeder.flush()
        assert sorted(o.ledger_id for o in done) == [i for i, _ in items]
        assert {o.status for o in done} <= {"processed", "review"}
        assert pool is not None and pool.broken and feeder.preparer is None
        assert keeper.preparer() is not pool
    finally:
        keeper.close()


@pytest.mark.dovecot
def test_daemon_with_worker_processes_stops_cleanly_on_a_signal_to_its_group(dovecot: Any, tmp_path: Path,
                                                                            fixture_registry: Path) -> None:
    """`run --workers 2` processes mail that arrives while it idles; SIGINT to the whole group exits 0 quietly."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from tests.test_operations import worker_settings

    url = f"sqlite:///{tmp_path / 'daemon.db'}"
    _, env = worker_settings(tmp_path, dovecot, url)
    root = Path(__file__).resolve().parents[1]
    command = [sys.executable, str(root / "worker.py")]
    subprocess.run([*command, "registry", "import", str(fixture_registry / "registry.csv"), "--aliases",
                    str(fixture_registry / "street_aliases.csv")], env=env, check=True, capture_output=True)
    daemon = subprocess.Popen([*command, "run", "--workers", "2"], env=env, text=True, start_new_session=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(3.0)  # pool started, connected, idling
        dovecot.append_many(customer_mail(n, 22900 + 10 * n) for n in range(1, 6))
        factory = session_factory(make_engine(url))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and processed(factory) < 5:
            time.sleep(0.2)
        assert processed(factory) == 5
    finally:
        os.killpg(daemon.pid, signal.SIGINT)  # Ctrl-C on a terminal; systemd sends SIGTERM the same way
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err
    assert "died" not in err and "Traceback" not in err


def processed(factory: sessionmaker[Session]) -> int:
    with factory() as session:
        return len(list(session.scalars(select(Message.id).where(Message.status == "processed"))))


def test_pool_keeper_hands_the_registry_snapshot_to_the_pool(tmp_path: Path, fixture_registry: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The pool's processes get the accounts the daemon's own index was built from (read once, not twice)."""
    from mailworker import parallel

    factory = sqlite_factory(tmp_path / "snapshot.db")
    registry = load_registry(factory, fixture_registry)
    given: list[object] = []
    original = parallel.Preparer

    def recording(workers: int, records: list[Any], aliases: list[Any], settings: Any) -> Any:
        given.append((records, aliases))
        return original(workers, records, aliases, settings)

    monkeypatch.setattr(parallel, "Preparer", recording)
    keeper = PoolKeeper(registry, factory, 2, DecisionSettings())
    try:
        assert keeper.preparer() is not None
    finally:
        keeper.close()
    assert registry.snapshot is not None and given == [registry.snapshot]
    records, _ = registry.snapshot
    assert records and all(record.account_id for record in records)
