"""Split a mail body into what the sender wrote now, quoted history, a forwarded message and signatures.

Nothing is deleted: every line of the input lands in exactly one of the four parts.  Lines are
classified with a small state machine:

* ``>`` lines (any depth) are quoted wherever they are (their ``>`` markers are removed);
* an attribution line ("... пишет:", "... wrote:", "... <x@y>:", possibly wrapped over two lines)
  followed by ``>`` lines is quoted; one followed by plain text starts quoted history to the end;
* ``-----Original Message-----`` markers and Outlook-style header blocks (``From:/Sent:/To:/Subject:``,
  ``От:/Отправлено:/Кому:/Тема:``) start quoted history to the end, unless their subject says the
  message was forwarded (``FW:``/``Fwd:``), which makes it a forwarded message;
* forward markers ("Forwarded message", "Пересылаемое сообщение", "Переслане повідомлення",
  "Begin forwarded message", ...) start a forwarded message: its header lines (От/Дата/Тема/Кому)
  are **kept** at the top of ``forwarded_text``; history quoted inside it goes to ``quoted_text``;
  a forwarded auto-reply (subject or first lines say so) is quoted history, not forwarded text;
* ``-- `` signature separators, mobile footers ("Отправлено с iPhone") and legal disclaimers go to
  ``signature`` (a signature runs until the next quote or forward boundary).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SplitText:
    """A mail body in four parts; each is the input's lines joined with newlines, tidied."""

    new_text: str
    quoted_text: str
    forwarded_text: str
    signature: str


_NEW, _QUOTED, _FORWARDED, _SIGNATURE = range(4)

