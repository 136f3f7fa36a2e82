"""`mailworker ingest`: archives on disk through the ledger and the pipeline, serially or with worker processes.

With ``workers > 1`` the database-free stages of batch *k+1* run in worker
processes while the single writer stores batch *k*; everything that touches
the database (ledger, validation against the current registry, posting,
review items) stays in this process, one transaction per message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import Settings
from mailworker.ledger import FetchedMessage
from mailworker.notify import Acknowledger
from mailworker.parallel import Job, PreparationError, Preparer
from mailworker.pipeline import Context, Stage
from mailworker.posting import write_results
from mailworker.progress import Progress
from mailworker.registry_store import load_aliases, load_records
from mailworker.runner import StopFlag, process_ids, record_batch
from mailworker.sources.local import count_local, iter_local

BATCH = 200


@dataclass(slots=True)
class _Pending:
    """A recorded batch whose messages are still being prepared."""

    raws: dict[int, bytes]
    prepared: Iterator[tuple[int, Context | PreparationError]] | None
    size: int


@dataclass(slots=True)
class Backfill:
    """One ingest run over local paths."""

    factory: sessionmaker[Session]
    settings: Settings
    stages: tuple[Stage, ...]
    stop: StopFlag
    acknowledger: Acknowledger | None = None
    workers: int = 1
    added: int = 0
    known: int = 0
    _preparer: Preparer | None = field(default=None, init=False)

    def run(self, paths: Sequence[str]) -> None:
        """Ingest every message under ``paths``."""
        counts = [count_local(path) for path in paths]
        progress = Progress(None if None in counts else sum(c or 0 for c in counts))
        if self.workers > 1:
            with self.factory() as session:
                records, aliases = load_records(session), load_aliases(session)
            self._preparer = Preparer(self.workers, records, aliases, self.settings.decision)
        try:
            pending: _Pending | None = None
            for batch in self._batches(paths):
                current = self._record(batch)
                if pending is not None:
                    self._store(pending, progress)
                pending = current
            if pending is not None:
                self._store(pending, progress)
        finally:
            if self._preparer is not None:
                self._preparer.close()
        progress.finish()

    def _batches(self, paths: Sequence[str]) -> Iterator[list[FetchedMessage]]:
        max_bytes = self.settings.mailboxes[0].max_message_bytes
        for path in paths:
            batch: list[FetchedMessage] = []
            for fetched in iter_local(path, max_bytes):
                batch.append(fetched)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
                if self.stop():
                    break
            if batch:
                yield batch
            if self.stop():
                return

    def _record(self, batch: list[FetchedMessage]) -> _Pending:
        raws, duplicates = record_batch(self.factory, batch)
        self.added += len(raws) + duplicates
        self.known += len(batch) - len(raws) - duplicates
        jobs = [Job(ledger_id, raw) for ledger_id, raw in raws.items()]
        prepared = self._preparer.prepare(jobs) if self._preparer is not None and jobs else None
        return _Pending(raws, prepared, len(batch))

    def _store(self, pending: _Pending, progress: Progress) -> None:
        prepared = dict(pending.prepared) if pending.prepared is not None else None
        process_ids(self.factory, list(pending.raws), self.stages, self.stop, write_results, pending.raws,
                    acknowledger=self.acknowledger, prepared=prepared)
        progress.advance(pending.size)
