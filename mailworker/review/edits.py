"""A reviewer's edited values: validated into something postable, then checked for plausibility.

Validation errors (not a number, negative, unknown account, a date in the
future, registers that do not fit the meter) stop the post with one plain
message per field.  Plausibility warnings (the worker's own checks, run again
on the edited values) only ask for a confirmation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailworker.config import DecisionSettings
from mailworker.db.models import PostedReading, RegistryAccount
from mailworker.posting import implied_consumption, registers_key
from mailworker.registry import RegistryRecord
from mailworker.registry_store import to_record
from mailworker.review.common import EditErrors, kyiv_today
from mailworker.stages.decide import ZONE_REGISTERS, plausibility_reasons

REGISTER_ORDER = ("total", "day", "night", "peak", "half_peak")
REGISTER_LABELS = {"total": "Total", "day": "Day", "night": "Night", "peak": "Peak", "half_peak": "Half-peak"}
MAX_READING_DIGITS = 9
EARLIEST_DATE = date(2000, 1, 1)
_DIGITS = re.compile(r"[0-9]+")
_SPACES = re.compile(r"[\s\u00a0\u202f'’_]")
_DOTTED_DATE = re.compile(r"([0-9]{1,2})[./]([0-9]{1,2})[./]([0-9]{4})")


@dataclass(frozen=True, slots=True)
class EditInput:
    """What the reviewer typed: the account, raw text per register, the fixation date."""

    account_id: str = ""
    readings: Mapping[str, str] = field(default_factory=dict)
    fixation_date: str = ""


@dataclass(frozen=True, slots=True)
class ValidEdit:
    """Values that can be posted."""

    account_id: str
    readings: dict[str, int]
    fixation: date


@dataclass(frozen=True, slots=True)
class CheckedEdit:
    """A valid edit with the warnings it raises and what it implies for the account."""

    edit: ValidEdit
    warnings: list[str]
    implied: dict[str, Any]


def register_label(register: str) -> str:
    """A register's name for people."""
    return REGISTER_LABELS.get(register, register)


def registers_text(registers: tuple[str, ...] | list[str]) -> str:
    """``day and night`` style list of register names."""
    names = [register_label(r).lower() for r in registers]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse_reading(raw: str) -> tuple[int | None, str | None]:
    """A reading typed by a person (spaces allowed between digit groups) → (value, error)."""
    text = _SPACES.sub("", raw or "")
    if not text:
        return None, "Enter the reading."
    if text.startswith("-") and _DIGITS.fullmatch(text[1:]):
        return None, "A reading cannot be negative."
    if not _DIGITS.fullmatch(text):
        return None, "A reading is a whole number: digits only, no letters, signs or decimals."
    if len(text.lstrip("0")) > MAX_READING_DIGITS:
        return None, f"A reading has at most {MAX_READING_DIGITS} digits."
    return int(text), None


def parse_day(raw: str) -> date | None:
    """``YYYY-MM-DD`` (a date field) or ``DD.MM.YYYY`` → a date, None when not a real date."""
    text = (raw or "").strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = _DOTTED_DATE.fullmatch(text)
    if found is None:
        return None
    try:
        return date(int(found.group(3)), int(found.group(2)), int(found.group(1)))
    except ValueError:
        return None


def _check_account(session: Session, raw: str, errors: dict[str, str]) -> RegistryRecord | None:
    account_id = re.sub(r"[\s-]", "", raw or "")
    if not account_id:
        errors["account"] = "Choose or type the account number."
        return None
    row = session.get(RegistryAccount, account_id) if len(account_id) <= 10 else None
    if row is None:
        errors["account"] = f"Unknown account {account_id[:20]}: it is not in the registry."
        return None
    return to_record(row)


def _check_readings(raw: Mapping[str, str], record: RegistryRecord | None,
                    errors: dict[str, str]) -> dict[str, int]:
    filled = {reg: text for reg, text in raw.items() if reg in REGISTER_ORDER and (text or "").strip()}
    expected = ZONE_REGISTERS.get(record.zones, ()) if record is not None else tuple(filled) or ("total",)
    readings: dict[str, int] = {}
    for register in expected:
        value, problem = parse_reading(filled.get(register, ""))
        if problem:
            errors[f"reading_{register}"] = problem
        elif value is not None:
            readings[register] = value
    extra = [reg for reg in filled if reg not in expected]
    if record is not None and extra:
        errors["readings"] = (f"Account {record.account_id} has a {record.zones}-zone meter: enter "
                              f"{registers_text(list(expected))} only (not {registers_text(extra)}).")
    return readings


def _check_date(raw: str, today: date, errors: dict[str, str]) -> date | None:
    fixation = parse_day(raw)
    if fixation is None:
        errors["fixation_date"] = "Enter the date the meter was read as day.month.year (for example 01.03.2024)."
    elif fixation > today:
        errors["fixation_date"] = f"The date {fixation:%d.%m.%Y} is in the future."
    elif fixation < EARLIEST_DATE:
        errors["fixation_date"] = f"The date {fixation:%d.%m.%Y} is too old."
    else:
        return fixation
    return None


def validate_edit(session: Session, edit: EditInput, now: datetime | None = None) -> ValidEdit:
    """Postable values, or EditErrors naming every field that is wrong."""
    errors: dict[str, str] = {}
    record = _check_account(session, edit.account_id, errors)
    readings = _check_readings(edit.readings, record, errors)
    fixation = _check_date(edit.fixation_date, kyiv_today(now), errors)
    if errors or record is None or fixation is None:
        raise EditErrors(errors)
    return ValidEdit(record.account_id, readings, fixation)


def check_edit(session: Session, edit: EditInput, message_day: date, settings: DecisionSettings,
               now: datetime | None = None) -> CheckedEdit:
    """Validate, then run the worker's plausibility checks on the edited values."""
    valid = validate_edit(session, edit, now)
    row = session.get(RegistryAccount, valid.account_id)
    assert row is not None
    record = to_record(row)
    warnings = [w for w in plausibility_reasons(record, valid.readings, valid.fixation, message_day, settings)
                if w != "zones_mismatch"]
    other = session.scalars(select(PostedReading).where(
        PostedReading.account_id == valid.account_id, PostedReading.fixation_date == valid.fixation,
        PostedReading.registers_key != registers_key(valid.readings))).first()
    if other is not None:
        warnings.append("already_posted")
    implied = implied_consumption(session, valid.account_id, valid.readings, valid.fixation)
    return CheckedEdit(valid, warnings, implied)
