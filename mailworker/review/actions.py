"""What a reviewer does to an item: claim, release, post, reject, mark not a reading.

Every function runs in the caller's transaction and records an audit event
there, so the change and its record commit together.  The item row is read
``FOR UPDATE`` (PostgreSQL) — SQLite transactions here begin ``IMMEDIATE`` and
so are serialised anyway — which makes two reviewers acting at once safe: the
second one sees the first one's claim or decision and gets a Conflict.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.config import DecisionSettings
from mailworker.db.models import PROCESSED, Message, PostedReading, ReviewItem
from mailworker.posting import post_reading
from mailworker.review.audit import item_state, record_event
from mailworker.review.common import (
    CLAIMED,
    FINAL_STATUSES,
    NOT_A_READING,
    OPEN,
    POSTED,
    REJECTED,
    Actor,
    Conflict,
    NeedsConfirmation,
    NotFound,
    ReviewError,
    as_utc,
    claim_cutoff,
    kyiv_day,
    utcnow,
)
from mailworker.review.edits import CheckedEdit, EditInput, check_edit

MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class PostOutcome:
    """A posted item: the reading row, and whether it was new (False: the same reading existed)."""

    item: ReviewItem
    reading: PostedReading
    new: bool
    warnings: list[str]


def load_item(session: Session, item_id: int, *, lock: bool = False) -> ReviewItem:
    """The item (row-locked when ``lock``), or NotFound."""
    query = select(ReviewItem).where(ReviewItem.id == item_id).execution_options(populate_existing=True)
    item = session.scalar(query.with_for_update() if lock else query)
    if item is None:
        raise NotFound(f"There is no review item {item_id}.")
    return item


def holder(item: ReviewItem, claim_minutes: int, now: datetime | None = None) -> str | None:
    """Who holds a live claim on the item (None when open, expired or decided)."""
    claimed_at = as_utc(item.claimed_at)
    if item.status != CLAIMED or claimed_at is None:
        return None
    return item.claimed_by if claimed_at >= claim_cutoff(now or utcnow(), claim_minutes) else None


def _ensure_workable(item: ReviewItem, actor: Actor, claim_minutes: int, *, force: bool = False) -> None:
    """Conflict unless the item is undecided and not held by somebody else."""
    if item.status in FINAL_STATUSES:
        who = f" by {item.decided_by}" if item.decided_by else ""
        raise Conflict(f"Item {item.id} was already decided{who} ({item.status.replace('_', ' ')}).")
    owner = holder(item, claim_minutes)
    if owner is not None and owner != actor.name and not force:
        claimed_at = as_utc(item.claimed_at)
        since = f" since {claimed_at:%H:%M} UTC" if claimed_at else ""
        raise Conflict(f"Item {item.id} is being handled by {owner}{since}.")


def claim(session: Session, item_id: int, actor: Actor, *, claim_minutes: int = 30) -> ReviewItem:
    """Take the item for ``actor`` (renewing their own claim); Conflict when someone else holds it."""
    item = load_item(session, item_id, lock=True)
    _ensure_workable(item, actor, claim_minutes)
    before = item_state(item)
    item.status, item.claimed_by, item.claimed_at = CLAIMED, actor.name, utcnow()
    record_event(session, actor, "claim", item.id, before, item_state(item))
    return item


def release(session: Session, item_id: int, actor: Actor, *, claim_minutes: int = 30) -> ReviewItem:
    """Give the item back to the queue; only its holder (or an admin) may release a live claim."""
    item = load_item(session, item_id, lock=True)
    _ensure_workable(item, actor, claim_minutes, force=actor.admin)
    if item.status != CLAIMED:
        raise Conflict(f"Item {item.id} is not claimed.")
    before = item_state(item)
    item.status, item.claimed_by, item.claimed_at = OPEN, None, None
    record_event(session, actor, "release", item.id, before, item_state(item))
    return item


def message_day(session: Session, item: ReviewItem) -> date:
    """The Kyiv day the e-mail was sent (the day it reached the queue when unknown)."""
    message = session.get(Message, item.message_id)
    sent = kyiv_day(message.sent_at) if message is not None else None
    return sent or kyiv_day(item.created_at) or utcnow().date()


def check_post(session: Session, item_id: int, edit: EditInput, settings: DecisionSettings,
               now: datetime | None = None) -> CheckedEdit:
    """Validate the edit for this item and list its plausibility warnings (nothing is written)."""
    item = load_item(session, item_id)
    return check_edit(session, edit, message_day(session, item), settings, now)


def _decide(session: Session, item: ReviewItem, actor: Actor, status: str, note: str | None) -> dict[str, object]:
    before = item_state(item)
    item.status, item.decided_by, item.decided_at = status, actor.name, utcnow()
    item.claimed_by, item.claimed_at, item.note = None, None, note
    message = session.get(Message, item.message_id)
    if message is not None:
        message.status = PROCESSED  # decided by a person: reprocessing must not reopen it
    return before


def post(session: Session, item_id: int, actor: Actor, edit: EditInput, settings: DecisionSettings, *,
         acknowledged: Collection[str] = (), claim_minutes: int = 30) -> PostOutcome:
    """Post the edited reading: EditErrors when invalid, NeedsConfirmation for unacknowledged warnings."""
    item = load_item(session, item_id, lock=True)
    _ensure_workable(item, actor, claim_minutes)
    checked = check_edit(session, edit, message_day(session, item), settings)
    unconfirmed = [w for w in checked.warnings if w not in set(acknowledged)]
    if unconfirmed:
        raise NeedsConfirmation(checked.warnings)
    valid = checked.edit
    before = _decide(session, item, actor, POSTED, None)
    before["proposal"] = dict(item.proposal or {})
    reading, new = post_reading(session, valid.account_id, valid.readings, valid.fixation, item.message_id,
                                "reviewer", actor.name)
    after = item_state(item) | {"account_id": valid.account_id, "readings": valid.readings,
                                "fixation_date": valid.fixation.isoformat(), "reading_id": reading.id,
                                "new_reading": new, "warnings_confirmed": checked.warnings}
    record_event(session, actor, "post", item.id, before, after)
    return PostOutcome(item, reading, new, checked.warnings)


def _clean_note(text: str | None, *, required: bool) -> str | None:
    note = " ".join((text or "").split())[:MAX_NOTE]
    if required and not note:
        raise ReviewError("Give a reason for rejecting the e-mail.")
    return note or None


def reject(session: Session, item_id: int, actor: Actor, reason: str, *, claim_minutes: int = 30) -> ReviewItem:
    """Close the item without posting, with the reviewer's reason (required)."""
    note = _clean_note(reason, required=True)
    item = load_item(session, item_id, lock=True)
    _ensure_workable(item, actor, claim_minutes)
    before = _decide(session, item, actor, REJECTED, note)
    record_event(session, actor, "reject", item.id, before, item_state(item), note)
    return item


def mark_not_a_reading(session: Session, item_id: int, actor: Actor, note: str | None = None, *,
                       claim_minutes: int = 30) -> ReviewItem:
    """Close the item as not a meter reading at all (a question, spam, an auto-reply)."""
    text = _clean_note(note, required=False)
    item = load_item(session, item_id, lock=True)
    _ensure_workable(item, actor, claim_minutes)
    before = _decide(session, item, actor, NOT_A_READING, text)
    record_event(session, actor, "not_a_reading", item.id, before, item_state(item), text)
    return item
