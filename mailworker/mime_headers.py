"""Header fields for the fast decode path: ``mime._fill_headers`` with two exact shortcuts.

* :func:`plain_header_text` skips the RFC 2047 machinery for ASCII values without ``=?``:
  ``email.header.decode_header`` returns such a value unchanged, and ``repair_mojibake`` never
  touches ASCII text, so what is left of ``header_text`` is collapsing the whitespace.
* :func:`parse_address` reads the everyday ``addr@host``, ``<addr@host>`` and
  ``Display Name <addr@host>`` shapes with one regular expression; ``email.utils.parseaddr``
  returns those pieces verbatim (tests/test_mime_fast.py compares both on generated values).
  Anything else (quotes, comments, groups, several addresses) goes to ``parseaddr`` itself.
"""

from __future__ import annotations

import email.utils
import re
from datetime import datetime
from email.message import Message

from mailworker.mime import _AUTO_HEADERS, DecodedMessage, header_text
from parsers.dates import message_datetime

# RFC 5322 atext: no specials, no white space, no controls; dots anywhere, as parseaddr keeps them.
_ADDR_SPEC = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
# A phrase word: what parseaddr's getphraselist reads as one atom (it allows dots), minus every
# kind of white space, control character and backslash, to stay on the plainly safe side.
_WORD = r"[^\s\x00-\x1f\x7f()<>@,:;\"\[\]\\]+"
_BARE_ADDRESS = re.compile(_ADDR_SPEC)
_NAMED_ADDRESS = re.compile(rf"(?:(?P<name>{_WORD}(?: {_WORD})*) ?)?<(?P<address>{_ADDR_SPEC})>")


def plain_header_text(value: object) -> str:
    """Exactly ``header_text(value)``, quicker for the ASCII values that carry no encoded word."""
    if isinstance(value, str) and value.isascii() and "=?" not in value:
        return " ".join(value.split()).replace("\x00", "")
    return header_text(value)


def parse_address(value: str) -> tuple[str, str]:
    """Exactly ``email.utils.parseaddr(value)``, quicker for the common single-address shapes."""
    if _BARE_ADDRESS.fullmatch(value):
        return "", value
    named = _NAMED_ADDRESS.fullmatch(value)
    if named:
        return named.group("name") or "", named.group("address")
    return email.utils.parseaddr(value)


def fill_headers(message: Message, decoded: DecodedMessage, internaldate: datetime | None) -> None:
    """What ``mime._fill_headers`` fills in, from the same header values, with the shortcuts above."""
    decoded.sender_name, decoded.sender_address = parse_address(plain_header_text(message.get("From")))
    decoded.to = plain_header_text(message.get("To"))
    decoded.message_id = plain_header_text(message.get("Message-ID")) or None
    decoded.in_reply_to = plain_header_text(message.get("In-Reply-To")) or None
    decoded.references = plain_header_text(message.get("References")) or None
    decoded.date_header = plain_header_text(message.get("Date")) or None
    received = [" ".join(str(v).split()).replace("\x00", "") for v in (message.get_all("Received") or [])]
    decoded.sent_at, decoded.sent_at_source = message_datetime(decoded.date_header, received, internaldate)
    for key in _AUTO_HEADERS:
        value = message.get(key)
        if value is not None:
            decoded.auto_headers[key] = plain_header_text(value)
