"""Prometheus metrics (text format on an optional port) and the heartbeat that `health` reads.

Counters and histograms live in this process; the heartbeat (last successful
poll per mailbox, who is polling it) lives in the database so `mailworker
health` and other workers can see it.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.db.models import MailboxState

REGISTRY = CollectorRegistry(auto_describe=True)
MESSAGES = Counter("mailworker_messages_total", "Messages by final status", ["mailbox", "status"], registry=REGISTRY)
REASONS = Counter("mailworker_review_reasons_total", "Review reasons", ["mailbox", "reason"], registry=REGISTRY)
FETCHED_TOTAL = Counter("mailworker_fetched_total", "Messages fetched from the server", ["mailbox"], registry=REGISTRY)
RECONNECTS = Counter("mailworker_imap_reconnects_total", "IMAP reconnects after transient errors", ["mailbox"],
                     registry=REGISTRY)
FETCH_SECONDS = Histogram("mailworker_fetch_seconds", "Time to fetch one batch", ["mailbox"], registry=REGISTRY,
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
PROCESS_SECONDS = Histogram("mailworker_process_seconds", "Time to process one message", ["mailbox"],
                            registry=REGISTRY, buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5))
LAST_POLL = Gauge("mailworker_last_successful_poll_timestamp_seconds", "Unix time of the last complete pass",
                  ["mailbox"], registry=REGISTRY)
QUEUE_DEPTH = Gauge("mailworker_review_queue_depth", "Open review items", registry=REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """Expose the metrics on http://host:port/metrics (a daemon thread)."""
    start_http_server(port, addr=host, registry=REGISTRY)


def worker_identity() -> str:
    """host:pid of this process, recorded with the heartbeat."""
    return f"{socket.gethostname()}:{os.getpid()}"


def heartbeat(session: Session, mailbox: str, *, ok: bool, error: str | None = None) -> None:
    """Record a finished pass (or a failed one) for ``mailbox``; the caller commits."""
    state = session.get(MailboxState, mailbox)
    now = datetime.now(UTC)
    if state is None:
        state = MailboxState(mailbox=mailbox)
        session.add(state)
    state.worker = worker_identity()
    state.last_attempt_at = now
    if ok:
        state.last_success_at = now
        state.last_error = None
        LAST_POLL.labels(mailbox).set(now.timestamp())
    else:
        state.last_error = (error or "")[:2000]


def poll_ages(session: Session, now: datetime | None = None) -> dict[str, float | None]:
    """Seconds since each mailbox's last successful pass (None: never)."""
    moment = now or datetime.now(UTC)
    ages: dict[str, float | None] = {}
    for state in session.scalars(select(MailboxState)):
        last = state.last_success_at
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        ages[state.mailbox] = (moment - last).total_seconds() if last else None
    return ages
