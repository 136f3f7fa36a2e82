"""Extract stage: run every parser over every part of the text and choose each field's value.

The decoded message is cut into named texts: the Subject, the new text, the
signature, forwarded text (inline or ``message/rfc822``) and quoted history.
Every parser runs on each text separately (spans stay local to that text).
Fields come first from what the sender wrote now (Subject, new text); the
forwarded text counts when the new text has no reading; quoted history counts
only when neither has one, and then with less confidence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from mailworker.pipeline import Context
from parsers.accounts import find_accounts
from parsers.addresses import Address, find_addresses, number_spans
from parsers.dates import KYIV, find_fixation_dates
from parsers.phones import find_phones
from parsers.quotes import split_quotes
from parsers.readings import ReadingsFound, find_readings
from parsers.types import Candidate, Span

PRIMARY = ("subject", "new")
ORDER = ("subject", "new", "signature", "forwarded", "quoted")
SKIPPED_DATE_LABELS = frozenset({"header", "previous", "range", "example", "other_event"})
NOT_THE_CUSTOMERS = frozenset({"service", "example"})  # call-centre numbers and template examples in our own mail
SOURCE_WEIGHT = {"subject": 1.0, "new": 1.0, "signature": 0.9, "forwarded": 0.9, "quoted": 0.7}


@dataclass(frozen=True, slots=True)
class Found(Candidate[Any]):
    """A parser candidate tagged with the text it came from."""

    source: str = "new"


@dataclass(slots=True)
class TextResult:
    """All parser output for one named text."""

    name: str
    text: str
    readings: ReadingsFound
    dates: list[Candidate[date]]
    phones: list[Candidate[str]]
    accounts: list[Candidate[str]]
    addresses: list[Candidate[Address]]


@dataclass(slots=True)
class Extraction:
    """The chosen field values, with every candidate kept for reviewers."""

    texts: dict[str, str] = field(default_factory=dict)
    readings: dict[str, int] | None = None
    reading_source: str | None = None
    reading_confidence: float = 0.0
    conflicting: bool = False
    mentions_reading: bool = False
    fixation_date: date | None = None
    date_assumed: bool = False
    date_confidence: float = 0.0
    phone: str | None = None
    phones: list[Found] = field(default_factory=list)
    accounts: list[Found] = field(default_factory=list)
    addresses: list[Found] = field(default_factory=list)
    reading_candidates: list[Found] = field(default_factory=list)
    date_candidates: list[Found] = field(default_factory=list)


_FORWARD_MARKER = re.compile(
    r"^\s*[-=_*]{2,}.*[-=_*]{2,}\s*$|^\s*(?:begin forwarded message|начало .*сообщения)\s*:?\s*$", re.IGNORECASE)
_HEADER_LINE = re.compile(r"^\s*\*?(?:от|від|відправник|from|дата|date|sent|отправлено|надіслано|тема|subject|кому"
                          r"|to|копия|копія|cc|reply-to)\*?\s*:", re.IGNORECASE)


def without_forward_header(text: str) -> str:
    """The forwarded text without its marker line and the header block under it (От/Дата/Тема/Кому...).

    Those lines describe the forwarded mail ("Дата: Mon, 2 Jan 2017 18:40:12 +0200"); their numbers
    are neither readings nor addresses.  They are overwritten with spaces, so offsets stay the same.
    """
    lines = text.split("\n")
    index = 0
    while index < len(lines) and not lines[index].strip():
        index += 1
    if index < len(lines) and _FORWARD_MARKER.match(lines[index]):
        lines[index] = " " * len(lines[index])
        index += 1
    while index < len(lines) and _HEADER_LINE.match(lines[index]):
        lines[index] = " " * len(lines[index])
        index += 1
        while index < len(lines) and lines[index][:1] in (" ", "\t") and lines[index].strip():
            lines[index] = " " * len(lines[index])  # a folded header continues on an indented line
            index += 1
    return "\n".join(lines)


def split_texts(context: Context) -> dict[str, str]:
    """The named texts of the decoded message (empty ones left out)."""
    decoded = context.decoded
    if decoded is None:
        return {}
    parts = split_quotes(decoded.body_text)
    forwarded = [without_forward_header(parts.forwarded_text), *decoded.forwarded_texts]
    texts = {"subject": decoded.subject, "new": parts.new_text, "signature": parts.signature,
             "forwarded": "\n\n".join(t for t in forwarded if t.strip()), "quoted": parts.quoted_text}
    return {name: text for name, text in texts.items() if text and text.strip()}


PhoneCache = dict[str, tuple[str, bool] | None]


def parse_text(name: str, text: str, reference: datetime, phone_cache: PhoneCache | None = None) -> TextResult:
    """Run every parser over one text; numbers claimed by other fields are no reading.

    ``phone_cache`` is shared by the texts of one message (the same phone is often in several of them).
    """
    dates = find_fixation_dates(text, reference)
    phones = find_phones(text, phone_cache)
    accounts = find_accounts(text, phones)
    addresses = find_addresses(text)
    exclude: list[Span] = [c.span for c in dates] + [c.span for c in phones] + [c.span for c in accounts]
    exclude += number_spans(addresses)
    readings = find_readings(text, exclude, scan_claims=False)  # phones and accounts are in ``exclude``
    return TextResult(name, text, readings, dates, phones, accounts, addresses)


def _tag(candidates: list[Candidate[Any]], source: str) -> list[Found]:
    weight = SOURCE_WEIGHT[source]
    return [Found(c.value, round(c.confidence * weight, 3), c.span, c.label, c.notes, source) for c in candidates]


def _choose_reading(results: dict[str, TextResult], extraction: Extraction) -> None:
    """The current reading from the most authoritative text that has one; disagreement is a conflict."""
    for group in (PRIMARY, ("forwarded",), ("quoted",)):
        found = [(name, results[name].readings) for name in group if name in results]
        values = [(name, r) for name, r in found if r.current is not None]
        extraction.conflicting = extraction.conflicting or any(r.conflicting for _, r in found)
        if not values and not any(r.conflicting for _, r in found):
            continue
        distinct = {tuple(sorted(r.current.items())) for _, r in values if r.current is not None}
        if len(distinct) > 1:
            extraction.conflicting = True
        if values and not extraction.conflicting:
            name, chosen = values[-1] if values[-1][0] == "new" else values[0]
            extraction.readings = dict(chosen.current or {})
            extraction.reading_source = name
            best = max((c.confidence for c in chosen.candidates if c.value == chosen.current), default=0.6)
            extraction.reading_confidence = round(best * SOURCE_WEIGHT[name], 3)
            if group != PRIMARY and _newer_text_disagrees(results, extraction.readings):
                extraction.conflicting = True
                extraction.readings = None
        return


def _newer_text_disagrees(results: dict[str, TextResult], reading: dict[str, int]) -> bool:
    """Whether the sender's own text holds reading-like numbers that the older text's reading does not.

    The fallback to forwarded or quoted text is for replies that add nothing but an address; a new
    text with numbers of its own that the parser could not place must go to a person instead.
    """
    ignored = {"example", "confirmed"}
    values = set(reading.values())
    for name in PRIMARY:
        for candidate in results[name].readings.candidates if name in results else ():
            if candidate.label not in ignored and not set(candidate.value.values()) <= values:
                return True
    return False


def _date_pool(results: dict[str, TextResult], extraction: Extraction) -> list[Found]:
    preferred = [extraction.reading_source] if extraction.reading_source else []
    for names in (preferred, list(PRIMARY), ["forwarded"]):
        pool = [c for n in names if n in results for c in _tag(results[n].dates, n)
                if c.label not in SKIPPED_DATE_LABELS]
        if pool:
            return pool
    return []


def _choose_date(results: dict[str, TextResult], extraction: Extraction, reference: datetime) -> None:
    """The written fixation date nearest the reading's text, else the message's own Kyiv date."""
    pool = _date_pool(results, extraction)
    if pool:
        best = max(pool, key=lambda c: c.confidence)
        extraction.fixation_date, extraction.date_confidence = best.value, best.confidence
        return
    extraction.fixation_date = reference.astimezone(KYIV).date()
    extraction.date_assumed = True
    extraction.date_confidence = 0.9


def _fields_from(results: dict[str, TextResult], attribute: str, groups: Sequence[Sequence[str]]) -> list[Found]:
    """Candidates of one field from the first group of texts that has any (call-centre/example numbers
    and template addresses of our own quoted mail are never the customer's)."""
    for group in groups:
        found = [c for n in group if n in results for c in _tag(getattr(results[n], attribute), n)
                 if not (n == "quoted" and c.label in NOT_THE_CUSTOMERS)]
        if found:
            return found
    return []


# Where each field is looked for, most authoritative texts first.  A signature holds the customer's
# phone as often as the new text does, but an address there is usually an employer's or an office's.
PHONE_GROUPS = (("subject", "new", "signature"), ("forwarded",), ("quoted",))
PLACE_GROUPS = (("subject", "new"), ("signature",), ("forwarded",), ("quoted",))


def phones_only(name: str, text: str, phone_cache: PhoneCache | None = None) -> TextResult:
    """Only the phones of a text (when nothing else of it can matter)."""
    return TextResult(name, text, ReadingsFound(None, [], False, False), [], find_phones(text, phone_cache), [], [])


def extract(context: Context) -> Extraction:
    """Parse the message's texts and choose readings, date, phone, accounts and addresses."""
    extraction = Extraction(texts=split_texts(context))
    decoded = context.decoded
    reference = (decoded.sent_at if decoded and decoded.sent_at else None) or datetime.now(UTC)
    texts = extraction.texts
    cache: PhoneCache = {}
    results = {name: parse_text(name, text, reference, cache) for name, text in texts.items() if name != "quoted"}
    found = any(r.readings.current is not None or r.readings.conflicting for r in results.values())
    if "quoted" in texts and not found:  # quoted history only matters when nothing newer has a reading
        results["quoted"] = parse_text("quoted", texts["quoted"], reference, cache)
    _choose_reading(results, extraction)
    if "quoted" in texts and "quoted" not in results:  # the customer's own earlier mail may hold the fields
        if not any(r.addresses or r.accounts for r in results.values()):
            results["quoted"] = parse_text("quoted", texts["quoted"], reference, cache)
        elif not any(r.phones for r in results.values()):
            results["quoted"] = phones_only("quoted", texts["quoted"], cache)
    extraction.mentions_reading = any(r.readings.mentions_reading for r in results.values())
    extraction.reading_candidates = [c for n, r in results.items() for c in _tag(r.readings.candidates, n)]
    extraction.date_candidates = [c for n, r in results.items() for c in _tag(r.dates, n)]
    _choose_date(results, extraction, reference)
    extraction.phones = _fields_from(results, "phones", PHONE_GROUPS)
    extraction.phone = max(extraction.phones, key=lambda c: c.confidence).value if extraction.phones else None
    extraction.accounts = _fields_from(results, "accounts", PLACE_GROUPS)
    extraction.addresses = _fields_from(results, "addresses", PLACE_GROUPS)
    return extraction


class ExtractStage:
    """Fill ``context.extraction`` from the decoded message."""

    name = "extract"

    def __call__(self, context: Context) -> None:
        """Extract every field; problems become review reasons in later stages."""
        context.extraction = extract(context)
