"""Decode and extract in worker processes while one writer keeps the ledger (for big backfills).

The stages that need no database (decode, extract, classify, match, reading)
run in a process pool over a snapshot of the registry; the prepared contexts
come back to the single writer, which runs validate and decide against the
current registry inside each message's own transaction.  A stage that raises
in a worker is re-raised in the writer's transaction, so the message is
quarantined with its traceback exactly as in the serial path.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailworker import heap
from mailworker.config import DecisionSettings
from mailworker.faults import crash_point
from mailworker.matching import RegistryIndex
from mailworker.pipeline import Context, Stage, run_stages
from mailworker.registry import RegistryRecord, StreetAlias
from mailworker.stages import build_stages
from mailworker.stages.decide import MemoryRegistry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from mailworker.registry_store import DbRegistry

TRANSACTIONAL = frozenset({"validate", "decide"})
_WORKER_STAGES: tuple[Stage, ...] = ()


class PreparationError(Exception):
    """A pure stage failed in a worker process; carries the worker's traceback."""


@dataclass(frozen=True, slots=True)
class Job:
    """One message to prepare."""

    ledger_id: int
    raw: bytes


def split_stages(stages: Sequence[Stage]) -> tuple[tuple[Stage, ...], tuple[Stage, ...]]:
    """The leading stages that need no database, and the rest."""
    index = next((i for i, stage in enumerate(stages) if stage.name in TRANSACTIONAL), len(stages))
    return tuple(stages[:index]), tuple(stages[index:])


def _init_worker(parent: int, records: list[RegistryRecord], aliases: list[StreetAlias],
                 settings: DecisionSettings) -> None:
    global _WORKER_STAGES
    # systemd and a terminal signal the whole process group: the writer decides when the pool stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), name="parent-watch", daemon=True).start()
    index = RegistryIndex.build(records, aliases, fuzzy_threshold=settings.fuzzy_threshold)
    _WORKER_STAGES = split_stages(build_stages(MemoryRegistry(index), settings))[0]
    heap.settle()


def _exit_with_parent(parent: int) -> None:
    """End this worker process once its parent is gone (killed with SIGKILL, say): no orphans are left."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def _prepare(job: Job) -> tuple[int, Context | PreparationError]:
    crash_point("pool_worker")
    try:
        context = run_stages(_WORKER_STAGES, Context(raw=job.raw, ledger_id=job.ledger_id))
    except Exception as error:  # noqa: BLE001 - handed to the writer, which quarantines the message
        return job.ledger_id, PreparationError("".join(traceback.format_exception(error)))
    _drop_pool_only_parts(context)
    return job.ledger_id, context


def _drop_pool_only_parts(context: Context) -> None:
    """Empty what only the pool's stages read, so less is pickled back to the writer.

    The writer has the raw bytes; the split texts (``extraction.texts``) and the forwarded
    parts are read by extract, classify and reading only, which have run.
    """
    context.raw = b""
    if context.decoded is not None:
        context.decoded.forwarded_texts = []
    texts = getattr(context.extraction, "texts", None)
    if texts:
        context.extraction.texts = {}


class Preparer:
    """A pool of processes running the pure stages."""

    def __init__(self, workers: int, records: list[RegistryRecord], aliases: list[StreetAlias],
                 settings: DecisionSettings) -> None:
        self._executor: Executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker, initargs=(os.getpid(), records, aliases, settings))
        self.broken = False  # a worker process died: the pool must be replaced

    def prepare(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Context | PreparationError]]:
        """Prepared contexts in job order (submitted at once, computed in the background).

        Raises ``BrokenProcessPool`` (here or while iterating) when a worker process died.
        """
        try:
            return self._executor.map(_prepare, jobs, chunksize=8)
        except BrokenProcessPool:
            self.broken = True
            raise

    def close(self) -> None:
        """Stop the worker processes."""
        self._executor.shutdown(wait=True, cancel_futures=True)


def start_preparer(factory: sessionmaker[Session], workers: int, settings: DecisionSettings,
                   snapshot: tuple[list[RegistryRecord], list[StreetAlias]] | None = None) -> Preparer | None:
    """A pool of ``workers`` processes over ``snapshot`` (the registry as it is now when None), or None for
    ``workers`` <= 1."""
    if workers <= 1:
        return None
    if snapshot is None:
        from mailworker.registry_store import load_aliases, load_records

        with factory() as session:
            snapshot = load_records(session), load_aliases(session)
    return Preparer(workers, *snapshot, settings)


class PoolKeeper:
    """Keeps the daemon's match index and worker pool in step with the registry table.

    Checked before every pass: when a registry import changed accounts or aliases, the
    index is rebuilt and the worker processes are restarted over the new snapshot; a pool
    that lost a worker process is replaced too.
    """

    def __init__(self, registry: DbRegistry, factory: sessionmaker[Session], workers: int,
                 settings: DecisionSettings) -> None:
        self.registry = registry
        self.factory = factory
        self.workers = workers
        self.settings = settings
        self._preparer: Preparer | None = None

    def preparer(self) -> Preparer | None:
        """The pool for this pass (None when running serially), restarted if the registry changed."""
        changed = self.registry.refresh()
        broken = self._preparer is not None and self._preparer.broken
        if self.workers > 1 and (changed or broken or self._preparer is None):
            self.close()
            self._preparer = start_preparer(self.factory, self.workers, self.settings, self.registry.snapshot)
        return self._preparer

    def close(self) -> None:
        """Stop the worker processes, if any."""
        if self._preparer is not None:
            self._preparer.close()
            self._preparer = None
