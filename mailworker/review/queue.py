"""Reading the review queue: filtered, counted per reason, oldest first, one page at a time.

A claim older than the claim time is treated as if the item were open again,
so the queue never waits for a reviewer who went home.  Listing reads only
the small columns it shows (never the raw message), through the
``(status, created_at)`` index, so thousands of items stay fast.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from mailworker.db.models import Message, ReviewItem
from mailworker.review.audit import Page
from mailworker.review.common import (
    ACTIVE_STATUSES,
    CLAIMED,
    FINAL_STATUSES,
    OPEN,
    Actor,
    as_utc,
    billing_deadline,
    claim_cutoff,
    kyiv_day,
    utcnow,
)

STATUS_FILTERS = ("todo", OPEN, CLAIMED, *FINAL_STATUSES, "all")


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One line of the queue page."""

    id: int
    message_id: int
    status: str
    reasons: list[str]
    created_at: datetime
    age: timedelta
    deadline: date
    sender: str
    subject: str
    summary: str
    claimed_by: str | None
    claim_expired: bool

    @property
    def shown_status(self) -> str:
        """``open`` for an expired claim, else the stored status."""
        return OPEN if self.status == CLAIMED and self.claim_expired else self.status


def status_condition(status: str, cutoff: datetime) -> ColumnElement[bool]:
    """SQL for a status filter; ``todo`` is everything not yet decided."""
    live_claim = and_(ReviewItem.status == CLAIMED, ReviewItem.claimed_at >= cutoff)
    if status == "todo":
        return ReviewItem.status.in_(ACTIVE_STATUSES)
    if status == OPEN:
        expired = or_(ReviewItem.claimed_at.is_(None), ReviewItem.claimed_at < cutoff)
        return or_(ReviewItem.status == OPEN, and_(ReviewItem.status == CLAIMED, expired))
    if status == CLAIMED:
        return live_claim
    if status in FINAL_STATUSES:
        return ReviewItem.status == status
    return ReviewItem.id.is_not(None)


def reason_condition(reason: str) -> ColumnElement[bool]:
    """SQL true when the item's JSON list of reasons holds ``reason`` (a quoted JSON string)."""
    return cast(ReviewItem.reasons, Text).contains(f'"{reason}"', autoescape=True)


def one_line_summary(proposal: dict[str, Any] | None) -> str:
    """What the worker read, in one line: account · readings · date · phone."""
    proposal = proposal or {}
    parts = []
    if proposal.get("account_id"):
        parts.append(f"account {proposal['account_id']}")
    readings = proposal.get("readings") or {}
    if readings:
        parts.append(", ".join(f"{register} {value}" for register, value in readings.items()))
    else:
        parts.append("no reading found")
    if proposal.get("fixation_date"):
        parts.append(str(proposal["fixation_date"]))
    if proposal.get("phone"):
        parts.append(str(proposal["phone"]))
    return " · ".join(parts)


def _row(values: Any, now: datetime, cutoff: datetime) -> QueueRow:
    (item_id, message_id, status, reasons, proposal, created_at, claimed_by, claimed_at,
     sender, subject, sent_at) = values
    created = as_utc(created_at) or now
    claimed = as_utc(claimed_at)
    day = kyiv_day(sent_at) or kyiv_day(created) or now.date()
    return QueueRow(id=item_id, message_id=message_id, status=status, reasons=list(reasons or []),
                    created_at=created, age=now - created, deadline=billing_deadline(day), sender=sender or "",
                    subject=subject or "", summary=one_line_summary(proposal), claimed_by=claimed_by,
                    claim_expired=status == CLAIMED and (claimed is None or claimed < cutoff))


def list_queue(session: Session, *, status: str = "todo", reason: str | None = None, page: int = 1,
               per_page: int = 50, claim_minutes: int = 30, now: datetime | None = None) -> Page[QueueRow]:
    """One page of the queue, oldest first (the oldest are the closest to the billing close)."""
    now = now or utcnow()
    cutoff = claim_cutoff(now, claim_minutes)
    conditions = [status_condition(status, cutoff)]
    if reason:
        conditions.append(reason_condition(reason))
    total = int(session.scalar(select(func.count()).select_from(ReviewItem).where(*conditions)) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = (select(ReviewItem.id, ReviewItem.message_id, ReviewItem.status, ReviewItem.reasons,
                    ReviewItem.proposal, ReviewItem.created_at, ReviewItem.claimed_by, ReviewItem.claimed_at,
                    Message.sender, Message.subject, Message.sent_at)
             .join(Message, Message.id == ReviewItem.message_id)
             .where(*conditions)
             .order_by(ReviewItem.created_at, ReviewItem.id)
             .limit(per_page).offset((page - 1) * per_page))
    rows = [_row(values, now, cutoff) for values in session.execute(query)]
    return Page(rows, total, page, per_page)


def reason_counts(session: Session, *, status: str = "todo", claim_minutes: int = 30,
                  now: datetime | None = None) -> dict[str, int]:
    """How many items in ``status`` carry each reason, most frequent first."""
    cutoff = claim_cutoff(now or utcnow(), claim_minutes)
    counter: Counter[str] = Counter()
    for (reasons,) in session.execute(select(ReviewItem.reasons).where(status_condition(status, cutoff))):
        counter.update(set(reasons or []))
    return dict(sorted(counter.items(), key=lambda pair: (-pair[1], pair[0])))


def status_counts(session: Session, *, claim_minutes: int = 30, now: datetime | None = None) -> dict[str, int]:
    """How many items there are in each status filter (``todo`` = open + claimed)."""
    cutoff = claim_cutoff(now or utcnow(), claim_minutes)
    return {status: int(session.scalar(select(func.count()).select_from(ReviewItem)
                                       .where(status_condition(status, cutoff))) or 0)
            for status in STATUS_FILTERS}


def next_item_id(session: Session, actor: Actor, *, claim_minutes: int = 30, after: int | None = None,
                 now: datetime | None = None) -> int | None:
    """The item this reviewer should do next: their own live claim first, else the oldest free one."""
    cutoff = claim_cutoff(now or utcnow(), claim_minutes)
    mine = and_(ReviewItem.status == CLAIMED, ReviewItem.claimed_by == actor.name, ReviewItem.claimed_at >= cutoff)
    free = status_condition(OPEN, cutoff)
    for condition in (mine, free):
        query = select(ReviewItem.id).where(condition).order_by(ReviewItem.created_at, ReviewItem.id).limit(1)
        if after is not None:
            query = query.where(ReviewItem.id != after)
        found = session.scalar(query)
        if found is not None:
            return int(found)
    return None
