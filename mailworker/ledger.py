"""The ledger: record every fetched message once, with its raw bytes, and look it up again.

A message is identified by where it came from (mailbox, folder, UIDVALIDITY,
source key = the UID or a local file key) and, across UIDVALIDITY changes or
copies, by Message-ID + SHA-256 of its bytes: a second copy is recorded as a
``duplicate`` of the first and never processed again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from mailworker.db.models import DUPLICATE, FETCHED, QUARANTINED, STATUSES, Message, RawBlob

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """What a source hands to the ledger for one message."""

    mailbox: str
    folder: str
    uidvalidity: int
    source_key: str
    raw: bytes
    size: int
    uid: int | None = None
    internaldate: datetime | None = None
    headers_only: bool = False

    @property
    def sha256(self) -> str:
        """SHA-256 of the raw bytes, hex."""
        return hashlib.sha256(self.raw).hexdigest()


def header_message_id(raw: bytes) -> str | None:
    """The Message-ID header of ``raw`` (unfolded, at most 998 characters), or None."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw[:65536]
    match = _MESSAGE_ID.search(head)
    if not match:
        return None
    value = re.sub(rb"[\s\x00]+", b" ", match.group(1)).strip().decode("ascii", "replace")
    return value[:998] or None


def _store_blobs(session: Session, blobs: dict[str, bytes]) -> None:
    """Insert raw bytes by SHA-256, skipping contents already stored."""
    if not blobs:
        return
    known = set(session.scalars(select(RawBlob.sha256).where(RawBlob.sha256.in_(list(blobs)))))
    values = [{"sha256": sha, "size": len(raw), "data": raw} for sha, raw in blobs.items() if sha not in known]
    if not values:
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        session.execute(postgresql.insert(RawBlob).on_conflict_do_nothing(), values)
    elif dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        session.execute(sqlite.insert(RawBlob).on_conflict_do_nothing(), values)
    else:  # pragma: no cover - other databases
        session.execute(insert(RawBlob), values)


def find_by_source(session: Session, mailbox: str, folder: str, uidvalidity: int, source_key: str
                   ) -> Message | None:
    """The ledger row for exactly this source position, if any."""
    return session.scalar(select(Message).where(
        Message.mailbox == mailbox, Message.folder == folder,
        Message.uidvalidity == uidvalidity, Message.source_key == source_key))


def find_original(session: Session, message_id: str | None, sha256: str) -> Message | None:
    """The first non-duplicate row with the same Message-ID and SHA-256, if any."""
    return session.scalar(select(Message).where(
        Message.message_id.is_(None) if message_id is None else Message.message_id == message_id,
        Message.sha256 == sha256, Message.status != DUPLICATE).order_by(Message.id).limit(1))


@dataclass(frozen=True, slots=True)
class Recorded:
    """A ledger row just written."""

    id: int
    status: str
    message: FetchedMessage


def _known_keys(session: Session, batch: Sequence[FetchedMessage]) -> set[tuple[str, str, int, str]]:
    known: set[tuple[str, str, int, str]] = set()
    groups: dict[tuple[str, str, int], list[str]] = {}
    for item in batch:
        groups.setdefault((item.mailbox, item.folder, item.uidvalidity), []).append(item.source_key)
    for (mailbox, folder, uidvalidity), keys in groups.items():
        rows = session.scalars(select(Message.source_key).where(
            Message.mailbox == mailbox, Message.folder == folder, Message.uidvalidity == uidvalidity,
            Message.source_key.in_(keys)))
        known.update((mailbox, folder, uidvalidity, key) for key in rows)
    return known


def _originals(session: Session, shas: Iterable[str]) -> dict[tuple[str | None, str], int]:
    rows = session.execute(select(Message.message_id, Message.sha256, Message.id).where(
        Message.sha256.in_(list(set(shas))), Message.status != DUPLICATE).order_by(Message.id.desc()))
    return {(message_id, sha): row_id for message_id, sha, row_id in rows}


