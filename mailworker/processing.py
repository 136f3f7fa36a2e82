"""Process one ledger row in its own transaction; an unexpected error quarantines it.

This is the per-message isolation of the runner: the stages run and their
results are stored in one transaction; if anything raises, that transaction is
rolled back and a second one records the message as ``quarantined`` with the
traceback, so the loop can go on with the next message.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.exc import InternalError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from mailworker import ledger
from mailworker.db.models import FETCHED, PROCESSED, QUARANTINED, REVIEW, Message
from mailworker.notify import AckRequest
from mailworker.pipeline import Context, Stage, run_stages

log = logging.getLogger(__name__)

# Database trouble that waiting can fix: connection lost, server restarting, disk full, read-only.
DATABASE_TRANSIENT: tuple[type[Exception], ...] = (OperationalError, InternalError)



class LedgerRow(Protocol):
    """What processing reads and writes of a ledger row: a ``Message``, or the batch path's plain copy."""

    id: int
    sha256: str
    internaldate: datetime | None
    headers_only: bool
    status: str
    attempts: int
    processed_at: datetime | None
    error: str | None
    traceback: str | None
    subject: str | None
    sender: str | None
    sent_at: datetime | None
    summary: dict[str, Any] | None


ResultWriter = Callable[[Session, LedgerRow, Context], str]


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where one message ended."""

    ledger_id: int
    status: str
    reasons: tuple[str, ...] = ()
    error: str | None = None
    ack: AckRequest | None = None  # what an acknowledgement to the sender would say (sent only when enabled)


def ack_request(context: Context, status: str) -> AckRequest | None:
    """The acknowledgement this message would get, from its decoded headers and the decision."""
    decoded = context.decoded
    if decoded is None:
        return None
    result = context.result
    summary = result.get("summary", {})
    return AckRequest(
        to_address=decoded.sender_address, to_name=decoded.sender_name, subject=decoded.subject,
        message_id=decoded.message_id, references=decoded.references or decoded.in_reply_to,
        auto_headers=dict(decoded.auto_headers), text=f"{decoded.subject}\n{decoded.body_text[:5000]}",
        decision="accept" if status == PROCESSED else "review", reasons=list(context.reasons),
        readings=summary.get("readings"), fixation_date=summary.get("fixation_date"))


def write_decoded(session: Session, row: LedgerRow, context: Context) -> str:
    """Store what the stages found on the ledger row; returns the final status."""
    decoded = context.decoded
    if decoded is not None:
        row.subject = decoded.subject[:2000]
        row.sender = decoded.sender_address[:500]
        row.sent_at = decoded.sent_at
    row.summary = {"reasons": list(context.reasons), "decision": context.decision, **context.result}
    if context.decision == "review" or (context.decision is None and context.reasons):
        return REVIEW
    return PROCESSED


def quarantine_row(row: LedgerRow, error: BaseException) -> Outcome:
    """Mark ``row`` quarantined with the error and its traceback (the caller commits)."""
    text = f"{type(error).__name__}: {error}"[:2000].replace("\x00", "\\0")
    row.status = QUARANTINED
    row.error = text
    row.traceback = "".join(traceback.format_exception(error))[-20000:].replace("\x00", "\\0")
    row.attempts += 1
    row.processed_at = datetime.now(UTC)
    return Outcome(row.id, QUARANTINED, error=text)


def finish_row(row: LedgerRow, context: Context, status: str) -> Outcome:
    """Record the final ``status`` the stages and the writer reached (the caller commits)."""
    row.status = status
    row.error = "; ".join(context.reasons)[:2000] or None
    row.traceback = None
    row.attempts += 1
    row.processed_at = datetime.now(UTC)
    return Outcome(row.id, status, tuple(context.reasons), ack=ack_request(context, status))


def quarantine_alone(factory: sessionmaker[Session], ledger_id: int, error: BaseException) -> Outcome:
    """Record ``ledger_id`` quarantined with ``error`` in a transaction of its own."""
    with factory.begin() as session:
        row = session.get(Message, ledger_id)
        if row is not None:
            return quarantine_row(row, error)
    text = f"{type(error).__name__}: {error}"[:2000].replace("\x00", "\\0")
    return Outcome(ledger_id, QUARANTINED, error=text)


def _context_for(session: Session, row: Message, raw: bytes | None, prepared: Context | Exception | None
                 ) -> Context:
    """A fresh context, or the one prepared elsewhere (its remaining stages run here)."""
    if isinstance(prepared, Exception):
        raise prepared
    raw_bytes = raw if raw is not None else ledger.raw_bytes(session, row)
    if prepared is None:
        return Context(raw=raw_bytes, internaldate=row.internaldate, headers_only=row.headers_only,
                       ledger_id=row.id, session=session)
    prepared.raw, prepared.session, prepared.ledger_id = raw_bytes, session, row.id
    return prepared


def _process_in(session: Session, ledger_id: int, raw: bytes | None, stages: Sequence[Stage],
                writer: ResultWriter, statuses: Sequence[str], prepared: Context | Exception | None = None
                ) -> Outcome | None:
    with session.begin():
        row = session.get(Message, ledger_id)
        if row is None or row.status not in statuses:
            return None
        context = _context_for(session, row, raw, prepared)
        run_stages([stage for stage in stages if stage.name not in context.stages_run], context)
        return finish_row(row, context, writer(session, row, context))


def process_many(factory: sessionmaker[Session], items: Iterable[tuple[int, bytes | None]], stages: Sequence[Stage],
                 writer: ResultWriter = write_decoded, *, statuses: Sequence[str] = (FETCHED,),
                 should_stop: Callable[[], bool] = lambda: False,
                 prepared: Mapping[int, Context | Exception] | None = None) -> Iterator[Outcome]:
    """Process ledger rows one transaction each (one session for all); raw bytes given or read back.

    ``prepared`` holds contexts whose database-free stages already ran elsewhere (or the
    exception they raised).  An exception in a stage or the writer rolls that message's
    transaction back and records it quarantined with the traceback; the next message goes on.
    """
    with factory() as session:
        for ledger_id, raw in items:
            if should_stop():
                return
            try:
                outcome = _process_in(session, ledger_id, raw, stages, writer, statuses,
                                      (prepared or {}).get(ledger_id))
            except DATABASE_TRANSIENT:
                session.rollback()
                raise  # the database, not the message, failed: the row stays `fetched` for the next pass
            except Exception as error:  # noqa: BLE001 - isolation: one bad message never stops the loop
                session.rollback()
                session.expunge_all()
                log.warning("message %s quarantined: %s", ledger_id, type(error).__name__)
                outcome = quarantine_alone(factory, ledger_id, error)
            if outcome is not None:
                yield outcome


def process_one(factory: sessionmaker[Session], ledger_id: int, stages: Sequence[Stage],
                writer: ResultWriter = write_decoded, *, statuses: Sequence[str] = (FETCHED,)) -> Outcome | None:
    """Run ``stages`` over ledger row ``ledger_id`` and store the result; None if it is not in ``statuses``."""
    return next(iter(process_many(factory, [(ledger_id, None)], stages, writer, statuses=statuses)), None)


def log_outcome(outcome: Outcome) -> None:
    """One INFO line per message: ledger id, status and reasons (never addresses or phones)."""
    reasons = ",".join(outcome.reasons) or "-"
    log.info("message id=%s status=%s reasons=%s", outcome.ledger_id, outcome.status, reasons)


FINAL_STATUSES = (PROCESSED, REVIEW, QUARANTINED)
