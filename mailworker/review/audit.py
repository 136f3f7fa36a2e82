"""The audit trail (who did what, when, before → after) and the searchable log of posted readings."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from mailworker.db.models import PostedReading, RegistryAccount, ReviewItem
from mailworker.db.review_models import ReviewEvent
from mailworker.review.common import Actor, as_utc, utcnow

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results with enough to draw the pager."""

    rows: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.per_page))


def record_event(session: Session, actor: Actor, action: str, item_id: int | None = None,
                 before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
                 note: str | None = None) -> ReviewEvent:
    """Append one audit event in the caller's transaction."""
    event = ReviewEvent(item_id=item_id, actor=actor.name[:200], channel=actor.channel, at=utcnow(),
                        action=action, before=before, after=after, note=note)
    session.add(event)
    return event


def item_state(item: ReviewItem) -> dict[str, Any]:
    """The audited fields of a review item, as JSON-friendly values."""
    claimed_at = as_utc(item.claimed_at)
    return {"status": item.status, "claimed_by": item.claimed_by,
            "claimed_at": claimed_at.isoformat(timespec="seconds") if claimed_at else None,
            "decided_by": item.decided_by, "note": item.note}


HIDDEN_CHANGE_KEYS = frozenset({"claimed_at", "reading_id", "new_reading"})


def _text(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k} {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return str(value)


def describe_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[tuple[str, str, str]]:
    """(field, before, after) for every audited field that changed; a post compares with the worker's proposal."""
    old = dict(before or {})
    proposal = old.pop("proposal", None)
    if isinstance(proposal, dict):
        old.update({k: proposal.get(k) for k in ("account_id", "readings", "fixation_date")})
    new = dict(after or {})
    keys = [k for k in dict.fromkeys([*old, *new]) if k not in HIDDEN_CHANGE_KEYS]
    rows = [(key.replace("_", " "), _text(old.get(key)), _text(new.get(key))) for key in keys]
    return [row for row in rows if row[1] != row[2]]


def item_history(session: Session, item_id: int) -> list[ReviewEvent]:
    """Every event of one item, oldest first."""
    return list(session.scalars(select(ReviewEvent).where(ReviewEvent.item_id == item_id)
                                .order_by(ReviewEvent.at, ReviewEvent.id)))


def _paged(session: Session, query: Select, page: int, per_page: int) -> tuple[list[Any], int, int]:
    total = int(session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = list(session.execute(query.limit(per_page).offset((page - 1) * per_page)).all())
    return rows, total, page


def search_events(session: Session, *, item_id: int | None = None, actor: str | None = None,
                  action: str | None = None, page: int = 1, per_page: int = 50) -> Page[ReviewEvent]:
    """Audit events, newest first, filtered by item, person and action."""
    query = select(ReviewEvent)
    if item_id is not None:
        query = query.where(ReviewEvent.item_id == item_id)
    if actor:
        query = query.where(ReviewEvent.actor == actor)
    if action:
        query = query.where(ReviewEvent.action == action)
    rows, total, page = _paged(session, query.order_by(ReviewEvent.at.desc(), ReviewEvent.id.desc()),
                               page, per_page)
    return Page([row[0] for row in rows], total, page, per_page)


@dataclass(frozen=True, slots=True)
class PostedRow:
    """A posted reading with its account's address and the review item it came from (if any)."""

    reading: PostedReading
    address: str
    item_id: int | None


def format_address(account: RegistryAccount | None) -> str:
    """``city, street, house, кв. N`` of an account ("" when unknown)."""
    if account is None:
        return ""
    apartment = f", кв. {account.apartment}" if account.apartment else ""
    return f"{account.city}, {account.street}, {account.house}{apartment}"


def _word_variants(word: str) -> list[str]:
    """A word as typed, lower-case and capitalised (SQLite's LIKE folds only ASCII letters)."""
    return list(dict.fromkeys((word, word.lower(), word.capitalize(), word.upper())))


def _address_condition(words: Sequence[str]) -> Any:
    columns = (RegistryAccount.city, RegistryAccount.street, RegistryAccount.house, RegistryAccount.apartment)
    return and_(*(or_(*(column.contains(variant, autoescape=True) for column in columns
                        for variant in _word_variants(word))) for word in words))


def search_posted(session: Session, *, account: str | None = None, address: str | None = None,
                  date_from: date | None = None, date_to: date | None = None, reviewer: str | None = None,
                  page: int = 1, per_page: int = 50) -> Page[PostedRow]:
    """Posted readings, newest first, by account number, words of the address and fixation dates."""
    query = (select(PostedReading, RegistryAccount, ReviewItem.id)
             .outerjoin(RegistryAccount, RegistryAccount.account_id == PostedReading.account_id)
             .outerjoin(ReviewItem, ReviewItem.message_id == PostedReading.message_id))
    if account:
        query = query.where(PostedReading.account_id.contains(account.strip(), autoescape=True))
    words = (address or "").replace(",", " ").split()
    if words:
        query = query.where(_address_condition(words))
    if date_from:
        query = query.where(PostedReading.fixation_date >= date_from)
    if date_to:
        query = query.where(PostedReading.fixation_date <= date_to)
    if reviewer:
        query = query.where(PostedReading.reviewer == reviewer)
    query = query.order_by(PostedReading.posted_at.desc(), PostedReading.id.desc())
    rows, total, page = _paged(session, query, page, per_page)
    return Page([PostedRow(r[0], format_address(r[1]), r[2]) for r in rows], total, page, per_page)


def event_time(event: ReviewEvent) -> datetime:
    """The event's time as aware UTC."""
    moment = as_utc(event.at)
    assert moment is not None
    return moment
