"""Ukrainian phone numbers in free text, returned as E.164 (``+380671234567``).

A phone is a run of digit groups (separated by one space, hyphen, dot or parentheses, on one
line) whose digits read as a Ukrainian number in one of the forms people write:

* ``0XX XXX XX XX`` (10 digits, national form with the trunk ``0``),
* ``+38 0XX ...`` / ``38(0XX)...`` (12 digits starting with ``380``),
* ``8-0XX-...`` (11 digits starting with ``80``, the old long-distance prefix).

The digits must make a number ``phonenumbers`` calls valid for Ukraine (a real mobile or
area prefix), so account numbers, meter readings and serials do not pass. A number written
right after an account label (``л/с``, ``особовий рахунок`` ...) or a meter-serial label
(``счетчик №``) is that, not a phone.

Labels (``Candidate.label``): ``"labelled"`` (a phone word such as ``тел.``, ``моб.``,
``телефон``, ``контактний номер`` stands just before it), ``"bare"`` (no such word),
``"service"`` (a valid number that is not a mobile or fixed line, e.g. the ``0 800``
toll-free call-centre line; low confidence, a customer's own phone is never that),
``"example"`` (on a line that gives an example, ``Пример: ... тел. 0671234567``, as
auto-replies do; low confidence).
"""

from __future__ import annotations

import re

import phonenumbers
from phonenumbers import PhoneNumberType

from parsers.types import Candidate

__all__ = ["find_phones"]

_MAX_TEXT = 200_000

# Digit groups on one line: "+38 (067) 123-45-67", "8-067-...", "(056) 744-12-34", "0671234567".
_GROUPS = r"\)?(?:[ \t\u00a0]?[-.\u2010-\u2013]?[ \t\u00a0]?\(?[0-9]++\)?)*+"
_RUN_SOURCE = r"(?<![\w+])\+?[ \u00a0]?\(?[0-9]+" + _GROUPS
# The same regex, written to start with its first character (+, a space, "(" or a digit) and to look behind
# that one: the regex engine then skips straight to such characters instead of trying every position.
_RUN = re.compile(r"[+ \u00a0(0-9](?<![\w+][+ \u00a0(0-9])"
                  r"(?:(?<=\+)[ \u00a0]?\(?[0-9]+|(?<=[ \u00a0])\(?[0-9]+|(?<=\()[0-9]+|(?<=[0-9])[0-9]*)" + _GROUPS)
_GROUP = re.compile(r"[0-9]+")
_DIGIT = re.compile(r"[0-9]")
_SPACE_OR_DASH = re.compile(r"[\s\-\u2010-\u2013]")

_PHONE_LABEL = re.compile(
    r"(?:\bтел\w*|\bмоб\w*|\bмобіл\w*|\bсот\w*|\bphone\w*|\btel\b|\bт\.|\bконтакт\w*|зв['’]?язку|\bсвязи"
    r"|\bviber|\bвайбер|\btelegram|\bномер\s+телефон\w*|\bcell)",
    re.IGNORECASE,
)
_ACCOUNT_OR_SERIAL_LABEL = re.compile(
    r"(?:л\s*/\s*сч?|\bл\.\s*с\.|лицев\w*|лиц\.|особов\w*|\bо\s*/\s*р|\bос\.\s*рах|рахун\w*|\bсчет\w*|\bсчёт\w*"
    r"|\baccount|\bсчетчик\w*|\bсчётчик\w*|лічильник\w*|заводск\w*|заводськ\w*|серийн\w*|серійн\w*|\bs/?n\b|№)",
    re.IGNORECASE,
)
_EXAMPLE = re.compile(r"(?<!\w)(?:пример\w*|например|приклад\w*|наприклад|образец|зразок|e\.g\.)", re.IGNORECASE)
_LOOKBACK = 40
_EXAMPLE_LOOKBACK = 200
_MAX_GROUPS = 7

_CONFIDENCE = {"labelled": 0.95, "bare": 0.75, "service": 0.35, "example": 0.2}
_PERSONAL_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def _national_digits(digits: str) -> str | None:
    """Turn the digits of a written number into the 10-digit national form ``0XXXXXXXXX``."""
    if len(digits) == 12 and digits.startswith("380"):
        return digits[2:]
    if len(digits) == 11 and digits.startswith("80"):
        return digits[1:]
    if len(digits) == 10 and digits.startswith("0"):
        return digits
    return None


