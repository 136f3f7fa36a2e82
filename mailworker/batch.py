"""Process a batch of ledger rows in one transaction: the runner's fast path.

Each message still runs its stages alone, and a stage that raises quarantines
that message only (stages read the database, they never write it).  What the
writer stores for the whole batch is flushed and committed once, with the
rows it needs (ledger rows, raw bytes, registry accounts, open review items,
earlier postings) loaded in a few queries instead of several per message, and
the ledger rows read and written as plain values (one bulk UPDATE by primary
key) rather than through the ORM's unit of work.

When the writer raises, the database refuses the batch for a reason that is
not transient (a value it cannot store, a row another worker wrote meanwhile),
or anything else unexpected happens outside the stages, the batch is rolled
back and redone one transaction per message by
:func:`mailworker.processing.process_many`, which isolates the message at
fault: a bad message costs its batch a second pass, never a loss.  Transient
database errors roll back and propagate, so the rows stay ``fetched`` for the
next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.models import FETCHED, Message, PostedReading, RawBlob, RegistryAccount, ReviewItem
from mailworker.parallel import TRANSACTIONAL
from mailworker.pipeline import Context, Stage, run_stages
from mailworker.posting import LOOKUPS_KEY, BatchLookups, registers_key
from mailworker.processing import (
    DATABASE_TRANSIENT,
    Outcome,
    ResultWriter,
    finish_row,
    process_many,
    quarantine_row,
    write_decoded,
)

log = logging.getLogger(__name__)

Prepared = Mapping[int, Context | Exception]


class WriterFailed(Exception):
    """The writer raised inside a batch: the batch is redone message by message."""


def process_batch(factory: sessionmaker[Session], items: Sequence[tuple[int, bytes | None]], stages: Sequence[Stage],
                  writer: ResultWriter = write_decoded, *, statuses: Sequence[str] = (FETCHED,),
                  should_stop: Callable[[], bool] = lambda: False, prepared: Prepared | None = None
                  ) -> list[Outcome]:
    """Process ``items`` (ledger id, raw bytes or None) in one transaction; see the module docstring."""
    if not items:
        return []
    try:
        with factory() as session:
            return _batch_in(session, items, stages, writer, statuses, should_stop, prepared or {})
    except DATABASE_TRANSIENT:
        raise
    except Exception as error:  # noqa: BLE001 - the per-message path isolates whichever message is at fault
        log.warning("batch of %s rolled back (%s); processing one message at a time", len(items),
                    type(error.__cause__ or error).__name__)
        return list(process_many(factory, items, stages, writer, statuses=statuses, should_stop=should_stop,
                                 prepared=prepared))


def _batch_in(session: Session, items: Sequence[tuple[int, bytes | None]], stages: Sequence[Stage],
              writer: ResultWriter, statuses: Sequence[str], should_stop: Callable[[], bool],
              prepared: Prepared) -> list[Outcome]:
    with session.begin(), session.no_autoflush:
        rows = _load_rows(session, [ledger_id for ledger_id, _ in items], statuses)
        raws = _raws(session, items, rows)
        contexts: dict[int, Context | Exception] = {}
        for ledger_id, _ in items:
            if should_stop():
                break
            if ledger_id in rows:
                contexts[ledger_id] = _pure_stages(session, rows[ledger_id], raws, stages, prepared.get(ledger_id))
        lookups = _preload(session, rows, contexts)
        session.info[LOOKUPS_KEY] = lookups
        try:
            outcomes = [_finish(session, rows[ledger_id], found, stages, writer)
                        for ledger_id, found in contexts.items()]
            session.flush()
            for row, posted in lookups.new_postings:
                row.summary = {**(row.summary or {}), "posted_reading_id": posted.id}
            finished = [rows[ledger_id].changes() for ledger_id in contexts]
            if finished:
                session.execute(update(Message), finished)
        finally:
            session.info.pop(LOOKUPS_KEY, None)
    return outcomes


@dataclass(slots=True)
class BatchRow:
    """A plain copy of the ledger columns processing reads and writes; stored back in one bulk UPDATE."""

    id: int
    sha256: str
    internaldate: datetime | None
    headers_only: bool
    status: str
    attempts: int
    processed_at: datetime | None = None
    error: str | None = None
    traceback: str | None = None
    subject: str | None = None
    sender: str | None = None
    sent_at: datetime | None = None
    summary: dict[str, Any] | None = None

    def changes(self) -> dict[str, Any]:
        """The columns processing sets, keyed for an UPDATE by primary key."""
        return {name: getattr(self, name) for name in _WRITTEN}


_READ = ("id", "sha256", "internaldate", "headers_only", "status", "attempts")
_WRITTEN = ("id", "status", "attempts", "processed_at", "error", "traceback", "subject", "sender", "sent_at",
            "summary")


def _load_rows(session: Session, ids: Sequence[int], statuses: Sequence[str]) -> dict[int, BatchRow]:
    columns = [getattr(Message, name) for name in _READ]
    query = select(*columns).where(Message.id.in_(list(ids)), Message.status.in_(list(statuses)))
    return {row.id: BatchRow(*row) for row in session.execute(query)}


def _raws(session: Session, items: Sequence[tuple[int, bytes | None]], rows: Mapping[int, BatchRow]
          ) -> dict[int, bytes]:
    """Raw bytes per ledger id: the ones given, the rest read back in one query."""
    given = {ledger_id: raw for ledger_id, raw in items if raw is not None}
    wanted = {rows[i].sha256 for i in rows if i not in given}
    query = select(RawBlob.sha256, RawBlob.data).where(RawBlob.sha256.in_(wanted))
    blobs = {sha: data for sha, data in session.execute(query)} if wanted else {}
    return {i: given[i] if i in given else blobs.get(rows[i].sha256, b"") for i in rows}


def _pure_stages(session: Session, row: BatchRow, raws: Mapping[int, bytes], stages: Sequence[Stage],
                 prepared: Context | Exception | None) -> Context | Exception:
    """The context after every stage that precedes validation, or the exception one of them raised."""
    if isinstance(prepared, Exception):
        return prepared
    if prepared is None:
        context = Context(raw=raws[row.id], internaldate=row.internaldate, headers_only=row.headers_only,
                          ledger_id=row.id, session=session)
    else:
        context = prepared
        context.raw, context.session, context.ledger_id = raws[row.id], session, row.id
    try:
        run_stages([s for s in stages if s.name not in TRANSACTIONAL and s.name not in context.stages_run], context)
    except Exception as error:  # noqa: BLE001 - isolation: this message is quarantined, the batch goes on
        return error
    return context


def _accounts_of(context: Context) -> set[str]:
    match = context.match
    if match is None:
        return set()
    found = {c.account_id for c in match.candidates[:5]}
    return found | ({match.account_id} if match.account_id else set())


def _preload(session: Session, rows: Mapping[int, BatchRow], contexts: Mapping[int, Context | Exception]
             ) -> BatchLookups:
    """Registry accounts, review items and earlier postings the batch's writer will ask for."""
    ready = [c for c in contexts.values() if isinstance(c, Context)]
    accounts = set().union(*(_accounts_of(c) for c in ready)) if ready else set()
    items = session.scalars(select(ReviewItem).where(ReviewItem.message_id.in_(list(rows))))
    lookups = BatchLookups(review_items={item.message_id: item for item in items})
    if accounts:  # session.get finds them in the identity map from now on
        found = session.scalars(select(RegistryAccount).where(RegistryAccount.account_id.in_(accounts)))
        lookups.accounts = {row.account_id: row for row in found}
    keys = _posting_keys(ready)
    if keys:
        pairs = list({(account, day) for account, day, _ in keys})
        postings = session.scalars(select(PostedReading).where(
            tuple_(PostedReading.account_id, PostedReading.fixation_date).in_(pairs)))
        lookups.posted = {(p.account_id, p.fixation_date, p.registers_key): p for p in postings}
    return lookups


