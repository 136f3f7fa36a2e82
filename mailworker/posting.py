"""Store the decision: post an accepted reading, or open a review item with everything a reviewer needs.

Runs inside the message's processing transaction (see ``processing.py``), so
the ledger status, the posted reading, the registry's new last reading and the
review item commit together or not at all.  Posting is idempotent: the same
reading for the same account and date is stored once; a resubmission only
counts up ``resubmissions``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.classify import summary
from mailworker.db.models import PROCESSED, REVIEW, Message, PostedReading, ReviewItem
from mailworker.pipeline import Context
from mailworker.registry_store import record_posted, to_record
from mailworker.stages.decide import DAYS_PER_MONTH


def registers_key(readings: dict[str, int]) -> str:
    """A canonical text for a register dict ("day=1;night=2")."""
    return ";".join(f"{k}={int(v)}" for k, v in sorted(readings.items()))


def post_reading(session: Session, account_id: str, readings: dict[str, int], fixation: date,
                 message_id: int | None, decided_by: str, reviewer: str | None = None) -> tuple[PostedReading, bool]:
    """Post a reading once; returns the row and whether it was new (False: a resubmission)."""
    key = registers_key(readings)
    existing = session.scalar(select(PostedReading).where(
        PostedReading.account_id == account_id, PostedReading.fixation_date == fixation,
        PostedReading.registers_key == key))
    if existing is not None:
        existing.resubmissions += 1
        return existing, False
    row = PostedReading(account_id=account_id, registers=dict(readings), registers_key=key, fixation_date=fixation,
                        message_id=message_id, posted_at=datetime.now(UTC), decided_by=decided_by,
                        reviewer=reviewer, resubmissions=0)
    session.add(row)
    record_posted(session, account_id, readings, fixation)
    session.flush()
    return row, True


def implied_consumption(session: Session, account_id: str, readings: dict[str, int] | None,
                        fixation: date | None) -> dict[str, Any]:
    """A candidate account's last reading and what the new reading would mean for it."""
    from mailworker.db.models import RegistryAccount

    row = session.get(RegistryAccount, account_id)
    if row is None:
        return {"account_id": account_id, "known": False}
    record = to_record(row)
    info: dict[str, Any] = {"account_id": account_id, "known": True, "zones": record.zones,
                            "address": f"{record.city}, {record.street}, {record.house}"
                                       + (f", кв. {record.apartment}" if record.apartment else ""),
                            "last": record.last, "last_reading_date": str(record.last_reading_date or ""),
                            "avg_monthly_kwh": record.avg_monthly_kwh}
    if readings and set(readings) == set(record.last):
        used = sum(readings.values()) - sum(record.last.values())
        info["consumption_kwh"] = used
        if fixation and record.last_reading_date:
            months = max(1.0, (fixation - record.last_reading_date).days / DAYS_PER_MONTH)
            info["monthly_kwh"] = round(used / months, 1)
    return info


def open_review(session: Session, row: Message, context: Context, result: dict[str, Any]) -> ReviewItem:
    """A review item with the reasons, the proposal and every candidate (replacing an older one)."""
    item = session.scalar(select(ReviewItem).where(ReviewItem.message_id == row.id))
    match = context.match
    accounts = [c.account_id for c in match.candidates[:5]] if match else []
    fixation = date.fromisoformat(result["fixation_date"]) if result.get("fixation_date") else None
    candidates = dict(result.get("evidence", {}))
    candidates["accounts"] = [implied_consumption(session, a, result.get("readings"), fixation) for a in accounts]
    proposal = {k: result.get(k) for k in ("account_id", "readings", "fixation_date", "phone", "confidence")}
    if item is None:
        item = ReviewItem(message_id=row.id, created_at=datetime.now(UTC))
        session.add(item)
    item.status, item.reasons, item.proposal, item.candidates = "open", list(context.reasons), proposal, candidates
    return item


def write_results(session: Session, row: Message, context: Context) -> str:
    """Store the outcome of the stages for ``row``; returns its ledger status."""
    result = summary(context)
    decoded = context.decoded
    if decoded is not None:
        row.subject = decoded.subject[:2000]
        row.sender = decoded.sender_address[:500]
        row.sent_at = decoded.sent_at
    row.summary = {k: v for k, v in result.items() if k != "evidence"}
    context.result["summary"] = row.summary
    if result["decision"] == "accept" and result["account_id"] and result["readings"]:
        fixation = date.fromisoformat(result["fixation_date"])
        posted, new = post_reading(session, result["account_id"], result["readings"], fixation, row.id, "auto")
        row.summary["posted_reading_id"] = posted.id
        row.summary["resubmission"] = not new
        return PROCESSED
    open_review(session, row, context, result)
    return REVIEW
