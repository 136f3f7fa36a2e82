"""Everything the item page shows: the e-mail, candidate accounts side by side, the edit form's values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from mailworker.db.models import Message, RawBlob, RegistryAccount, ReviewItem
from mailworker.db.review_models import ReviewEvent
from mailworker.posting import implied_consumption
from mailworker.review.actions import holder, load_item, message_day
from mailworker.review.audit import format_address, item_history
from mailworker.review.common import as_utc, billing_deadline, kyiv_today, utcnow
from mailworker.review.edits import REGISTER_ORDER, EditInput, parse_day, parse_reading
from mailworker.review.message_view import MessageView, build_view
from mailworker.stages.decide import ZONE_REGISTERS

MAX_CANDIDATES = 6
REJECT_REASONS = (
    "The reading cannot be read (photo or text unclear)",
    "Duplicate of an e-mail already handled",
    "The customer cannot be identified",
    "The customer withdrew or corrected this reading later",
)


@dataclass(slots=True)
class FormValues:
    """The edit form as typed (or as proposed by the worker before any edit)."""

    account: str = ""
    account_other: str = ""
    readings: dict[str, str] = field(default_factory=dict)
    fixation_date: str = ""
    acknowledged: list[str] = field(default_factory=list)

    @property
    def shown_date(self) -> str:
        """The date as reviewers write it (day.month.year); what was typed when it is not a date."""
        day = parse_day(self.fixation_date)
        return day.strftime("%d.%m.%Y") if day else self.fixation_date

    @property
    def account_id(self) -> str:
        """The account typed in "other" wins over the chosen candidate."""
        return (self.account_other or self.account).strip()

    def edit(self) -> EditInput:
        """The values as an edit for the review operations."""
        return EditInput(self.account_id, dict(self.readings), self.fixation_date)

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> FormValues:
        """Read the posted form (unknown registers are ignored)."""
        readings = {reg: form.get(f"reading_{reg}", "")[:40] for reg in REGISTER_ORDER
                    if f"reading_{reg}" in form}
        return cls(account=form.get("account", "")[:40], account_other=form.get("account_other", "")[:40],
                   readings=readings, fixation_date=form.get("fixation_date", "")[:20],
                   acknowledged=[w[:40] for w in form.getlist("ack")][:10])

    @classmethod
    def from_proposal(cls, proposal: dict[str, Any], default_day: date) -> FormValues:
        """The worker's proposal as the form's starting values."""
        readings = {str(k): str(v) for k, v in (proposal.get("readings") or {}).items()}
        return cls(account=str(proposal.get("account_id") or ""), readings=readings,
                   fixation_date=str(proposal.get("fixation_date") or default_day.isoformat()))


@dataclass(frozen=True, slots=True)
class CandidateAccount:
    """A registry account the e-mail may belong to, with what the typed reading would mean for it."""

    account_id: str
    known: bool
    address: str = ""
    phones: tuple[str, ...] = ()
    zones: int = 0
    registers: tuple[str, ...] = ()
    last: dict[str, int] = field(default_factory=dict)
    last_reading_date: date | None = None
    avg_monthly_kwh: int = 0
    consumption_kwh: int | None = None
    monthly_kwh: float | None = None
    score: float | None = None
    via: str = ""


def _typed_readings(values: FormValues, registers: tuple[str, ...]) -> dict[str, int] | None:
    parsed = {reg: parse_reading(values.readings.get(reg, ""))[0] for reg in registers}
    if any(value is None for value in parsed.values()):
        return None
    return {reg: int(value) for reg, value in parsed.items() if value is not None}


def candidate_accounts(db: Session, item: ReviewItem, values: FormValues) -> list[CandidateAccount]:
    """The worker's candidate accounts (and the one typed) with their current registry state."""
    scores = {str(c.get("account_id")): c for c in (item.candidates or {}).get("account_candidates") or []
              if isinstance(c, dict)}
    listed = [str(a.get("account_id")) for a in (item.candidates or {}).get("accounts") or [] if isinstance(a, dict)]
    ids = list(dict.fromkeys([*listed, str((item.proposal or {}).get("account_id") or ""), values.account_id]))
    fixation = parse_day(values.fixation_date)
    result = []
    for account_id in [a for a in ids if a][:MAX_CANDIDATES]:
        row = db.get(RegistryAccount, account_id) if len(account_id) <= 10 else None
        if row is None:
            result.append(CandidateAccount(account_id, False))
            continue
        registers = ZONE_REGISTERS.get(row.zones, ())
        implied = implied_consumption(db, account_id, _typed_readings(values, registers), fixation)
        match = scores.get(account_id, {})
        result.append(CandidateAccount(
            account_id, True, format_address(row), tuple(p for p in row.phones.split("|") if p), row.zones,
            registers, {str(k): int(v) for k, v in (row.last_readings or {}).items()}, row.last_reading_date,
            row.avg_monthly_kwh, implied.get("consumption_kwh"), implied.get("monthly_kwh"),
            match.get("score"), str(match.get("via") or "")))
    return result


def registers_to_show(values: FormValues, accounts: list[CandidateAccount]) -> list[str]:
    """Reading inputs: the chosen account's registers, else those of the proposal and every candidate."""
    chosen = next((a for a in accounts if a.known and a.account_id == values.account_id), None)
    wanted = set(chosen.registers) if chosen else set(values.readings)
    if chosen is None:
        for account in accounts:
            wanted.update(account.registers)
    wanted.update(reg for reg, text in values.readings.items() if text.strip())
    return [reg for reg in REGISTER_ORDER if reg in wanted] or ["total"]


@dataclass(slots=True)
class ItemPage:
    """All the item page needs."""

    item: ReviewItem
    message: Message | None
    view: MessageView
    values: FormValues
    accounts: list[CandidateAccount]
    registers: list[str]
    history: list[ReviewEvent]
    holder: str | None
    deadline: date
    age_since: datetime
    today: date
    reject_reasons: tuple[str, ...] = REJECT_REASONS


def build_item_page(db: Session, item_id: int, values: FormValues | None, claim_minutes: int) -> ItemPage:
    """Load the item, decode its e-mail and prepare the form (NotFound when there is no such item)."""
    item = load_item(db, item_id)
    message = db.get(Message, item.message_id)
    blob = db.get(RawBlob, message.sha256) if message is not None else None
    view = build_view(blob.data if blob is not None else b"", item.candidates)
    day = message_day(db, item)
    values = values or FormValues.from_proposal(item.proposal or {}, day)
    accounts = candidate_accounts(db, item, values)
    return ItemPage(item, message, view, values, accounts, registers_to_show(values, accounts),
                    item_history(db, item.id), holder(item, claim_minutes), billing_deadline(day),
                    as_utc(item.created_at) or utcnow(), kyiv_today())
