"""Split raw message bytes into the MIME tree the stdlib feedparser (compat32) would build, or decline.

:func:`split_message` finds header blocks and multipart boundaries with ``bytes.find`` and one
regular expression per header block instead of the feedparser's line-by-line Python loop.  It
builds only well-formed structures and returns ``None`` (the caller then uses the stdlib parser)
on anything where the feedparser would record a defect or take a path this module does not
reproduce: a bare CR (one not followed by LF) in a header block or next to a boundary, a header
line that is neither ``Name:`` nor a continuation, a header block without its blank line,
``message/*`` and ``multipart/digest`` parts, a missing, empty or non-printable boundary, a
missing start or close boundary, two boundary lines in a row, a multipart with an encoding other
than 7bit/8bit/binary, non-ASCII or repeated Content-Type/-Transfer-Encoding/-Disposition
headers, and nesting deeper than ``MAX_DEPTH``.

Header semantics (parameters, RFC 2231, RFC 2047, defaults) stay the stdlib's: every part carries
a real :class:`email.message.Message` holding exactly the ``(name, value)`` pairs the feedparser
would have stored, so ``get_content_type()``, ``get_filename()`` and friends answer identically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message
from email.policy import compat32

MAX_DEPTH = 8
_HEADER = re.compile(r"([\x21-\x39\x3b-\x7e]+):([^\n]*\n(?:[ \t][^\n]*\n)*)")
_HEADER_BLOCK = re.compile(rb"(?:[\x21-\x39\x3b-\x7e]+:[^\n]*\n(?:[ \t][^\n]*\n)*)*")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_STRUCTURAL = ("content-type", "content-transfer-encoding", "content-disposition")
_MULTIPART_ENCODINGS = ("7bit", "8bit", "binary")


class Declined(Exception):
    """The message needs the stdlib parser: this module does not reproduce its handling."""


class IndexedMessage(Message):
    """A compat32 :class:`Message` that answers header look-ups from an index built once.

    The headers are set at construction and never change, so the first-occurrence index answers
    exactly what the linear searches of ``Message.get`` and ``Message.__contains__`` would, and a
    header's parsed parameters can be kept for the next ``get_param``.  ``get`` returns an ASCII
    value itself, as compat32's ``header_fetch_parse`` does, and asks the policy about the rest.
    """

    def __init__(self, headers: list[tuple[str, str]], first: dict[str, tuple[str, str]]) -> None:
        super().__init__(policy=compat32)
        self._headers = headers
        self._first = first
        self._params: dict[str, list[tuple[str, object]]] = {}

    def get(self, name: str, failobj: object = None) -> object:  # type: ignore[override]
        """The first header called ``name`` (any case), as compat32 returns it, else ``failobj``."""
        hit = self._first.get(name.lower())
        if hit is None:
            return failobj
        if hit[1].isascii():
            return hit[1]
        return self.policy.header_fetch_parse(*hit)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._first

    def _get_params_preserve(self, failobj: object, header: str) -> object:
        """``Message._get_params_preserve``, parsed once per header (a fresh list each call, as there)."""
        key = header.lower()
        if key not in self._first:
            return failobj
        params = self._params.get(key)
        if params is None:
            params = self._params[key] = super()._get_params_preserve(failobj, header)  # type: ignore[misc]
        return list(params)


@dataclass(slots=True)
class MimeNode:
    """One part: its headers, and either its children or its payload's byte range in the raw message."""

    message: IndexedMessage
    content_type: str
    start: int = 0
    end: int = 0
    children: list[MimeNode] | None = None
    top: bool = False


def split_message(raw: bytes) -> MimeNode | None:
    """The MIME tree of ``raw`` as the stdlib would parse it, or None when this module declines."""
    if not raw:
        return None
    start = 0
    if raw.startswith(b"From "):  # an mbox envelope line: the feedparser keeps it aside (unixfrom)
        start = raw.find(b"\n") + 1
        if start == 0 or _has_bare_cr(raw, 0, start):
            return None
    try:
        node = _part(raw, start, len(raw), 0)
    except Declined:
        return None
    node.top = True
    return node


def _has_bare_cr(raw: bytes, start: int, end: int) -> bool:
    """True when ``raw[start:end]`` holds a CR not followed by LF: the feedparser ends a line there too."""
    carriage_returns = raw.count(b"\r", start, end)
    return carriage_returns > 0 and carriage_returns != raw.count(b"\r\n", start, end)


