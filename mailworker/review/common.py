"""Shared vocabulary of the review queue: who acts, what can go wrong, times, and reasons in plain words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from parsers.dates import KYIV

OPEN, CLAIMED, POSTED, REJECTED, NOT_A_READING = "open", "claimed", "posted", "rejected", "not_a_reading"
ACTIVE_STATUSES = (OPEN, CLAIMED)
FINAL_STATUSES = (POSTED, REJECTED, NOT_A_READING)
BILLING_CLOSE_DAY = 4  # billing closes at the end of the 4th day of each month (Kyiv time)
DEFAULT_CLAIM_MINUTES = 30

REASON_TEXT = {
    "no_account_match": "No account found for the address, phone or account number",
    "ambiguous_account": "Several accounts fit: choose the right one",
    "multiple_accounts": "The e-mail is about several accounts",
    "no_reading": "No meter reading found in the text",
    "conflicting_readings": "Different readings in the same e-mail",
    "reading_in_attachment_only": "The reading is only in an attachment (photo or document)",
    "not_a_reading": "Looks like a question or other mail, not a reading",
    "reading_decreased": "The reading is lower than the last one",
    "consumption_spike": "Consumption far above this account's usual",
    "zones_mismatch": "Registers do not match the meter's zones",
    "date_in_future": "The reading date is after the e-mail was sent",
    "date_stale": "The reading date is old",
    "low_confidence": "The worker was not sure enough of what it read",
    "auto_reply": "Automatic reply",
    "spam": "Looks like spam",
    "oversized_message": "The message was too large to keep whole",
    "already_posted": "Another reading is already posted for this account and date",
}


def reason_text(reason: str) -> str:
    """A reason code in plain words (the code itself when unknown)."""
    return REASON_TEXT.get(reason, reason.replace("_", " "))


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action, and through which channel (``web`` or ``cli``)."""

    name: str
    channel: str = "web"
    admin: bool = False


class ReviewError(Exception):
    """An action that cannot be done; the message is meant for the reviewer."""


class NotFound(ReviewError):
    """No such review item (or attachment)."""


class Conflict(ReviewError):
    """Somebody else holds the item, or it was already decided."""


@dataclass
class EditErrors(ReviewError):
    """The edited values cannot be posted; one plain message per form field."""

    errors: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return "; ".join(f"{name}: {message}" for name, message in self.errors.items())


@dataclass
class NeedsConfirmation(ReviewError):
    """The values are valid but implausible: the reviewer must confirm these warnings first."""

    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "confirmation needed: " + "; ".join(reason_text(w) for w in self.warnings)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """A stored time as aware UTC (SQLite hands back naive UTC times)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def kyiv_today(now: datetime | None = None) -> date:
    """Today's date in Kyiv."""
    return (now or utcnow()).astimezone(KYIV).date()


def kyiv_day(value: datetime | None) -> date | None:
    """The Kyiv calendar day of a stored time."""
    moment = as_utc(value)
    return moment.astimezone(KYIV).date() if moment is not None else None


def billing_deadline(day: date) -> date:
    """The billing close a message of ``day`` belongs to: the 4th of this month, or of the next one."""
    if day.day <= BILLING_CLOSE_DAY:
        return day.replace(day=BILLING_CLOSE_DAY)
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next.replace(day=BILLING_CLOSE_DAY)


def claim_cutoff(now: datetime, claim_minutes: int) -> datetime:
    """Claims taken before this time have expired."""
    return now - timedelta(minutes=claim_minutes)


def format_age(delta: timedelta) -> str:
    """A short human age: ``45 min``, ``5 h``, ``3 d``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} d"
