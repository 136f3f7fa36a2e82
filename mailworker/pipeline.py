"""The pipeline: small named stages that each read and add to one :class:`Context`.

A stage never raises to ask for review: it appends a reason to
``context.reasons``.  An exception out of a stage is a bug or hostile input and
is the runner's business (roll back, quarantine with the traceback, go on).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from mailworker.faults import crash_on_marked
from mailworker.mime import DecodedMessage, decode_message


@dataclass(slots=True)
class Context:
    """Everything known about one message as it moves through the stages."""

    raw: bytes
    internaldate: datetime | None = None
    headers_only: bool = False
    ledger_id: int | None = None
    decoded: DecodedMessage | None = None
    extraction: Any = None
    match: Any = None
    reasons: list[str] = field(default_factory=list)
    decision: str | None = None
    confidence: float = 0.0
    result: dict[str, Any] = field(default_factory=dict)
    stages_run: list[str] = field(default_factory=list)
    session: Any = None  # the processing transaction's session (None in classify)

    def add_reason(self, reason: str) -> None:
        """Record a review reason once, keeping the order in which stages found them."""
        if reason not in self.reasons:
            self.reasons.append(reason)


class Stage(Protocol):
    """One named step of the pipeline."""

    name: str

    def __call__(self, context: Context) -> None:
        """Read and extend ``context``."""


class DecodeStage:
    """Decode the raw bytes into headers, text body, forwarded texts and attachments."""

    name = "decode"

    def __call__(self, context: Context) -> None:
        """Fill ``context.decoded``; a message kept as headers only is marked for review."""
        crash_on_marked(context.raw)
        context.decoded = decode_message(context.raw, context.internaldate)
        if context.headers_only:
            context.add_reason("oversized_message")


def run_stages(stages: Sequence[Stage], context: Context) -> Context:
    """Run ``stages`` in order over ``context`` and return it."""
    for stage in stages:
        stage(context)
        context.stages_run.append(stage.name)
    return context


def default_stages() -> tuple[Stage, ...]:
    """The stages every message goes through (daemon, ingest and classify alike)."""
    return (DecodeStage(),)
