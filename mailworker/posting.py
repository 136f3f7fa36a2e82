"""Store the decision: post an accepted reading, or open a review item with everything a reviewer needs.

Runs inside the message's processing transaction (see ``processing.py``), so
the ledger status, the posted reading, the registry's new last reading and the
review item commit together or not at all.  Posting is idempotent: the same
reading for the same account and date is stored once; a resubmission only
counts up ``resubmissions``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.classify import summary
from mailworker.db.models import PROCESSED, REVIEW, PostedReading, ReviewItem
from mailworker.pipeline import Context
from mailworker.registry_store import record_posted, to_record
from mailworker.stages.decide import DAYS_PER_MONTH

if TYPE_CHECKING:
    from mailworker.processing import LedgerRow

LOOKUPS_KEY = "mailworker.lookups"
PostedKey = tuple[str, date, str]


def registers_key(readings: dict[str, int]) -> str:
    """A canonical text for a register dict ("day=1;night=2")."""
    return ";".join(f"{k}={int(v)}" for k, v in sorted(readings.items()))


@dataclass(slots=True)
class BatchLookups:
    """Rows a batch's writer would otherwise query one by one, loaded once (see ``mailworker.batch``).

    Postings added during the batch join ``posted`` at once, so a second copy of a reading in
    the same batch is still recognised as a resubmission without a flush.
    """

    review_items: dict[int, ReviewItem] = field(default_factory=dict)
    posted: dict[PostedKey, PostedReading] = field(default_factory=dict)
    accounts: dict[str, Any] = field(default_factory=dict)  # held here so the session's identity map keeps them
    new_postings: list[tuple[LedgerRow, PostedReading]] = field(default_factory=list)


def _lookups(session: Session) -> BatchLookups | None:
    found = session.info.get(LOOKUPS_KEY)
    return found if isinstance(found, BatchLookups) else None


def _existing_posting(session: Session, key: PostedKey) -> PostedReading | None:
    lookups = _lookups(session)
    if lookups is not None:
        return lookups.posted.get(key)
    return session.scalar(select(PostedReading).where(
        PostedReading.account_id == key[0], PostedReading.fixation_date == key[1],
        PostedReading.registers_key == key[2]))


def post_reading(session: Session, account_id: str, readings: dict[str, int], fixation: date,
                 message_id: int | None, decided_by: str, reviewer: str | None = None) -> tuple[PostedReading, bool]:
    """Post a reading once; returns the row and whether it was new (False: a resubmission)."""
    key = registers_key(readings)
    existing = _existing_posting(session, (account_id, fixation, key))
    if existing is not None:
        existing.resubmissions += 1
        return existing, False
    row = PostedReading(account_id=account_id, registers=dict(readings), registers_key=key, fixation_date=fixation,
                        message_id=message_id, posted_at=datetime.now(UTC), decided_by=decided_by,
                        reviewer=reviewer, resubmissions=0)
    session.add(row)
    record_posted(session, account_id, readings, fixation)
    lookups = _lookups(session)
    if lookups is None:
        session.flush()  # the id is wanted now; a batch assigns ids in one flush at its end
    else:
        lookups.posted[(account_id, fixation, key)] = row
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


def open_review(session: Session, row: LedgerRow, context: Context, result: dict[str, Any]) -> ReviewItem:
    """A review item with the reasons, the proposal and every candidate (replacing an older one)."""
    lookups = _lookups(session)
    if lookups is not None:
        item = lookups.review_items.get(row.id)
    else:
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


def write_results(session: Session, row: LedgerRow, context: Context) -> str:
    """Store the outcome of the stages for ``row``; returns its ledger status."""
    result = summary(context)
    decoded = context.decoded
    if decoded is not None:
        row.subject = decoded.subject[:2000]
        row.sender = decoded.sender_address[:500]
        row.sent_at = decoded.sent_at
    stored = {k: v for k, v in result.items() if k != "evidence"}
    context.result["summary"] = stored
    if result["decision"] == "accept" and result["account_id"] and result["readings"]:
        fixation = date.fromisoformat(result["fixation_date"])
        posted, new = post_reading(session, result["account_id"], result["readings"], fixation, row.id, "auto")
        stored.update(posted_reading_id=posted.id, resubmission=not new)
        row.summary = stored  # assigned after posting: a JSON column does not notice changes made in place
        lookups = _lookups(session)
        if posted.id is None and lookups is not None:
            lookups.new_postings.append((row, posted))  # the batch fills the id in after its flush
        return PROCESSED
    row.summary = stored
    open_review(session, row, context, result)
    return REVIEW
