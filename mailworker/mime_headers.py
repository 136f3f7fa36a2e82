"""Header fields for the fast decode path: ``mime.fill_headers_with`` with two exact shortcuts.

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

from mailworker.mime import DecodedMessage, fill_headers_with, header_text

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
    """What ``mime.fill_headers_with`` fills in by default, from the same header values, with the shortcuts above."""
    fill_headers_with(message, decoded, internaldate, plain_header_text, parse_address)
