"""The registry in the database: import from CSV, load into the match index, serve current state.

``import_registry`` is all-or-nothing (the CSV is validated whole before a row
is written) and idempotent: an upsert by ``account_id`` that reports how many
accounts were inserted, updated and unchanged.  Aliases are replaced as a set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from mailworker.db.models import RegistryAccount, StreetAliasRow
from mailworker.matching import RegistryIndex
from mailworker.registry import RegistryRecord, StreetAlias


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What an import changed."""

    inserted: int
    updated: int
    unchanged: int
    aliases: int | None


def _row_values(record: RegistryRecord) -> dict[str, Any]:
    return {"meter_id": record.meter_id, "zones": record.zones, "city": record.city, "street": record.street,
            "house": record.house, "apartment": record.apartment, "phones": "|".join(record.phones),
            "last_readings": dict(record.last), "last_reading_date": record.last_reading_date,
            "avg_monthly_kwh": record.avg_monthly_kwh}


def to_record(row: RegistryAccount | Any) -> RegistryRecord:
    """A database row (an ORM object, or a result row with the same column names) as the registry record
    the matcher and the checks use."""
    return RegistryRecord(
        account_id=row.account_id, meter_id=row.meter_id, zones=row.zones, city=row.city, street=row.street,
        house=row.house, apartment=row.apartment, phones=tuple(p for p in row.phones.split("|") if p),
        last={str(k): int(v) for k, v in (row.last_readings or {}).items()},
        last_reading_date=row.last_reading_date, avg_monthly_kwh=row.avg_monthly_kwh)


def import_registry(session: Session, records: Sequence[RegistryRecord],
                    aliases: Sequence[StreetAlias] | None = None) -> ImportSummary:
    """Upsert ``records`` by account_id (and replace the aliases when given); the caller commits."""
    existing = {row.account_id: row for row in session.scalars(select(RegistryAccount))}
    inserted = updated = unchanged = 0
    now = datetime.now(UTC)
    for record in records:
        values = _row_values(record)
        row = existing.get(record.account_id)
        if row is None:
            session.add(RegistryAccount(account_id=record.account_id, updated_at=now, **values))
            inserted += 1
        elif any(getattr(row, key) != value for key, value in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = now
            updated += 1
        else:
            unchanged += 1
    if aliases is not None:
        session.execute(delete(StreetAliasRow))
        session.add_all(StreetAliasRow(city=a.city, old_name=a.old_name, new_name=a.new_name) for a in aliases)
    return ImportSummary(inserted, updated, unchanged, None if aliases is None else len(aliases))


_RECORD_COLUMNS = ("account_id", "meter_id", "zones", "city", "street", "house", "apartment", "phones",
                   "last_readings", "last_reading_date", "avg_monthly_kwh")


def load_records(session: Session) -> list[RegistryRecord]:
    """Every account as a registry record (read as plain rows: a fifth of the ORM's cost for the whole table)."""
    columns = [getattr(RegistryAccount, name) for name in _RECORD_COLUMNS]
    return [to_record(row) for row in session.execute(select(*columns).order_by(RegistryAccount.account_id))]


def load_aliases(session: Session) -> list[StreetAlias]:
    """Every street/city alias."""
    return [StreetAlias(city=row.city, old_name=row.old_name, new_name=row.new_name)
            for row in session.scalars(select(StreetAliasRow).order_by(StreetAliasRow.id))]


def registry_version(session: Session) -> tuple[int, datetime | None, int]:
    """Changes whenever accounts or aliases change (count, newest update, alias count)."""
    count, newest = session.execute(select(func.count(), func.max(RegistryAccount.updated_at))).one()
    aliases = session.scalar(select(func.count()).select_from(StreetAliasRow)) or 0
    return int(count), newest, int(aliases)


def record_posted(session: Session, account_id: str, readings: dict[str, int], fixation: date) -> None:
    """Make a posted reading the account's last one when it is not older than the current last.

    ``updated_at`` is left alone: it marks changes of the registry's own data (imports), which
    is what makes the daemon rebuild its match index; a posting does not change what matches.
    """
    row = session.get(RegistryAccount, account_id)
    if row is None:
        return
    if row.last_reading_date is None or fixation >= row.last_reading_date:
        row.last_readings = dict(readings)
        row.last_reading_date = fixation


class DbRegistry:
    """The registry view of the daemon: an index rebuilt when the table changes, state read fresh."""

    def __init__(self, factory: sessionmaker[Session], fuzzy_threshold: float = 85.0) -> None:
        self._factory = factory
        self._threshold = fuzzy_threshold
        self._version: tuple[int, datetime | None, int] | None = None
        self._index: RegistryIndex | None = None
        # The accounts and aliases the index was built from, for the worker pool's processes.
        self.snapshot: tuple[list[RegistryRecord], list[StreetAlias]] | None = None

    def refresh(self) -> bool:
        """Rebuild the match index if accounts or aliases changed; True when rebuilt."""
        with self._factory() as session:
            version = registry_version(session)
            if version == self._version and self._index is not None:
                return False
            records, aliases = load_records(session), load_aliases(session)
            self._index = RegistryIndex.build(records, aliases, fuzzy_threshold=self._threshold)
            self._version, self.snapshot = version, (records, aliases)
        return True

    @property
    def index(self) -> RegistryIndex:
        """The lookup index (built on first use)."""
        if self._index is None:
            self.refresh()
        assert self._index is not None
        return self._index

    def current(self, account_id: str, session: Session | None = None) -> RegistryRecord | None:
        """The account with its latest posted reading, read in ``session`` when given."""
        if session is not None:
            row = session.get(RegistryAccount, account_id)
            return to_record(row) if row is not None else None
        return self.index.get(account_id)

    def empty(self) -> bool:
        """True when no account has been imported yet."""
        return self.index.get("") is None and self._version is not None and self._version[0] == 0
