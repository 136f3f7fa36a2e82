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

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
    value = re.sub(rb"\s+", b" ", match.group(1)).strip().decode("ascii", "replace")
    return value[:998] or None


def _store_blob(session: Session, sha256: str, raw: bytes) -> None:
    dialect = session.get_bind().dialect.name
    values = {"sha256": sha256, "size": len(raw), "data": raw}
    if dialect == "postgresql":
        session.execute(postgresql.insert(RawBlob).values(values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        session.execute(sqlite.insert(RawBlob).values(values).on_conflict_do_nothing())
    elif session.get(RawBlob, sha256) is None:  # pragma: no cover - other databases
        session.add(RawBlob(**values))


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


def record(session: Session, fetched: FetchedMessage, now: datetime | None = None) -> Message | None:
    """Add a ledger row (and the raw bytes) for ``fetched``; None when this source position is known.

    A copy of an already recorded message (same Message-ID and SHA-256) gets a
    row with status ``duplicate`` pointing at the original.  The caller commits.
    """
    if find_by_source(session, fetched.mailbox, fetched.folder, fetched.uidvalidity, fetched.source_key):
        return None
    sha256 = fetched.sha256
    message_id = header_message_id(fetched.raw)
    original = find_original(session, message_id, sha256)
    _store_blob(session, sha256, fetched.raw)
    status, error = (DUPLICATE, None) if original else (FETCHED, None)
    if fetched.headers_only and not original:
        status = QUARANTINED
        error = f"oversized_message: {fetched.size} bytes; headers kept, message left on the server"
    row = Message(
        mailbox=fetched.mailbox, folder=fetched.folder, uidvalidity=fetched.uidvalidity,
        uid=fetched.uid, source_key=fetched.source_key, message_id=message_id, sha256=sha256,
        size=fetched.size, headers_only=fetched.headers_only, internaldate=fetched.internaldate,
        fetched_at=now or datetime.now(UTC), status=status, error=error,
        duplicate_of=original.id if original else None, post_action_done=False, attempts=0,
    )
    session.add(row)
    session.flush()
    return row


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


def ids_with_status(session: Session, statuses: Sequence[str]) -> list[int]:
    """Ids of rows in any of ``statuses``, oldest first."""
    return list(session.scalars(select(Message.id).where(Message.status.in_(statuses)).order_by(Message.id)))


def counts_by_status(session: Session) -> dict[str, int]:
    """Number of ledger rows per status, every status present (zero when none)."""
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in session.execute(select(Message.status, func.count()).group_by(Message.status)):
        counts[status] = int(count)
    return counts