def record_many(session: Session, batch: Sequence[FetchedMessage], now: datetime | None = None) -> list[Recorded]:
    """Add ledger rows (and raw bytes) for every message whose source position is new; the caller commits.

    A copy of an already recorded message (same Message-ID and SHA-256, here or
    earlier in the batch) gets a row with status ``duplicate`` pointing at the first.
    """
    known = _known_keys(session, batch)
    fresh_by_key = {(m.mailbox, m.folder, m.uidvalidity, m.source_key): m for m in batch}
    fresh = [m for key, m in fresh_by_key.items() if key not in known]
    if not fresh:
        return []
    hashed = [(m, hashlib.sha256(m.raw).hexdigest()) for m in fresh]
    originals = _originals(session, (sha for _, sha in hashed))
    _store_blobs(session, {sha: m.raw for m, sha in hashed})
    stamp = now or datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for message, sha in hashed:
        message_id = header_message_id(message.raw)
        original = originals.get((message_id, sha))
        rows.append({"mailbox": message.mailbox, "folder": message.folder, "uidvalidity": message.uidvalidity,
                     "uid": message.uid, "source_key": message.source_key, "message_id": message_id,
                     "sha256": sha, "size": message.size, "headers_only": message.headers_only,
                     "internaldate": message.internaldate, "fetched_at": stamp, "duplicate_of": original,
                     "post_action_done": False, "attempts": 0})
        rows[-1].update(_status_of(rows[-1]))
    identities = [(row["message_id"], row["sha256"]) for row in rows]
    if len(set(identities)) == len(identities):
        ids = session.scalars(insert(Message).returning(Message.id, sort_by_parameter_order=True), rows).all()
    else:  # copies inside one batch: insert one by one so later copies point at the first
        ids = []
        for row in rows:
            row["duplicate_of"] = originals.get((row["message_id"], row["sha256"]))
            row.update(_status_of(row))
            row_id = session.execute(insert(Message).returning(Message.id), [row]).scalar_one()
            originals.setdefault((row["message_id"], row["sha256"]), row_id)
            ids.append(row_id)
    return [Recorded(row_id, row["status"], message)
            for row_id, row, (message, _) in zip(ids, rows, hashed, strict=True)]


def _status_of(row: dict[str, Any]) -> dict[str, Any]:
    if row["duplicate_of"] is not None:
        return {"status": DUPLICATE, "error": None}
    if row["headers_only"]:
        return {"status": QUARANTINED,
                "error": f"oversized_message: {row['size']} bytes; headers kept, message left on the server"}
    return {"status": FETCHED, "error": None}


def _safe(text: str, limit: int) -> str:
    """``text`` as any database can store it: no NUL, at most ``limit`` characters."""
    return text.replace("\x00", "\\0")[:limit]


def record_refused(session: Session, message: FetchedMessage, error: str) -> list[Recorded]:
    """A quarantined row (raw bytes kept, no Message-ID) for a message the database refused as it was."""
    safe = FetchedMessage(mailbox=_safe(message.mailbox, 200), folder=_safe(message.folder, 1000),
                          uidvalidity=message.uidvalidity, source_key=_safe(message.source_key, 1000),
                          raw=message.raw, size=message.size, uid=message.uid, internaldate=message.internaldate,
                          headers_only=message.headers_only)
    if _known_keys(session, [safe]):
        return []
    sha = hashlib.sha256(message.raw).hexdigest()
    _store_blobs(session, {sha: message.raw})
    row_id = session.execute(insert(Message).returning(Message.id), [{
        "mailbox": safe.mailbox, "folder": safe.folder, "uidvalidity": safe.uidvalidity, "uid": safe.uid,
        "source_key": safe.source_key, "message_id": None, "sha256": sha, "size": safe.size,
        "headers_only": safe.headers_only, "internaldate": safe.internaldate, "fetched_at": datetime.now(UTC),
        "duplicate_of": None, "post_action_done": False, "attempts": 0, "status": QUARANTINED,
        "error": _safe(f"refused_by_database: {error}", 2000)}]).scalar_one()
    return [Recorded(row_id, QUARANTINED, message)]