def _part(raw: bytes, start: int, end: int, depth: int) -> MimeNode:
    """The part whose lines are ``raw[start:end]`` (``end`` is the next boundary line or EOF)."""
    if depth > MAX_DEPTH:
        raise Declined("nesting")
    header_end, body_start = _header_block(raw, start, end)
    message = _message(raw, start, header_end)
    content_type = message.get_content_type()
    main = content_type.split("/")[0]
    if main == "message" or content_type == "multipart/digest":
        raise Declined(content_type)
    if main != "multipart":
        return MimeNode(message, content_type, body_start, end)
    return _multipart(raw, MimeNode(message, content_type), body_start, end, depth)


def _header_block(raw: bytes, start: int, end: int) -> tuple[int, int]:
    """Where the header lines stop and where the body starts (after the blank line)."""
    if raw.startswith(b"\n", start, end):
        return start, start + 1
    if raw.startswith(b"\r\n", start, end):
        return start, start + 2
    blank = _BLANK_LINE.search(raw, start, end)
    if blank is None:
        raise Declined("no blank line after the headers")
    if _has_bare_cr(raw, start, blank.end()):
        raise Declined("bare CR in the headers")
    return blank.start() + 1, blank.end()


def _message(raw: bytes, start: int, end: int) -> IndexedMessage:
    """The headers of ``raw[start:end]`` as the ``(name, value)`` pairs compat32's ``header_source_parse`` makes."""
    if not _HEADER_BLOCK.fullmatch(raw, start, end):
        raise Declined("not a header line")
    headers: list[tuple[str, str]] = []
    first: dict[str, tuple[str, str]] = {}
    for name, value in _HEADER.findall(raw[start:end].decode("ascii", "surrogateescape")):
        header = (name, value.lstrip(" \t").rstrip("\r\n"))
        key = name.lower()
        if key in _STRUCTURAL and (key in first or not header[1].isascii()):
            raise Declined(f"odd {key}")
        headers.append(header)
        first.setdefault(key, header)
    return IndexedMessage(headers, first)


def _multipart(raw: bytes, node: MimeNode, body_start: int, end: int, depth: int) -> MimeNode:
    """Fill ``node``'s children from the parts between its boundary lines."""
    message = node.message
    if str(message.get("content-transfer-encoding", "8bit")).lower() not in _MULTIPART_ENCODINGS:
        raise Declined("multipart encoding")
    boundary = message.get_boundary()
    if not boundary or not all(" " <= char <= "~" for char in boundary):
        raise Declined("boundary")
    lines = boundary_lines(raw, b"--" + boundary.encode("ascii"), body_start, end)
    if len(lines) < 2 or lines[0][2] or not lines[-1][2]:
        raise Declined("start or close boundary missing")
    node.children = []
    for (_, part_start, _), (next_line, _, _) in zip(lines, lines[1:], strict=False):
        if part_start == next_line:
            raise Declined("two boundary lines in a row")
        child = _part(raw, part_start, next_line, depth + 1)
        if child.children is None:
            child.end = _without_final_newline(raw, child.start, child.end)
        node.children.append(child)
    return node


def boundary_lines(raw: bytes, separator: bytes, start: int, end: int) -> list[tuple[int, int, bool]]:
    """``(line start, next line start, is close)`` of each boundary line in ``raw[start:end]``, up to the close one.

    A boundary line is what the feedparser's ``boundaryre`` matches: the separator at a line
    start, an optional ``--``, optional blanks and tabs, then the line end (or the end of input).
    """
    found: list[tuple[int, int, bool]] = []
    pos = start
    while True:
        at = raw.find(separator, pos, end)
        if at < 0:
            return found
        if at != start and raw[at - 1] != 0x0A:
            if raw[at - 1] == 0x0D:
                raise Declined("bare CR before a boundary")
            pos = at + 1
            continue
        line_end = _boundary_line_end(raw, at + len(separator))
        if line_end is None:
            pos = at + 1
            continue
        close = raw.startswith(b"--", at + len(separator))
        found.append((at, line_end, close))
        if close:
            return found
        pos = line_end


def _boundary_line_end(raw: bytes, pos: int) -> int | None:
    """After a separator at ``pos``: where the next line starts when the rest of the line fits, else None."""
    if raw.startswith(b"--", pos):
        pos += 2
    size = len(raw)
    while pos < size and raw[pos] in b" \t":
        pos += 1
    if pos == size:
        return pos
    if raw[pos] == 0x0A:
        return pos + 1
    if raw.startswith(b"\r\n", pos):
        return pos + 2
    if raw[pos] == 0x0D:
        raise Declined("bare CR after a boundary")
    return None


def _without_final_newline(raw: bytes, start: int, end: int) -> int:
    """``end`` less the one line end the feedparser gives to the boundary that follows a part."""
    if end > start and raw[end - 1] == 0x0A:
        end -= 1
        if end > start and raw[end - 1] == 0x0D:
            end -= 1
    return end
