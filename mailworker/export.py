"""Export posted readings for billing, as CSV or JSON; every export is recorded.

``--new`` exports only readings posted after the last recorded export, so a
billing job can run it repeatedly and never receive a reading twice.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.db.models import ExportRun, PostedReading

COLUMNS = ("reading_id", "account_id", "fixation_date", "total", "day", "night", "peak", "half_peak",
           "posted_at", "decided_by", "reviewer", "message_id")


@dataclass(frozen=True, slots=True)
class ExportResult:
    """The rendered export and how many readings it holds."""

    text: str
    count: int


def _row(reading: PostedReading) -> dict[str, Any]:
    registers = reading.registers or {}
    return {"reading_id": reading.id, "account_id": reading.account_id,
            "fixation_date": reading.fixation_date.isoformat(),
            **{name: registers.get(name) for name in ("total", "day", "night", "peak", "half_peak")},
            "posted_at": reading.posted_at.isoformat() if reading.posted_at else None,
            "decided_by": reading.decided_by, "reviewer": reading.reviewer, "message_id": reading.message_id}


def render(rows: list[dict[str, Any]], fmt: str) -> str:
    """CSV (header row, empty cells for absent registers) or a JSON array."""
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=1) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def export_readings(session: Session, *, since: date | None, only_new: bool, fmt: str, destination: str
                    ) -> ExportResult:
    """Select, render and record one export; the caller commits."""
    query = select(PostedReading).order_by(PostedReading.id)
    if since is not None:
        query = query.where(PostedReading.fixation_date >= since)
    if only_new:
        last = session.scalar(select(ExportRun.last_reading_id).order_by(ExportRun.id.desc()).limit(1))
        if last:
            query = query.where(PostedReading.id > last)
    readings = list(session.scalars(query))
    rows = [_row(r) for r in readings]
    last_id = max((r.id for r in readings), default=0)
    if not only_new or readings:
        previous = session.scalar(select(ExportRun.last_reading_id).order_by(ExportRun.id.desc()).limit(1)) or 0
        session.add(ExportRun(created_at=datetime.now(UTC), since=since, format=fmt, destination=destination,
                              count=len(rows), last_reading_id=max(last_id, previous)))
    return ExportResult(render(rows, fmt), len(rows))