def record(session: Session, fetched: FetchedMessage, now: datetime | None = None) -> Message | None:
    """Add the ledger row for one message (see ``record_many``); None when its source position is known."""
    rows = record_many(session, [fetched], now)
    return session.get(Message, rows[0].id) if rows else None


def raw_bytes(session: Session, message: Message) -> bytes:
    """The raw bytes kept for ``message``."""
    blob = session.get(RawBlob, message.sha256)
    return blob.data if blob else b""


def last_uid(session: Session, mailbox: str, folder: str, uidvalidity: int) -> int:
    """The highest UID recorded for this folder and UIDVALIDITY (0 when none)."""
    value = session.scalar(select(func.max(Message.uid)).where(
        Message.mailbox == mailbox, Message.folder == folder, Message.uidvalidity == uidvalidity))
    return int(value or 0)


def known_uidvalidities(session: Session, mailbox: str, folder: str) -> set[int]:
    """Every UIDVALIDITY seen for this folder."""
    rows = session.scalars(select(Message.uidvalidity).where(
        Message.mailbox == mailbox, Message.folder == folder).distinct())
    return set(rows)


def known_source_keys(session: Session, mailbox: str, folder: str, uidvalidity: int) -> set[str]:
    """Every source key recorded for this folder (local sources use it to skip known files)."""
    rows = session.scalars(select(Message.source_key).where(
        Message.mailbox == mailbox, Message.folder == folder, Message.uidvalidity == uidvalidity))
    return set(rows)


def pending_post_actions(session: Session, mailbox: str, folder: str, uidvalidity: int) -> list[int]:
    """UIDs whose server-side post-action has not been confirmed yet."""
    rows = session.scalars(select(Message.uid).where(
        Message.mailbox == mailbox, Message.folder == folder, Message.uidvalidity == uidvalidity,
        Message.post_action_done.is_(False), Message.uid.is_not(None)).order_by(Message.uid))
    return [int(uid) for uid in rows if uid is not None]


def mark_post_action_done(session: Session, mailbox: str, folder: str, uidvalidity: int,
                          uids: Iterable[int]) -> None:
    """Record that the post-action for these UIDs was applied on the server."""
    chosen = list(uids)
    for start in range(0, len(chosen), 500):
        session.execute(update(Message).where(
            Message.mailbox == mailbox, Message.folder == folder, Message.uidvalidity == uidvalidity,
            Message.uid.in_(chosen[start:start + 500])).values(post_action_done=True))


def pending_ids(session: Session, mailbox: str | None = None, limit: int | None = None) -> list[int]:
    """Ids of rows still in ``fetched`` (recorded but not yet processed), oldest first."""
    query = select(Message.id).where(Message.status == FETCHED).order_by(Message.id)
    if mailbox is not None:
        query = query.where(Message.mailbox == mailbox)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def take_up_leftover(session: Session, ledger_id: int) -> int | None:
    """Count one more run of a row left ``fetched`` by a worker that died; returns the new count, or None
    when the row is no longer ``fetched`` (another worker finished it).  The caller commits before it
    processes the row, so the count survives the next death."""
    row = session.get(Message, ledger_id, with_for_update=True)
    if row is None or row.status != FETCHED:
        return None
    row.leftover_runs = (row.leftover_runs or 0) + 1
    return row.leftover_runs


def ids_with_status(session: Session, statuses: Sequence[str]) -> list[int]:
    """Ids of rows in any of ``statuses``, oldest first."""
    return list(session.scalars(select(Message.id).where(Message.status.in_(statuses)).order_by(Message.id)))


def counts_by_status(session: Session) -> dict[str, int]:
    """Number of ledger rows per status, every status present (zero when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in session.execute(select(Message.status, func.count()).group_by(Message.status)):
        counts[status] = int(count)
    return counts
