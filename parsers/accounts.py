"""Personal account numbers (особовий рахунок / лицевой счет): 10 digits, may start with 0.

The value is always the 10-character string. Labels (``Candidate.label``):

* ``"labelled"``: an account word (``л/с``, ``л/сч``, ``лицевой счет``, ``лиц. счет``,
  ``особовий рахунок``, ``о/р``, ``ос. рах.``, ``номер рахунку``, ``account`` ...) or a ``№``
  stands before a 10-digit number;
* ``"padded"``: a strongly labelled number of 7-9 digits, written without its leading zeros
  (``л/с 123456789`` -> ``0123456789``);
* ``"bare"``: a 10-digit number with no label that nothing else explains;
* ``"bare_phone_like"``: a bare ``0XXXXXXXXX`` that is also a valid Ukrainian phone. It is kept
  (an account may start with a phone-like prefix, the registry decides) but with a low
  confidence, so that a match on it alone never outweighs a labelled account. A 10-digit
  number right after a phone word (``тел.``) is a phone and is not returned.

A number right after a meter-serial word (``счетчик №``, ``заводской номер``) is not an account.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from parsers.lowered import hoisted_boundaries
from parsers.phones import find_phones
from parsers.types import Candidate

__all__ = ["find_accounts", "find_labelled_accounts"]

_MAX_TEXT = 200_000
_SEP = r"\s*(?:[:№#-]|n\b|no\.?|номер)?\s*[:№#-]?\s*"

# Strong labels: may be followed by an account written without its leading zeros.
_STRONG_LABEL = (
    r"(?:л\s*/\s*сч?\.?|\bл\.\s*с\.|\bлс\b|лицев\w*\s+сч[её]т\w*|лиц\.\s*сч[её]?т?\.?|лиц\.?\s*сч\.?"
    r"|особов\w*\s+рахун\w*|\bо\s*/\s*р\.?|\bос\.\s*рах\.?|\bос\s*/\s*р\.?|номер\w*\s+(?:рахунку|счета)"
    r"|\baccount(?:\s+(?:number|no\.?|#))?|\bacc\.?)"
)
# Weak labels: only a full 10-digit number after them counts.
_WEAK_LABEL = r"(?:\bсч[её]т(?!чик)\w*|\bрахун\w*|№)"
_NUMBER = r"(?P<number>[0-9](?:[0-9]|[ \u00a0-](?=[0-9])){5,12})(?![0-9])"
# Written in lower case: run on the lower-cased text, or with IGNORECASE when lower-casing changes its length.
_LABELLED_SOURCE = rf"(?P<label>{_STRONG_LABEL}|{_WEAK_LABEL}){_SEP}{_NUMBER}"
# The same regex with the labels grouped by their first letter (see ``hoisted_boundaries``): the regex engine
# then skips straight to those letters instead of trying every label at every position.
_LABELLED = re.compile(
    rf"(?P<label>{hoisted_boundaries(f'(?:{_STRONG_LABEL[3:-1]}|{_WEAK_LABEL[3:-1]})')}){_SEP}{_NUMBER}")
# Every label of ``_LABELLED`` (in lower case) holds one of these: a text without them has no label.
_LABEL_PARTS = re.compile(r"/|л\.|лс|лиц|особов|ос\.|номер|acc|рахун|№|сч[её]т(?!чик)")
_LABELLED_FOLDING = re.compile(_LABELLED_SOURCE, re.IGNORECASE)
_BARE_SOURCE = r"(?<![\w+])[0-9]{10}(?![0-9]|[.,][0-9])"
_BARE = re.compile(r"[0-9](?<![\w+][0-9])[0-9]{9}(?![0-9]|[.,][0-9])")  # the same, starting with its first digit
_SERIAL_BEFORE = re.compile(
    r"(?:счетчик\w*|счётчик\w*|лічильник\w*|заводск\w*|заводськ\w*|зав\.|серийн\w*|серійн\w*|s/?n)\s*(?:номер|№|N|#)?\s*:?\s*$",
    re.IGNORECASE,
)
_STRONG = re.compile(_STRONG_LABEL, re.IGNORECASE)
_DIGIT = re.compile(r"[0-9]")

_CONFIDENCE = {"labelled": 0.95, "weak": 0.8, "padded": 0.85, "bare": 0.5, "bare_phone_like": 0.2}


def _labelled(text: str) -> list[Candidate[str]]:
    """Accounts right after an account word or ``№``."""
    found: list[Candidate[str]] = []
    lowered = text.lower()
    if len(lowered) != len(text):
        matches = _LABELLED_FOLDING.finditer(text)
    elif _LABEL_PARTS.search(lowered):
        matches = _LABELLED.finditer(lowered)
    else:
        return found
    for match in matches:
        digits = re.sub(r"[^0-9]", "", match.group("number"))
        label_text = match.group("label")
        strong = bool(_STRONG.fullmatch(label_text))
        if not strong and _SERIAL_BEFORE.search(text, max(0, match.start() - 30), match.start()):
            continue
        span = match.span("number")
        if len(digits) == 10:
            label = "labelled"
            found.append(Candidate(digits, _CONFIDENCE["labelled" if strong else "weak"], span, label))
        elif strong and 7 <= len(digits) <= 9:
            found.append(Candidate(digits.zfill(10), _CONFIDENCE["padded"], span, "padded"))
    return found


def _overlapping(span: tuple[int, int], spans: list[tuple[int, int]], starts: list[int]) -> int | None:
    """Index of a span of ``spans`` (sorted, non-nested, ``starts`` their starts) overlapping ``span``."""
    index = bisect_left(starts, span[1]) - 1
    while index >= 0 and spans[index][1] > span[0]:
        if spans[index][0] < span[1]:
            return index
        index -= 1
    return None


def _bare(text: str, taken: list[tuple[int, int]], known: Sequence[Candidate[str]] | None) -> list[Candidate[str]]:
    """10-digit numbers with no label; phone-like ones kept with a low confidence (``known``: the phones)."""
    matches = list(_BARE.finditer(text))
    if not matches:
        return []
    phones = sorted((c.span, c.label) for c in (find_phones(text) if known is None else known))
    phone_starts = [span[0] for span, _ in phones]
    taken_sorted = sorted(taken)
    taken_starts = [start for start, _ in taken_sorted]
    found: list[Candidate[str]] = []
    for match in matches:
        span = match.span()
        if _overlapping(span, taken_sorted, taken_starts) is not None:
            continue
        if _SERIAL_BEFORE.search(text, max(0, span[0] - 30), span[0]):
            continue
        index = _overlapping(span, [pspan for pspan, _ in phones], phone_starts)
        phone_label = None if index is None else phones[index][1]
        if phone_label == "labelled":
            continue
        label = "bare" if phone_label is None else "bare_phone_like"
        found.append(Candidate(match.group(), _CONFIDENCE[label], span, label))
    return found


def find_labelled_accounts(text: str) -> list[Candidate[str]]:
    """Only the labelled and padded accounts of ``text`` (what other parsers must not read as numbers)."""
    if not isinstance(text, str) or not text:
        return []
    return _labelled(text[:_MAX_TEXT])


def find_accounts(text: str, phones: Sequence[Candidate[str]] | None = None) -> list[Candidate[str]]:
    """Every account number in ``text`` (10-char strings), first occurrence of each, in text order.

    ``phones`` are ``find_phones(text)`` when the caller has them already.
    """
    if not isinstance(text, str) or not text:
        return []
    text = text[:_MAX_TEXT]
    if _DIGIT.search(text) is None:  # every account (labelled or bare) is written in ASCII digits
        return []
    labelled = _labelled(text)
    candidates = labelled + _bare(text, [c.span for c in labelled], phones)
    candidates.sort(key=lambda c: c.span[0])
    seen: set[str] = set()
    result: list[Candidate[str]] = []
    for candidate in candidates:
        if candidate.value not in seen:
            seen.add(candidate.value)
            result.append(candidate)
    return result
