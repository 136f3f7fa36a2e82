"""Messages from disk: .eml files, folders of them, Maildir and mbox.

Each message gets a stable position so importing the same archive twice adds
nothing: the folder is the absolute path of the directory, Maildir or mbox
file, and the source key is the file name (relative to that folder), the
Maildir key, or the message's index in the mbox.
"""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from mailworker.ledger import FetchedMessage

LOCAL_MAILBOX = "local"
_HEADER_LIMIT = 256 * 1024


class LocalSourceError(Exception):
    """A path given to ``ingest`` cannot be read as mail."""


@dataclass(frozen=True, slots=True)
class LocalItem:
    """One message found on disk, not yet read."""

    folder: str
    source_key: str
    path: Path | None = None
    mbox_key: str | None = None


def _is_maildir(path: Path) -> bool:
    return all((path / sub).is_dir() for sub in ("cur", "new", "tmp"))


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _cut(raw: bytes, max_bytes: int) -> tuple[bytes, bool]:
    """The message, or only its header block when it is larger than ``max_bytes``."""
    if len(raw) <= max_bytes:
        return raw, False
    head = raw[:_HEADER_LIMIT]
    end = head.find(b"\r\n\r\n")
    end = head.find(b"\n\n") if end < 0 else end
    return (head[: end + 2] if end >= 0 else head[:8192]), True


def _fetched(folder: str, key: str, raw: bytes, max_bytes: int) -> FetchedMessage:
    kept, headers_only = _cut(raw, max_bytes)
    return FetchedMessage(mailbox=LOCAL_MAILBOX, folder=folder, uidvalidity=0, source_key=key,
                          raw=kept, size=len(raw), headers_only=headers_only)


def _iter_maildir(path: Path, max_bytes: int) -> Iterator[FetchedMessage]:
    box = mailbox.Maildir(str(path), factory=None, create=False)
    folder = str(path)
    for key in sorted(box.iterkeys()):
        with box.get_file(key) as handle:
            yield _fetched(folder, key, handle.read(), max_bytes)


def _iter_mbox(path: Path, max_bytes: int) -> Iterator[FetchedMessage]:
    box = mailbox.mbox(str(path), factory=None, create=False)
    folder = str(path)
    try:
        for index, key in enumerate(box.iterkeys()):
            raw = box.get_bytes(key)
            yield _fetched(folder, str(index), raw, max_bytes)
    finally:
        box.close()


def _iter_directory(path: Path, max_bytes: int) -> Iterator[FetchedMessage]:
    folder = str(path)
    for file in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
        if any(part in ("cur", "new", "tmp") for part in file.relative_to(path).parts[:-1]) and _is_maildir(
                file.parent.parent):
            continue
        yield _fetched(folder, str(file.relative_to(path)), file.read_bytes(), max_bytes)
    for sub in sorted(p for p in path.rglob("*") if p.is_dir() and _is_maildir(p)):
        yield from _iter_maildir(sub, max_bytes)


def iter_local(path: str | Path, max_bytes: int) -> Iterator[FetchedMessage]:
    """Every message under ``path`` (a file, a folder of files, a Maildir or an mbox file)."""
    resolved = Path(path).expanduser().resolve()
    if not resolved.exists():
        raise LocalSourceError(f"{path}: no such file or directory")
    if resolved.is_dir():
        if _is_maildir(resolved):
            yield from _iter_maildir(resolved, max_bytes)
        else:
            yield from _iter_directory(resolved, max_bytes)
    elif _is_mbox(resolved):
        yield from _iter_mbox(resolved, max_bytes)
    else:
        yield _fetched(str(resolved.parent), resolved.name, resolved.read_bytes(), max_bytes)


def count_local(path: str | Path) -> int | None:
    """How many messages ``iter_local(path)`` will yield (None when that cannot be told cheaply)."""
    resolved = Path(path).expanduser().resolve()
    try:
        if resolved.is_dir():
            if _is_maildir(resolved):
                return len(mailbox.Maildir(str(resolved), factory=None, create=False))
            return sum(1 for p in resolved.rglob("*") if p.is_file() and not p.name.startswith("."))
        if _is_mbox(resolved):
            return None
        return 1 if resolved.is_file() else None
    except OSError:
        return None
