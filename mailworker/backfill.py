"""`mailworker ingest`: archives on disk through the ledger and the pipeline, serially or with worker processes.

With ``workers > 1`` the database-free stages of batch *k* run in worker
processes while this process records batch *k+1* (see ``feeder.py``);
everything that touches the database (ledger, validation against the current
registry, posting, review items) stays in this process, one transaction per
batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from mailworker.config import Settings
from mailworker.feeder import Feeder
from mailworker.ledger import FetchedMessage
from mailworker.notify import Acknowledger
from mailworker.parallel import Preparer, start_preparer
from mailworker.pipeline import Stage
from mailworker.posting import write_results
from mailworker.progress import Progress
from mailworker.runner import StopFlag, record_batch
from mailworker.sources.local import count_local, iter_local

BATCH = 200


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

    def run(self, paths: Sequence[str]) -> None:
        """Ingest every message under ``paths``."""
        counts = [count_local(path) for path in paths]
        progress = Progress(None if None in counts else sum(c or 0 for c in counts))
        preparer = start_preparer(self.factory, self.workers, self.settings.decision)
        try:
            self._run(paths, progress, preparer)
        finally:
            if preparer is not None:
                preparer.close()
        progress.finish()

    def _run(self, paths: Sequence[str], progress: Progress, preparer: Preparer | None) -> None:
        feeder = Feeder(self.factory, self.stages, self.stop, write_results, acknowledger=self.acknowledger,
                        preparer=preparer)
        for batch in self._batches(paths):
            raws, duplicates = record_batch(self.factory, batch)
            self.added += len(raws) + duplicates
            self.known += len(batch) - len(raws) - duplicates
            progress.advance(len(feeder.feed(raws)) + len(batch) - len(raws))
        progress.advance(len(feeder.flush()))

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
