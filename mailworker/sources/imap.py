"""The IMAP source: the only module that talks IMAP (through imapclient).

Errors are sorted into two kinds.  :class:`TransientImapError` (connection
lost, timeout, ``[UNAVAILABLE]``) means reconnect and try again;
:class:`PermanentImapError` (authentication failed, folder missing, server
cannot do what the settings ask) means stop with a clear message.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from imapclient import IMAPClient, SocketTimeout
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from mailworker.config import MailboxSettings
from mailworker.ledger import FetchedMessage

log = logging.getLogger(__name__)

_TRANSIENT_CODES = (b"UNAVAILABLE", b"INUSE", b"SERVERBUG", b"LIMIT", b"EXPUNGEISSUED")
_TRANSIENT_WORDS = ("unavailable", "try again", "temporar", "inuse", "timed out", "timeout", "server shutting")
_BODY = b"BODY[]"
_HEADER = b"BODY[HEADER]"


class ImapError(Exception):
    """Anything that went wrong talking to the IMAP server."""


class TransientImapError(ImapError):
    """The connection or the server failed for now: reconnect and try again."""


class PermanentImapError(ImapError):
    """Trying again will not help: wrong password, missing folder, unusable server."""


def classify_error(error: BaseException) -> ImapError:
    """Wrap ``error`` in the transient or permanent kind."""
    if isinstance(error, ImapError):
        return error
    text = str(error)
    if isinstance(error, LoginError):
        return PermanentImapError(f"login failed: {text}")
    if isinstance(error, ssl.SSLCertVerificationError):
        return PermanentImapError(f"TLS certificate not trusted: {error.verify_message or text} "
                                  "(set mailboxes[].ca_file, or verify_tls: false for tests only)")
    if isinstance(error, ssl.SSLError) and not isinstance(error, ssl.SSLEOFError | ssl.SSLZeroReturnError):
        return PermanentImapError(f"TLS handshake failed (is `security` right for this port?): {text}")
    if isinstance(error, IMAPClientAbortError | imaplib.IMAP4.abort | OSError | EOFError | TimeoutError):
        return TransientImapError(f"connection lost: {type(error).__name__}: {text}")
    if isinstance(error, IMAPClientError | imaplib.IMAP4.error):
        lowered = text.lower()
        if any(code.decode().lower() in lowered for code in _TRANSIENT_CODES) or any(
                word in lowered for word in _TRANSIENT_WORDS):
            return TransientImapError(f"server busy: {text}")
        return PermanentImapError(f"server refused: {text}")
    return TransientImapError(f"{type(error).__name__}: {text}")


def _quiet_protocol_trace(client: IMAPClient) -> None:
    """Switch off imaplib's protocol trace unless its logger would print it.

    IMAPClient sets imaplib's ``debug`` to 5 and routes the trace to the
    ``imapclient.imaplib`` logger; imaplib formats every trace line (the repr
    of each fetched message included) before the logger drops it, which cost
    about half of the fetch time of a 10,000-message pass.
    """
    if not logging.getLogger("imapclient.imaplib").isEnabledFor(logging.DEBUG):
        client._imap.debug = 0  # noqa: SLF001 (imaplib's own switch; IMAPClient has no setting for it)


class ImapSource:
    """One logged-in connection to one mailbox folder."""

    def __init__(self, settings: MailboxSettings, password: str) -> None:
        self.settings = settings
        self._password = password
        self.client: IMAPClient | None = None
        self.uidvalidity = 0
        self.capabilities: frozenset[bytes] = frozenset()

    # -- connection ---------------------------------------------------------------------------
    def connect(self) -> None:
        """Connect, authenticate and select the folder (read-write, without touching \\Seen)."""
        try:
            self.client = self._open()
            self.client.login(self.settings.username, self._password)
            self.capabilities = frozenset(self.client.capabilities())
            self._select()
            self._ensure_move_target()
        except Exception as error:
            self.close()
            raise classify_error(error) from error

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.settings.ca_file)
        if not self.settings.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _open(self) -> IMAPClient:
        s = self.settings
        timeout = SocketTimeout(connect=s.connect_timeout, read=s.read_timeout)
        use_ssl = s.security == "ssl"
        client = IMAPClient(s.host, port=s.port, ssl=use_ssl, ssl_context=self._ssl_context() if use_ssl else None,
                            timeout=timeout, use_uid=True)
        client.normalise_times = False
        _quiet_protocol_trace(client)
        if s.security == "starttls":
            client.starttls(self._ssl_context())
        return client

    def _select(self) -> None:
        assert self.client is not None
        if not self.client.folder_exists(self.settings.folder):
            raise PermanentImapError(f"folder {self.settings.folder!r} does not exist on {self.settings.host}")
        info = self.client.select_folder(self.settings.folder, readonly=False)
        self.uidvalidity = int(info[b"UIDVALIDITY"])

    def _ensure_move_target(self) -> None:
        assert self.client is not None
        action = self.settings.post_action
        if action.kind == "move" and not self.client.folder_exists(action.move_to):
            self.client.create_folder(action.move_to)

    def close(self) -> None:
        """Log out (best effort) and forget the connection."""
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # noqa: BLE001 - the connection may already be dead
            with contextlib.suppress(Exception):
                client.shutdown()

    def __enter__(self) -> ImapSource:
        self.connect()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()

    def _call(self, action: Callable[[IMAPClient], Any]) -> Any:
        if self.client is None:
            raise TransientImapError("not connected")
        try:
            return action(self.client)
        except ImapError:
            raise
        except (TimeoutError, Exception) as error:
            raise classify_error(error) from error

    # -- reading ------------------------------------------------------------------------------
    def uids_after(self, last_uid: int) -> list[int]:
        """UIDs in the folder greater than ``last_uid``, ascending."""
        found = self._call(lambda c: c.search(["UID", f"{last_uid + 1}:*"]))
        return sorted(int(uid) for uid in found if int(uid) > last_uid)

    def fetch(self, uids: Sequence[int], folder_label: str | None = None) -> list[FetchedMessage]:
        """Fetch ``uids`` (BODY.PEEK[], so \\Seen is untouched); oversized ones as headers only."""
        if not uids:
            return []
        sizes = self._call(lambda c: c.fetch(list(uids), [b"RFC822.SIZE", b"INTERNALDATE"]))
        limit = self.settings.max_message_bytes
        small = [uid for uid in uids if uid in sizes and int(sizes[uid].get(b"RFC822.SIZE", 0)) <= limit]
        large = [uid for uid in uids if uid in sizes and uid not in small]
        bodies = self._call(lambda c: c.fetch(small, [b"BODY.PEEK[]"])) if small else {}
        headers = self._call(lambda c: c.fetch(large, [b"BODY.PEEK[HEADER]"])) if large else {}
        fetched = []
        for uid in uids:
            if uid not in sizes:
                continue  # expunged meanwhile
            raw = bodies.get(uid, {}).get(_BODY) if uid in bodies else headers.get(uid, {}).get(_HEADER)
            if raw is None:
                continue
            fetched.append(self._message(uid, raw, sizes[uid], headers_only=uid in headers))
        return fetched

    def _message(self, uid: int, raw: bytes, meta: dict[bytes, Any], *, headers_only: bool) -> FetchedMessage:
        internal = meta.get(b"INTERNALDATE")
        return FetchedMessage(
            mailbox=self.settings.name, folder=self.settings.folder, uidvalidity=self.uidvalidity,
            source_key=str(uid), uid=uid, raw=bytes(raw), size=int(meta.get(b"RFC822.SIZE", len(raw))),
            internaldate=internal if isinstance(internal, datetime) else None, headers_only=headers_only)

    # -- post-actions -------------------------------------------------------------------------
    def apply_post_action(self, uids: Iterable[int]) -> None:
        """Flag or move ``uids`` as the settings say; already-moved UIDs are silently skipped."""
        chosen = sorted(set(uids))
        action = self.settings.post_action
        if not chosen or action.kind == "none":
            return
        if action.kind == "flag":
            self._call(lambda c: c.add_flags(chosen, [action.flag.encode()], silent=True))
        elif b"MOVE" in self.capabilities:
            self._call(lambda c: c.move(chosen, action.move_to))
        else:
            self._call(lambda c: c.copy(chosen, action.move_to))
            self._call(lambda c: c.add_flags(chosen, [b"\\Deleted"], silent=True))
            if b"UIDPLUS" in self.capabilities:
                self._call(lambda c: c.uid_expunge(chosen))
            else:
                raise PermanentImapError("server has neither MOVE nor UIDPLUS: use post_action.kind 'flag'")

    # -- waiting ------------------------------------------------------------------------------
    def wait_for_mail(self, seconds: float, should_stop: Callable[[], bool]) -> None:
        """Wait up to ``seconds`` for new mail: IDLE when the server has it, else just sleep."""
        deadline = time.monotonic() + seconds
        if not (self.settings.idle and b"IDLE" in self.capabilities):
            while time.monotonic() < deadline and not should_stop():
                time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))
            self._call(lambda c: c.noop())
            return
        self._call(lambda c: c.idle())
        try:
            while time.monotonic() < deadline and not should_stop():
                responses = self._call(lambda c: c.idle_check(timeout=min(1.0, deadline - time.monotonic())))
                if any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses):
                    break
        finally:
            if self.client is not None:
                self._call(lambda c: c.idle_done())
