"""Load the customer registry and the street-alias table from their CSV files.

Both loaders are all-or-nothing: the first bad row raises ``RegistryError`` whose
message reads ``<file>:<line>:<column> (<column name>): <what is wrong>`` (line and
column are 1-based; line 1 is the header). Formats are described in the corpus
``SPEC.md``: ``registry.csv`` and ``street_aliases.csv``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import phonenumbers

__all__ = ["REGISTERS_BY_ZONES", "RegistryError", "RegistryRecord", "StreetAlias", "load_aliases_csv",
           "load_registry_csv"]

REGISTERS_BY_ZONES: dict[int, tuple[str, ...]] = {
    1: ("total",),
    2: ("day", "night"),
    3: ("peak", "half_peak", "night"),
}
_ALL_REGISTERS = ("total", "day", "night", "peak", "half_peak")
_REGISTRY_COLUMNS = ("account_id", "meter_id", "zones", "city", "street", "house", "apartment", "phones",
                     *(f"last_{r}" for r in _ALL_REGISTERS), "last_reading_date", "avg_monthly_kwh")
_ALIAS_COLUMNS = ("city", "old_name", "new_name")
_ACCOUNT_RE = re.compile(r"[0-9]{10}")
_DIGITS_RE = re.compile(r"[0-9]+")
_HOUSE_RE = re.compile(r"[0-9]+[^\W\d_]?(?:/[0-9]+[^\W\d_]?)?")


@dataclass(frozen=True, slots=True)
class RegistryRecord:
    """One account of the registry (names are today's official Ukrainian ones)."""

    account_id: str
    meter_id: str
    zones: int
    city: str
    street: str
    house: str
    apartment: str | None
    phones: tuple[str, ...]
    last: dict[str, int]
    last_reading_date: date | None
    avg_monthly_kwh: int


@dataclass(frozen=True, slots=True)
class StreetAlias:
    """An old or Russian name and today's official one.

    ``city`` is the official city the row applies to; ``None`` renames a city itself (or, for a
    street, applies in every city).
    """

    city: str | None
    old_name: str
    new_name: str


class RegistryError(ValueError):
    """A registry or alias file that cannot be loaded; the message names file, line and column."""


class _Row:
    """One CSV row with helpers that raise ``RegistryError`` pointing at the offending cell."""

    def __init__(self, path: Path, line: int, header: tuple[str, ...], values: list[str]) -> None:
        self.path, self.line, self.header = path, line, header
        self.cells = dict(zip(header, (v.strip() for v in values), strict=True))

    def fail(self, column: str, message: str) -> RegistryError:
        col = self.header.index(column) + 1 if column in self.header else 1
        return RegistryError(f"{self.path}:{self.line}:{col} ({column}): {message}")

    def text(self, column: str, required: bool = True) -> str:
        value = self.cells[column]
        if required and not value:
            raise self.fail(column, "must not be empty")
        return value

    def integer(self, column: str) -> int:
        value = self.cells[column]
        if not _DIGITS_RE.fullmatch(value):
            raise self.fail(column, f"must be a non-negative integer, got {value!r}")
        return int(value)


def _read_rows(path: Path, expected: tuple[str, ...]) -> Iterator[_Row]:
    """Yield the data rows of a CSV file whose header must hold exactly ``expected`` columns."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise RegistryError(f"{path}:0:0: cannot open: {exc.strerror or exc}") from exc
    with handle:
        reader = csv.reader(handle)
        try:
            header = tuple(h.strip() for h in next(reader, []))
            missing = [c for c in expected if c not in header]
            if missing or len(set(header)) != len(header):
                got = ", ".join(header) or "nothing"
                raise RegistryError(f"{path}:1:1 (header): expected columns {', '.join(expected)}; "
                                    f"missing {', '.join(missing) or 'none'}, got {got}")
            for values in reader:
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(header):
                    column = min(len(values), len(header)) + 1
                    raise RegistryError(f"{path}:{reader.line_num}:{column} (row): "
                                        f"expected {len(header)} fields, got {len(values)}")
                yield _Row(path, reader.line_num, header, values)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise RegistryError(f"{path}:{reader.line_num}:1 (row): unreadable CSV: {exc}") from exc


def _phones(row: _Row) -> tuple[str, ...]:
    out = []
    for raw in filter(None, (p.strip() for p in row.text("phones", required=False).split("|"))):
        try:
            number = phonenumbers.parse(raw, "UA")
        except phonenumbers.NumberParseException as exc:
            raise row.fail("phones", f"not a phone number: {raw!r}") from exc
        if not phonenumbers.is_valid_number(number):
            raise row.fail("phones", f"not a valid phone number: {raw!r}")
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in out:
            out.append(e164)
    return tuple(out)


def _last_readings(row: _Row, zones: int) -> dict[str, int]:
    wanted = REGISTERS_BY_ZONES[zones]
    last = {}
    for register in _ALL_REGISTERS:
        column = f"last_{register}"
        if register in wanted:
            last[register] = row.integer(column)
        elif row.cells[column]:
            raise row.fail(column, f"must be empty for a {zones}-zone meter, got {row.cells[column]!r}")
    return last


def _reading_date(row: _Row) -> date | None:
    value = row.text("last_reading_date", required=False)
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise row.fail("last_reading_date", f"must be an ISO date YYYY-MM-DD, got {value!r}") from exc


def _record(row: _Row) -> RegistryRecord:
    account_id = row.text("account_id")
    if not _ACCOUNT_RE.fullmatch(account_id):
        raise row.fail("account_id", f"must be exactly 10 digits, got {account_id!r}")
    meter_id = row.text("meter_id")
    if not _DIGITS_RE.fullmatch(meter_id):
        raise row.fail("meter_id", f"must be digits, got {meter_id!r}")
    zones_text = row.text("zones")
    if zones_text not in ("1", "2", "3"):
        raise row.fail("zones", f"must be 1, 2 or 3, got {zones_text!r}")
    zones = int(zones_text)
    house = row.text("house")
    if not _HOUSE_RE.fullmatch(house):
        raise row.fail("house", f"must look like 12, 12А or 12/1, got {house!r}")
    apartment = row.text("apartment", required=False) or None
    if apartment is not None and not _HOUSE_RE.fullmatch(apartment):
        raise row.fail("apartment", f"must be a number (optionally with a letter), got {apartment!r}")
    return RegistryRecord(
        account_id=account_id, meter_id=meter_id, zones=zones, city=row.text("city"),
        street=row.text("street"), house=house, apartment=apartment, phones=_phones(row),
        last=_last_readings(row, zones), last_reading_date=_reading_date(row),
        avg_monthly_kwh=row.integer("avg_monthly_kwh"),
    )


def load_registry_csv(path: Path) -> list[RegistryRecord]:
    """Read and validate ``registry.csv``; any bad row (or a duplicate account) raises ``RegistryError``."""
    path = Path(path)
    records: list[RegistryRecord] = []
    first_line: dict[str, int] = {}
    for row in _read_rows(path, _REGISTRY_COLUMNS):
        record = _record(row)
        if record.account_id in first_line:
            raise row.fail("account_id", f"duplicate account {record.account_id} "
                                         f"(first on line {first_line[record.account_id]})")
        first_line[record.account_id] = row.line
        records.append(record)
    return records


def load_aliases_csv(path: Path) -> list[StreetAlias]:
    """Read and validate ``street_aliases.csv`` (``city,old_name,new_name``)."""
    path = Path(path)
    aliases = []
    for row in _read_rows(path, _ALIAS_COLUMNS):
        aliases.append(StreetAlias(city=row.text("city", required=False) or None,
                                   old_name=row.text("old_name"), new_name=row.text("new_name")))
    return aliases