def _plausible_grouping(groups: list[str]) -> bool:
    """Reject digit groupings no phone is written in (stray single digits in the middle, huge groups)."""
    for index, group in enumerate(groups):
        if len(group) == 1 and not (index == 0 and group in ("0", "8", "3")) \
                and not _after_long_area_code(groups, index):
            return False
    return len(groups) <= _MAX_GROUPS


def _after_long_area_code(groups: list[str], index: int) -> bool:
    """Whether ``groups[index]`` opens a 5-digit local number after a 5-digit area code ("(05667) 4-12-09")."""
    return index == 1 and len(groups[0]) == 5 and groups[0].startswith("0")


def _dots_mixed(written: str) -> bool:
    """Whether dots join the groups together with spaces or hyphens: "05.01.2025 12" is a date and a number,
    "097.583.50.53" a phone."""
    return "." in written and _SPACE_OR_DASH.search(written) is not None


def _valid_e164(national: str) -> tuple[str, bool] | None:
    """E.164 form and whether it is a personal (mobile/fixed) line, or None when not a valid UA number."""
    try:
        number = phonenumbers.parse(national, "UA")
    except phonenumbers.NumberParseException:
        return None
    kind = phonenumbers.number_type(number)
    if kind == PhoneNumberType.UNKNOWN:  # exactly the numbers ``is_valid_number`` rejects (one lookup, not two)
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, kind in _PERSONAL_TYPES


def _label_before(text: str, start: int) -> str:
    """``labelled``/``account``/``example`` from the words just before ``start`` on its line, else ``bare``."""
    line_start = max(text.rfind("\n", max(0, start - _EXAMPLE_LOOKBACK), start) + 1, start - _EXAMPLE_LOOKBACK)
    if _EXAMPLE.search(text, line_start, start):
        return "example"
    window = text[max(line_start, start - _LOOKBACK) : start]
    window = window[max((m.end() for m in _DIGIT.finditer(window)), default=0) :]
    phone_hits = [m.end() for m in _PHONE_LABEL.finditer(window)]
    other_hits = [m.end() for m in _ACCOUNT_OR_SERIAL_LABEL.finditer(window)]
    if other_hits and (not phone_hits or max(other_hits) > max(phone_hits)):
        return "account"
    return "labelled" if phone_hits else "bare"


def _phones_in_run(
    text: str, run: re.Match[str], cache: dict[str, tuple[str, bool] | None]
) -> list[tuple[str, str, tuple[int, int]]]:
    """Every phone in one run of digit groups: (e164, label, span), longest windows first.

    ``cache`` remembers validated national numbers within one call (validation is the slow part).
    """
    groups = list(_GROUP.finditer(run.group()))
    found: list[tuple[str, str, tuple[int, int]]] = []
    i = 0
    while i < len(groups):
        ends, total = [], 0
        for j in range(i, min(len(groups), i + _MAX_GROUPS)):
            total += len(groups[j].group())
            if total > 12:
                break
            if total >= 10:
                ends.append(j + 1)
        for j in reversed(ends):
            window = [g.group() for g in groups[i:j]]
            national = _national_digits("".join(window))
            if not national or not _plausible_grouping(window) \
                    or _dots_mixed(run.group()[groups[i].start() : groups[j - 1].end()]):
                continue
            if national not in cache:
                cache[national] = _valid_e164(national)
            checked = cache[national]
            if checked is None:
                continue
            span = (run.start() + (0 if i == 0 else groups[i].start()), run.start() + groups[j - 1].end())
            label = _label_before(text, span[0])
            if label != "account":
                found.append((checked[0], label if checked[1] or label == "example" else "service", span))
            i = j - 1
            break
        i += 1
    return found


def find_phones(text: str, cache: dict[str, tuple[str, bool] | None] | None = None) -> list[Candidate[str]]:
    """Every Ukrainian phone in ``text`` as E.164, first occurrence of each number, in text order.

    ``cache`` may be shared by the calls for the texts of one message (validation is the slow part).
    """
    if not isinstance(text, str) or not text:
        return []
    text = text[:_MAX_TEXT]
    seen: set[str] = set()
    cache = {} if cache is None else cache
    result: list[Candidate[str]] = []
    for run in _RUN.finditer(text):
        if run.end() - run.start() < 10 or len(_DIGIT.findall(run.group())) < 10:
            continue
        for e164, label, span in _phones_in_run(text, run, cache):
            if e164 in seen:
                continue
            seen.add(e164)
            result.append(Candidate(e164, _CONFIDENCE[label], span, label))
    return result
