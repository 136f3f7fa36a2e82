"""Hand recorded batches to processing: serially, or one batch ahead through worker processes.

Both the daemon (``runner.py``) and ``ingest`` (``backfill.py``) record a batch
in the ledger and then feed it here.  Without a pool the batch is processed at
once.  With a pool (``runner.workers`` > 1, ``ingest --workers``) the
database-free stages of batch *k* run in the worker processes while the caller
fetches and records batch *k+1*; batch *k* is then finished by this process,
which alone writes results (validation against the current registry, posting,
review items), one transaction per batch.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from mailworker.batch import chunks, process_batch
from mailworker.db.models import Message
from mailworker.ledger import take_up_leftover
from mailworker.metrics import MESSAGES, PROCESS_SECONDS, REASONS
from mailworker.notify import Acknowledger, NotifyError
from mailworker.parallel import Job, PreparationError, Preparer
from mailworker.pipeline import Context, Stage
from mailworker.processing import Outcome, ResultWriter, log_outcome, quarantine_alone, write_decoded

log = logging.getLogger(__name__)

PROCESS_BATCH = 200  # messages whose results commit in one transaction
MAX_LEFTOVER_RUNS = 3  # runs of a message left unfinished by a dead worker before it is quarantined


class WorkerDied(Exception):
    """The worker process died every time it processed this message."""


def acknowledge(factory: sessionmaker[Session], acknowledger: Acknowledger, outcome: Outcome) -> None:
    """Send the acknowledgement of a committed outcome (at most once) and record what happened."""
    if outcome.ack is None:
        return
    try:
        status = acknowledger.send(outcome.ack)
    except NotifyError as error:
        status = f"error:{error.kind}"
        log.warning("acknowledgement for message %s failed (%s)", outcome.ledger_id, error.kind)
    with factory.begin() as session:
        session.execute(update(Message).where(Message.id == outcome.ledger_id).values(ack_status=status[:200]))


def count_outcome(mailbox: str, outcome: Outcome, reasons: Sequence[str] | None = None) -> None:
    """Count a final outcome in the metrics (by status and by each reason) and log its one line."""
    MESSAGES.labels(mailbox, outcome.status).inc()
    for reason in outcome.reasons if reasons is None else reasons:
        REASONS.labels(mailbox, reason).inc()
    log_outcome(outcome)


def process_ids(factory: sessionmaker[Session], ids: Iterable[int], stages: Sequence[Stage],
                should_stop: Callable[[], bool], writer: ResultWriter = write_decoded,
                raws: Mapping[int, bytes] | None = None, mailbox: str = "local",
                acknowledger: Acknowledger | None = None,
                prepared: Mapping[int, Context | Exception] | None = None) -> list[Outcome]:
    """Process ledger rows a batch per transaction (see ``mailworker.batch``), stopping early when asked.

    Every outcome is counted and logged, and acknowledged once its batch has committed.
    """
    outcomes: list[Outcome] = []
    items = [(ledger_id, (raws or {}).get(ledger_id)) for ledger_id in ids]
    for chunk in chunks(items, PROCESS_BATCH):
        if should_stop():
            break
        started = time.perf_counter()
        done = process_batch(factory, chunk, stages, writer, should_stop=should_stop, prepared=prepared)
        each = (time.perf_counter() - started) / max(1, len(done))
        for outcome in done:
            PROCESS_SECONDS.labels(mailbox).observe(each)
            count_outcome(mailbox, outcome)
            if acknowledger is not None:
                acknowledge(factory, acknowledger, outcome)
        outcomes.extend(done)
    return outcomes


@dataclass(slots=True)
class _Pending:
    """A recorded batch whose messages are still being prepared in the pool."""

    raws: dict[int, bytes]
    prepared: Iterator[tuple[int, Context | PreparationError]]


class Feeder:
    """Processes recorded batches, pipelined through ``preparer`` when one is given."""

    def __init__(self, factory: sessionmaker[Session], stages: Sequence[Stage], should_stop: Callable[[], bool],
                 writer: ResultWriter = write_decoded, *, mailbox: str = "local",
                 acknowledger: Acknowledger | None = None, preparer: Preparer | None = None) -> None:
        self.factory = factory
        self.stages = stages
        self.should_stop = should_stop
        self.writer = writer
        self.mailbox = mailbox
        self.acknowledger = acknowledger
        self.preparer = preparer
        self._pending: _Pending | None = None

    def feed(self, raws: dict[int, bytes]) -> list[Outcome]:
        """Take a recorded batch {ledger id: raw}; returns the outcomes finished meanwhile."""
        if self.preparer is None:
            return self._process(raws, None)
        previous = self._pending
        jobs = [Job(ledger_id, raw) for ledger_id, raw in raws.items()]
        try:
            self._pending = _Pending(raws, self.preparer.prepare(jobs)) if jobs else None
        except BrokenProcessPool:
            self._pool_lost()
            return self._finish(previous) + self._process(raws, None)
        return self._finish(previous)

    def leftovers(self, ids: Sequence[int]) -> list[Outcome]:
        """Process rows recorded earlier but never finished (raw bytes read back), one at a time.

        Such a row may be the message that killed the worker (a crash in a C library, the OOM
        killer).  Each one's run is counted and committed before it is processed, alone; a row
        taken up ``MAX_LEFTOVER_RUNS`` times without finishing is quarantined instead of being
        run again, so one poisonous message cannot keep the daemon in a crash loop.
        """
        outcomes: list[Outcome] = []
        for ledger_id in ids:
            if self.should_stop():
                break
            with self.factory.begin() as session:
                runs = take_up_leftover(session, ledger_id)
            if runs is None:
                continue
            if runs > MAX_LEFTOVER_RUNS:
                outcomes.append(self._give_up(ledger_id, runs - 1))
                continue
            outcomes += process_ids(self.factory, [ledger_id], self.stages, self.should_stop, self.writer,
                                    mailbox=self.mailbox, acknowledger=self.acknowledger)
        return outcomes

    def _give_up(self, ledger_id: int, deaths: int) -> Outcome:
        log.error("message %s quarantined: the worker died each of the %s times it was taken up again",
                  ledger_id, deaths)
        error = WorkerDied(f"the worker died each of the {deaths} times it took this message up again; "
                           "its raw bytes are kept (`mailworker reprocess` runs it again)")
        outcome = quarantine_alone(self.factory, ledger_id, error)
        count_outcome(self.mailbox, outcome, ["worker_died"])
        return outcome

    def flush(self) -> list[Outcome]:
        """Finish the batch still in the pool, if any."""
        previous, self._pending = self._pending, None
        return self._finish(previous)

    def _finish(self, pending: _Pending | None) -> list[Outcome]:
        if pending is None:
            return []
        try:
            prepared = dict(pending.prepared)
        except BrokenProcessPool:
            self._pool_lost()
            return self._process(pending.raws, None)
        return self._process(pending.raws, prepared)

    def _pool_lost(self) -> None:
        """A worker process died: go on in this process until the next pass brings a new pool."""
        log.error("a decode/extract worker process died; this batch is finished in the worker itself")
        if self.preparer is not None:
            self.preparer.broken = True
        self.preparer = None

    def _process(self, raws: dict[int, bytes], prepared: Mapping[int, Context | Exception] | None) -> list[Outcome]:
        return process_ids(self.factory, list(raws), self.stages, self.should_stop, self.writer, raws,
                           mailbox=self.mailbox, acknowledger=self.acknowledger, prepared=prepared)