_FORWARD_MARKER_RE = re.compile(
    r"^[-=_*\s]*(?:forwarded\s+(?:message|e-?mail)|пересылаемое\s+(?:сообщение|письмо)|пересланное\s+сообщение"
    r"|перенаправленное\s+(?:сообщение|письмо)|переслане\s+повідомлення|пересланий\s+лист|переслан[еі]\s+лист"
    r"|начало\s+(?:переадресованного|пересылаемого|пересланного)\s+сообщения|початок\s+пересланого\s+повідомлення"
    r"|begin\s+forwarded\s+message|message\s+transféré|weitergeleitete\s+nachricht)[-=_*\s:]*$",
    re.IGNORECASE,
)
_ORIGINAL_MARKER_RE = re.compile(
    r"^[-=_*\s]*(?:original\s+message|исходное\s+сообщение|оригинальное\s+сообщение|первоначальное\s+сообщение"
    r"|оригінальне\s+повідомлення|вихідне\s+повідомлення|початкове\s+повідомлення|ursprüngliche\s+nachricht"
    r"|message\s+d'origine)[-=_*\s:]*$",
    re.IGNORECASE,
)
_SEPARATOR_RE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
_QUOTE_LINE_RE = re.compile(r"^\s*>")
_QUOTE_MARKERS_RE = re.compile(r"^\s*(?:>[ \t]?)+")
_HEADER_KEY_RE = re.compile(
    r"^\s*\*?(?P<key>from|от|від|відправник|von|de|to|кому|an|à|subject|тема|betreff|objet|cc|копия|копія"
    r"|bcc|sent|date|дата|отправлено|надіслано|відправлено|gesendet|envoyé|reply-to|importance|важность)"
    r"\*?[ \t]*:",
    re.IGNORECASE,
)
_FROM_KEYS = frozenset({"from", "от", "від", "відправник", "von", "de"})
_SUBJECT_KEYS = frozenset({"subject", "тема", "betreff", "objet"})
_FORWARD_SUBJECT_RE = re.compile(r"^\s*(?:\[[^\]]*\]\s*)?(?:fwd?|пересл\w*|tr|wg)\s*:", re.IGNORECASE)
_AUTO_REPLY_RE = re.compile(
    r"автоответ|автоматическ\w*\s+(?:ответ|сообщение|уведомление)|auto[-\s]?reply|automatic\s+reply|autoreply"
    r"|out\s+of\s+(?:the\s+)?office|автовідповідь|автоматичн\w*\s+(?:відповідь|повідомлення)",
    re.IGNORECASE,
)
_ATTRIBUTION_END_RE = re.compile(
    r"(?:пиш[еу]т?|пише|написал\w*|написав\w*|писал\w*|wrote|a\s+écrit|schrieb)(?:\s*\([а-яa-z]+\))?\s*:\s*$"
    r"|<[^<>\s]+@[^<>\s]+>\s*:\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_EVIDENCE_RE = re.compile(r"\d{1,2}:\d{2}|@")
_ATTRIBUTION_CONTINUATION_RE = re.compile(
    r"^\s*(?:<|[^\s@]+@|\(|написал|написав|пише|wrote|писал|\d{1,2}:\d{2})", re.IGNORECASE
)
_SIGNATURE_MARKER_RE = re.compile(r"^(?:--|—|–)\s*$")
_FOOTER_RE = re.compile(
    r"^\s*(?:(?:отправлено|надіслано|відправлено|надіслано|sent|envoyé|gesendet)\s+(?:с|со|з|зі|із|из|from|with"
    r"|via|using|через|von|de|depuis)\s.{1,80}|get\s+outlook\s+for\s+\w+.{0,20}|скачайте\s.{0,60}(?:android|ios))\s*$",
    re.IGNORECASE,
)
_DISCLAIMER_START_RE = re.compile(
    r"^\s*(?:confidential|disclaimer|внимание|увага|важно|конфиденциальн|конфіденційн|this\s+(?:e-?mail|message)"
    r"|the\s+information\s+contained|это\s+(?:сообщение|письмо|электронное)|данное\s+(?:сообщение|письмо)"
    r"|дане\s+повідомлення|це\s+(?:повідомлення|лист)|информация,?\s+содержащаяся|інформація,?\s+що\s+міститься)",
    re.IGNORECASE,
)
_DISCLAIMER_WORDS_RE = re.compile(
    r"конфиденц|конфіденц|confidential|intended\s+(?:solely\s+)?for|предназначен\w*\s+(?:только|исключительно)"
    r"|призначен\w*\s+(?:лише|виключно)|privileged",
    re.IGNORECASE,
)
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def _header_key(line: str) -> str | None:
    """The lower-cased header key a line starts with ("from", "тема", ...), or None."""
    if ":" not in line:  # every key ends with one
        return None
    match = _HEADER_KEY_RE.match(line)
    return match["key"].lower() if match else None


_DATE_KEYS = frozenset(
    {"sent", "date", "дата", "отправлено", "надіслано", "відправлено", "gesendet", "envoyé"}
)
_TIME_RE = re.compile(r"\d:\d\d")
_MAX_HEADER_LINE = 300


def _line_at(text: str, start: int) -> tuple[str, int]:
    """The line at ``start`` (quote markers removed, at most 300 characters) and the offset of its end."""
    end = text.find("\n", start, start + _MAX_HEADER_LINE)
    end = min(len(text), start + _MAX_HEADER_LINE) if end < 0 else end
    return _QUOTE_MARKERS_RE.sub("", text[start:end]), end


def is_quote_header_line(text: str, line_start: int) -> bool:
    """True when the line at ``line_start`` introduces quoted or forwarded mail.

    That is an attribution line ("..., X <x@y> пишет:", or the first half of one wrapped over two
    lines), or the date line ("Дата:", "Sent:") of a header block with at least three header keys
    within four lines around it.  Used by the date parser to label such dates ``header``.
    """
    line, line_end = _line_at(text, line_start)
    if _ATTRIBUTION_END_RE.search(line):
        return True
    if _TIME_RE.search(line) and line_end < len(text):
        following = _line_at(text, line_end + 1)[0]
        if len(following) < 120 and _ATTRIBUTION_END_RE.search(following):
            return True
    if _header_key(line) not in _DATE_KEYS:
        return False
    window = text[max(0, line_start - 4 * _MAX_HEADER_LINE) : line_start + 5 * _MAX_HEADER_LINE]
    offset = line_start - max(0, line_start - 4 * _MAX_HEADER_LINE)
    before, after = window[:offset].split("\n")[-5:-1], window[offset:].split("\n")[:5]
    lines = before + after
    return sum(1 for near in lines if _header_key(_QUOTE_MARKERS_RE.sub("", near))) >= 3


def _header_block_at(keys: list[str | None], index: int) -> bool:
    """True when a quoted-message header block (at least three keys, one of them From) starts here."""
    if keys[index] is None:
        return False
    window = [key for key in keys[index : index + 7] if key is not None]
    return len(window) >= 3 and any(key in _FROM_KEYS for key in window)


def _attribution_start(lines: list[str], index: int) -> int | None:
    """First line of an attribution ending at ``index`` ("... пишет:"), or None."""
    line = lines[index].strip()
    if not line.endswith(":") or len(line) > 250 or not _ATTRIBUTION_END_RE.search(line):
        return None
    previous = lines[index - 1].strip() if index > 0 else ""
    previous_fits = bool(previous) and len(previous) < 250 and not previous.endswith((".", "!", "?"))
    wrapped = previous_fits and (_ATTRIBUTION_CONTINUATION_RE.match(line) or len(line) < 30)
    if wrapped and _ATTRIBUTION_EVIDENCE_RE.search(previous + " " + line):
        return index - 1
    return index if _ATTRIBUTION_EVIDENCE_RE.search(line) else None


def _attribution_end(lines: list[str], index: int) -> int | None:
    """Index past a "date, name <address>:" line (maybe wrapped) opening a forwarded body, or None."""
    first = _next_content_line(lines, index)
    for last in (first, first + 1):
        if last < len(lines) and _attribution_start(lines, last) == first:
            return last + 1
    return None


def _next_content_line(lines: list[str], index: int) -> int:
    """Index of the first non-blank line at or after ``index`` (``len(lines)`` if none)."""
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _headers_end(lines: list[str], keys: list[str | None], index: int) -> int:
    """Index just past the header lines (and their folded continuations) starting near ``index``."""
    position = _next_content_line(lines, index)
    if position >= len(lines) or keys[position] is None or position - index > 2:
        return index
    while position < len(lines) and (keys[position] is not None or lines[position][:1] in (" ", "\t")):
        if not lines[position].strip():
            break
        position += 1
    return position


def _is_auto_reply(lines: list[str], keys: list[str | None], start: int, end: int) -> bool:
    """True when the headers in ``start..end`` or the first body lines after them say auto-reply."""
    for position in range(start, end):
        if keys[position] in _SUBJECT_KEYS and _AUTO_REPLY_RE.search(lines[position]):
            return True
    body = [line for line in lines[end : end + 6] if line.strip()][:3]
    return any(_AUTO_REPLY_RE.search(line) for line in body)


def _subject_is_forward(lines: list[str], keys: list[str | None], start: int, end: int) -> bool:
    """True when a header block's subject starts with FW:/Fwd:/Пересл:."""
    for position in range(start, end):
        if keys[position] in _SUBJECT_KEYS:
            value = lines[position].split(":", 1)[1]
            return bool(_FORWARD_SUBJECT_RE.match(value))
    return False


def _is_disclaimer(lines: list[str], index: int) -> bool:
    """True when a paragraph starting at ``index`` reads like a legal confidentiality notice."""
    if not _DISCLAIMER_START_RE.match(lines[index]):
        return False
    return bool(_DISCLAIMER_WORDS_RE.search(" ".join(lines[index : index + 3])))


class _Classifier:
    """Walks the lines once and gives each a category."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.keys = [_header_key(line) for line in lines]
        self.categories = [_NEW] * len(lines)
        self.body = _NEW
        self.in_signature = False

    def _mark(self, start: int, end: int, category: int) -> None:
        for position in range(max(start, 0), min(end, len(self.lines))):
            self.categories[position] = category

    def _open_message(self, marker: int, headers_from: int, forwarded: bool) -> int:
        """Handles a forwarded or quoted message starting at ``marker``; returns where to go on (-1: stop)."""
        end = _headers_end(self.lines, self.keys, headers_from)
        if forwarded and end == headers_from:
            end = _attribution_end(self.lines, headers_from) or end
        if forwarded and not _is_auto_reply(self.lines, self.keys, marker, end):
            self._mark(marker, end, _FORWARDED)
            self.body, self.in_signature = _FORWARDED, False
            return end
        self._mark(marker, len(self.lines), _QUOTED)
        return -1

    def _boundary(self, index: int) -> int | None:
        """Handles a message boundary at ``index``; returns the next index, ``-1`` to stop, None if none."""
        line = self.lines[index]
        if _FORWARD_MARKER_RE.match(line):
            return self._open_message(index, index + 1, True)
        block_from = None
        if _ORIGINAL_MARKER_RE.match(line) or (
            _SEPARATOR_RE.match(line)
            and index + 1 < len(self.lines)
            and _header_block_at(self.keys, index + 1)
        ):
            block_from = index + 1
        elif _header_block_at(self.keys, index):
            block_from = index
        if block_from is not None:
            end = _headers_end(self.lines, self.keys, block_from)
            forwarded = self.body == _NEW and _subject_is_forward(self.lines, self.keys, block_from, end)
            return self._open_message(index, block_from, forwarded)
        attribution = _attribution_start(self.lines, index)
        if attribution is None:
            return None
        following = _next_content_line(self.lines, index + 1)
        if following < len(self.lines) and ">" in self.lines[following] and _QUOTE_LINE_RE.match(self.lines[following]):
            self._mark(attribution, index + 1, _QUOTED)
            return index + 1
        self._mark(attribution, len(self.lines), _QUOTED)
        return -1

    def _ordinary(self, index: int) -> None:
        """Classifies a line that is no message boundary."""
        line = self.lines[index]
        if ">" in line and _QUOTE_LINE_RE.match(line):
            self.categories[index] = _QUOTED
        elif _SIGNATURE_MARKER_RE.match(line.strip()) or _is_disclaimer(self.lines, index):
            self.in_signature = True
            self.categories[index] = _SIGNATURE
        elif _FOOTER_RE.match(line) or self.in_signature:
            self.categories[index] = _SIGNATURE
        else:
            self.categories[index] = self.body

    def run(self) -> list[int]:
        index = 0
        while index < len(self.lines):
            following = self._boundary(index) if self.lines[index].strip() else None
            if following == -1:
                break
            if following is not None:
                index = following
                continue
            self._ordinary(index)
            index += 1
        return self.categories


def _join(lines: list[str]) -> str:
    """Lines as one text without leading/trailing blank lines or runs of blank lines."""
    if not lines:
        return ""
    text = "\n".join(line.rstrip() for line in lines)
    return _BLANK_RUN_RE.sub("\n\n", text).strip("\n")


def split_quotes(text: str) -> SplitText:
    """The new text, quoted history, forwarded message and signature of a plain-text mail body."""
    if not isinstance(text, str) or not text.strip():
        return SplitText("", "", "", "")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    categories = _Classifier(lines).run()
    parts: list[list[str]] = [[], [], [], []]
    for line, category in zip(lines, categories, strict=True):
        parts[category].append(_QUOTE_MARKERS_RE.sub("", line) if category == _QUOTED else line)
    return SplitText(
        _join(parts[_NEW]), _join(parts[_QUOTED]), _join(parts[_FORWARDED]), _join(parts[_SIGNATURE])
    )
