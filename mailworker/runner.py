"""The runner loop: ``run()`` → one pass → wait for mail (IDLE or poll) → again.

One pass over a mailbox: apply post-actions still owed from an earlier run,
finish rows left ``fetched`` by a crash, then fetch new UIDs in batches.  For
each batch the ledger rows and raw bytes are committed first; only then is the
post-action applied on the server, and only then are the messages processed
(a batch per transaction, each message in its own stages), while the next
batch is fetched.  A crash anywhere therefore loses nothing and
duplicates nothing: the next run finds every UID in the ledger.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from types import FrameType

from sqlalchemy import Engine
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, stop_never
from tenacity.wait import wait_exponential_jitter

from mailworker import ledger
from mailworker.config import MailboxSettings, RetrySettings
from mailworker.db.models import DUPLICATE, FETCHED
from mailworker.faults import crash_point
from mailworker.feeder import Feeder
from mailworker.ledger import FetchedMessage
from mailworker.locks import MailboxLock
from mailworker.metrics import FETCH_SECONDS, FETCHED_TOTAL, RECONNECTS, heartbeat
from mailworker.notify import Acknowledger
from mailworker.parallel import PoolKeeper
from mailworker.pipeline import Stage
from mailworker.processing import DATABASE_TRANSIENT, Outcome, ResultWriter, write_decoded
from mailworker.sources.imap import ImapSource, TransientImapError

log = logging.getLogger(__name__)

RETRYABLE: tuple[type[Exception], ...] = (TransientImapError, *DATABASE_TRANSIENT)


@dataclass(slots=True)
class PassReport:
    """What one pass did: counts only, so a pass over a huge mailbox keeps no per-message state."""

    fetched: int = 0
    duplicates: int = 0
    statuses: Counter[str] = field(default_factory=Counter)

    def add(self, outcomes: Iterable[Outcome]) -> None:
        """Count finished messages by status."""
        self.statuses.update(outcome.status for outcome in outcomes)

    def merge(self, other: PassReport) -> None:
        """Add another pass's counts to these."""
        self.fetched += other.fetched
        self.duplicates += other.duplicates
        self.statuses.update(other.statuses)

    def count(self, status: str) -> int:
        """How many processed messages ended in ``status``."""
        return self.statuses[status]