def _posting_keys(contexts: Sequence[Context]) -> set[tuple[str, date, str]]:
    keys = set()
    for context in contexts:
        extraction, match = context.extraction, context.match
        readings = getattr(extraction, "readings", None)
        fixation = getattr(extraction, "fixation_date", None)
        if match is not None and match.account_id and readings and fixation is not None:
            keys.add((match.account_id, fixation, registers_key(readings)))
    return keys


def _finish(session: Session, row: BatchRow, found: Context | Exception, stages: Sequence[Stage],
            writer: ResultWriter) -> Outcome:
    """Validation, decision and the writer for one message; a stage failure quarantines it in the batch."""
    if not isinstance(found, Exception):
        try:
            run_stages([s for s in stages if s.name not in found.stages_run], found)
        except Exception as error:  # noqa: BLE001 - stages only read: quarantine this one, keep the batch
            found = error
    if isinstance(found, Exception):
        log.warning("message %s quarantined: %s", row.id, type(found).__name__)
        return quarantine_row(row, found)
    try:
        status = writer(session, row, found)
    except Exception as error:
        raise WriterFailed(str(error)) from error
    return finish_row(row, found, status)


def chunks(items: Sequence[tuple[int, bytes | None]], size: int) -> Iterator[Sequence[tuple[int, bytes | None]]]:
    """``items`` in slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]
