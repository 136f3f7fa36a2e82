"""Single-instance locks per mailbox: a file lock on SQLite, an advisory lock on PostgreSQL.

Both are released by the operating system or the database when the process
dies, so a killed worker never leaves a stale lock behind.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text


class LockBusy(Exception):
    """Another instance holds the lock."""


class MailboxLock(Protocol):
    """A held lock; ``release`` is idempotent."""

    def release(self) -> None:
        """Give the lock up."""

    def held(self) -> bool:
        """Whether the lock is still ours."""


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"mailworker:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class FileLock:
    """An exclusive ``flock`` on ``<lock_dir>/<name>.lock``."""

    def __init__(self, handle: IO[str]) -> None:
        self._handle: IO[str] | None = handle

    @classmethod
    def acquire(cls, lock_dir: str, name: str) -> FileLock:
        """Take the lock or raise LockBusy."""
        directory = Path(lock_dir)
        directory.mkdir(parents=True, exist_ok=True)
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        handle = (directory / f"{safe}.lock").open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            handle.close()
            raise LockBusy(f"mailbox {name!r} is locked by another instance ({directory / safe}.lock)") from error
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(handle)

    def held(self) -> bool:
        """A flock lasts as long as the open file."""
        return self._handle is not None

    def release(self) -> None:
        """Unlock and close the file."""
        handle, self._handle = self._handle, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class AdvisoryLock:
    """A session-level PostgreSQL advisory lock held on a dedicated connection."""

    def __init__(self, connection: Connection, key: int) -> None:
        self._connection: Connection | None = connection
        self._key = key

    @classmethod
    def acquire(cls, engine: Engine, name: str) -> AdvisoryLock:
        """Take the lock or raise LockBusy."""
        key = lock_key(name)
        connection = engine.connect()
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        connection.commit()
        if not got:
            connection.close()
            raise LockBusy(f"mailbox {name!r} is locked by another worker (PostgreSQL advisory lock {key})")
        return cls(connection, key)

    def held(self) -> bool:
        """Ask PostgreSQL whether this session still holds the lock (False when the connection died)."""
        if self._connection is None:
            return False
        try:
            found = self._connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND granted AND ((classid::bigint << 32) | objid::bigint) = :key"), {"key": self._key}).scalar()
            self._connection.commit()
        except Exception:  # noqa: BLE001 - a broken connection means the lock is gone
            return False
        return bool(found)

    def release(self) -> None:
        """Unlock and return the connection."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self._key})
            connection.commit()
        except Exception:  # noqa: BLE001, S110 - the server already dropped the lock with the connection
            pass
        finally:
            connection.close()


def acquire_mailbox_lock(engine: Engine, lock_dir: str, name: str, *, wait: bool = False,
                         poll_seconds: float = 1.0, should_stop: Callable[[], bool] = lambda: False) -> MailboxLock:
    """The right lock for the database behind ``engine``; with ``wait``, retry until it is free.

    Raises LockBusy when the lock is taken and ``wait`` is False, or when ``should_stop`` turns
    true while waiting (SIGTERM to a standby worker).
    """
    while True:
        try:
            if engine.dialect.name == "postgresql":
                return AdvisoryLock.acquire(engine, name)
            return FileLock.acquire(lock_dir, name)
        except LockBusy:
            if not wait or should_stop():
                raise
            deadline = time.monotonic() + poll_seconds
            while time.monotonic() < deadline and not should_stop():
                time.sleep(0.1)