class StopFlag:
    """Set by SIGTERM/SIGINT; the loop finishes the current message and returns."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def set(self) -> None:
        """Ask the loop to stop."""
        self._event.set()

    def __call__(self) -> bool:
        return self._event.is_set()

    def install(self) -> None:
        """Route SIGTERM and SIGINT to this flag (main thread only)."""
        def _handler(signum: int, _frame: FrameType | None) -> None:
            log.info("signal %s received: finishing the current message", signal.Signals(signum).name)
            self.set()
        signal.signal(signal.SIGTERM, _handler)
        signal.signal(signal.SIGINT, _handler)


def record_batch(factory: sessionmaker[Session], messages: Sequence[FetchedMessage]
                 ) -> tuple[dict[int, bytes], int]:
    """Commit ledger rows for ``messages`` in one transaction; returns {new fetched id: raw} and duplicates.

    When the database refuses the batch for a reason that is not transient (a value it cannot
    store, a row another worker wrote meanwhile), the messages are recorded one by one so that
    one odd message cannot block the mailbox; a message that still cannot be recorded as it is
    gets a quarantined row with its raw bytes and the error.
    """
    try:
        with factory.begin() as session:
            rows = ledger.record_many(session, messages)
    except (DataError, IntegrityError):
        log.warning("batch of %s refused by the database; recording one message at a time", len(messages))
        rows = [row for message in messages for row in _record_alone(factory, message)]
    return {r.id: r.message.raw for r in rows if r.status == FETCHED}, sum(1 for r in rows if r.status == DUPLICATE)


def _record_alone(factory: sessionmaker[Session], message: FetchedMessage) -> list[ledger.Recorded]:
    try:
        with factory.begin() as session:
            return ledger.record_many(session, [message])
    except (DataError, IntegrityError) as error:
        with factory.begin() as session:
            return ledger.record_refused(session, message, f"{type(error).__name__}: {error.orig}")


class MailboxRunner:
    """Polls one IMAP mailbox folder into the ledger and the pipeline."""

    def __init__(self, settings: MailboxSettings, password: str, factory: sessionmaker[Session],
                 stages: Sequence[Stage], should_stop: Callable[[], bool],
                 writer: ResultWriter = write_decoded, lock: MailboxLock | None = None,
                 acknowledger: Acknowledger | None = None, keeper: PoolKeeper | None = None) -> None:
        self.settings = settings
        self.lock = lock
        self.password = password
        self.factory = factory
        self.should_stop = should_stop
        self.keeper = keeper
        self.feeder = Feeder(factory, stages, should_stop, writer, mailbox=settings.name, acknowledger=acknowledger)
        self.source: ImapSource | None = None

    def _connected(self) -> ImapSource:
        if self.source is None or self.source.client is None:
            self.source = ImapSource(self.settings, self.password)
            self.source.connect()
            log.info("connected to mailbox %s folder %s (UIDVALIDITY %s)", self.settings.name,
                     self.settings.folder, self.source.uidvalidity)
        return self.source

    def disconnect(self) -> None:
        """Log out when connected."""
        if self.source is not None:
            self.source.close()
            self.source = None

    def one_pass(self) -> PassReport:
        """Owed post-actions, leftover rows, then every new message, batch by batch; then a heartbeat."""
        if self.lock is not None and not self.lock.held():
            raise LockLost(f"lost the lock on mailbox {self.settings.name!r}")
        report = self._pass()
        with self.factory.begin() as session:
            heartbeat(session, self.settings.name, ok=True)
        return report

    def _pass(self) -> PassReport:
        source = self._connected()
        report = PassReport()
        report.add(self.feeder.flush())  # a batch left in the pool by an interrupted pass
        if self.keeper is not None:
            self.feeder.preparer = self.keeper.preparer()
        key = (self.settings.name, self.settings.folder, source.uidvalidity)
        with self.factory() as session:
            owed = ledger.pending_post_actions(session, *key)
            leftovers = ledger.pending_ids(session, self.settings.name)
            last = ledger.last_uid(session, *key)
        self._post_action(source, owed)
        report.add(self.feeder.leftovers(leftovers))
        uids = source.uids_after(last)
        size = self.settings.batch_size
        chunks = [uids[start:start + size] for start in range(0, len(uids), size)]
        # One batch is fetched ahead, in a helper thread, while this one is processed.  The connection
        # is used by one thread at a time: the main thread touches it only while no fetch is in flight,
        # and leaving the block (stop, error) waits for the one in flight.
        with ThreadPoolExecutor(1, thread_name_prefix="imap-fetch") as fetcher:
            ahead: Future[list[FetchedMessage]] | None = None
            for index, chunk in enumerate(chunks):
                if self.should_stop():
                    break
                batch = ahead.result() if ahead is not None else self._fetch(source, chunk)
                ahead = None
                new_ids, duplicates = record_batch(self.factory, batch)
                report.fetched += len(batch)
                report.duplicates += duplicates
                crash_point("after_commit")
                self._post_action(source, [m.uid for m in batch if m.uid is not None])
                if index + 1 < len(chunks) and not self.should_stop():
                    ahead = fetcher.submit(self._fetch, source, chunks[index + 1])
                report.add(self.feeder.feed(new_ids))
        report.add(self.feeder.flush())
        return report

    def _fetch(self, source: ImapSource, uids: Sequence[int]) -> list[FetchedMessage]:
        with FETCH_SECONDS.labels(self.settings.name).time():
            batch = source.fetch(uids)
        FETCHED_TOTAL.labels(self.settings.name).inc(len(batch))
        return batch

    def _post_action(self, source: ImapSource, uids: Sequence[int]) -> None:
        if not uids:
            return
        source.apply_post_action(uids)
        crash_point("after_post_action")
        with self.factory.begin() as session:
            ledger.mark_post_action_done(session, self.settings.name, self.settings.folder,
                                         source.uidvalidity, uids)

    def wait(self) -> None:
        """Wait for new mail or the poll interval (IDLE renewed at ``idle_renew_seconds``)."""
        source = self._connected()
        seconds = self.settings.idle_renew_seconds if self.settings.idle else self.settings.poll_interval
        source.wait_for_mail(seconds, self.should_stop)


def _log_retry(state: RetryCallState) -> None:
    error = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    kind = "database" if isinstance(error, DATABASE_TRANSIENT) else "IMAP"
    text = str(error).splitlines()[0] if error else ""
    log.warning("transient %s error (attempt %s): %s; fetching stopped, reconnecting in %.1f s", kind,
                state.attempt_number, text, wait)


def retrying(retry: RetrySettings, *, once: bool, should_stop: Callable[[], bool]) -> Retrying:
    """Exponential backoff with jitter for transient errors only; bounded for ``--once``."""
    attempts = retry.once_attempts if once else retry.max_attempts
    return Retrying(
        retry=retry_if_exception_type(RETRYABLE),
        wait=wait_exponential_jitter(multiplier=retry.initial_wait, max=retry.max_wait, jitter=retry.initial_wait),
        stop=stop_after_attempt(attempts) if attempts else stop_never,
        before_sleep=_log_retry,
        sleep=lambda seconds: _interruptible_sleep(seconds, should_stop),
        reraise=True,
    )


def _interruptible_sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = threading.Event()
    step = 0.2
    waited = 0.0
    while waited < seconds and not should_stop():
        deadline.wait(min(step, seconds - waited))
        waited += step


def run_mailbox(runner: MailboxRunner, retry: RetrySettings, *, once: bool) -> PassReport:
    """Run passes until stopped (or one pass with ``once``), reconnecting on transient errors."""
    total = PassReport()

    def attempt() -> bool:
        try:
            total.merge(runner.one_pass())
            if once or runner.should_stop():
                return True
            runner.wait()
            return False
        except RETRYABLE as error:
            runner.disconnect()
            RECONNECTS.labels(runner.settings.name).inc()
            _record_failure(runner, error)
            raise

    try:
        while not runner.should_stop():
            if retrying(retry, once=once, should_stop=runner.should_stop)(attempt):
                break
    finally:
        runner.disconnect()
    return total


class LockLost(Exception):
    """The single-instance lock was lost (database connection dropped): stop and re-acquire."""


def _record_failure(runner: MailboxRunner, error: BaseException) -> None:
    try:
        with runner.factory.begin() as session:
            heartbeat(session, runner.settings.name, ok=False, error=f"{type(error).__name__}: {error}")
    except Exception:  # noqa: BLE001 - the database may be the thing that failed
        log.debug("could not record the failed pass", exc_info=True)


def engine_label(engine: Engine) -> str:
    """The database backend and name without credentials, for logs."""
    url = engine.url
    return f"{url.get_backend_name()}:{url.database}"
