"""The message's own date and the dates a meter reading may have been taken on.

``message_datetime`` reads the ``Date:`` header (falling back to ``Received:`` and INTERNALDATE);
``find_fixation_dates`` lists every date-like expression of a text with a label and a confidence.

The text search uses its own regular expressions and calendar arithmetic: ``dateparser`` costs
1-2 ms per call (the whole parser budget of an e-mail) and resolves year-less dates into the
future, so it is only the fallback for header values that are not RFC 5322 dates.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from itertools import islice
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from parsers.quotes import is_quote_header_line
from parsers.types import Candidate, Span


def _load_kyiv() -> ZoneInfo:
    """Europe/Kyiv, or its pre-2022 tz database name on machines with old tzdata."""
    try:
        return ZoneInfo("Europe/Kyiv")
    except ZoneInfoNotFoundError:  # pragma: no cover - depends on the machine's tzdata
        return ZoneInfo("Europe/Kiev")


KYIV: ZoneInfo = _load_kyiv()

_MIN_HEADER_YEAR = 1980
_MAX_HEADER_YEAR = 2100
_MIN_TEXT_YEAR = 1950
_MAX_TEXT_YEAR = 2099
_MAX_SEARCHED_CHARS = 100_000
_MAX_CANDIDATES = 200

# --- message date -------------------------------------------------------------------------------

_ZONE_ABBREVIATIONS = {"EET": 2, "EEST": 3, "MSK": 3, "MSD": 4, "CET": 1, "CEST": 2, "BST": 1, "WET": 0}
_FOUR_DIGITS_RE = re.compile(r"\d{4}")
_ZONE_WORD_RE = re.compile(r"\b([A-Z]{3,4})\s*(?:\([^)]*\))?\s*$")


def _from_rfc5322(value: str) -> datetime | None:
    """An RFC 5322 date as an aware datetime; no zone (or ``-0000``) means Kyiv local time."""
    try:
        parsed = parsedate_to_datetime(value)
    except (ValueError, TypeError, IndexError):
        return None
    if parsed is None or not _MIN_HEADER_YEAR <= parsed.year <= _MAX_HEADER_YEAR:
        return None
    if parsed.tzinfo is not None:
        return parsed
    zone_word = _ZONE_WORD_RE.search(value)
    hours = _ZONE_ABBREVIATIONS.get(zone_word.group(1)) if zone_word else None
    return parsed.replace(tzinfo=KYIV if hours is None else timezone(timedelta(hours=hours)))


def _from_dateparser(value: str) -> datetime | None:
    """A non-RFC header date ("Четверг, 1 декабря 2016 10:00") read by dateparser, or None."""
    if not _FOUR_DIGITS_RE.search(value) or len(value) > 200:
        return None
    import dateparser  # imported here: slow to load and only needed for broken headers

    settings = {"PARSERS": ["absolute-time"], "REQUIRE_PARTS": ["day", "month", "year"], "DATE_ORDER": "DMY"}
    parsed = dateparser.parse(value, languages=["en", "ru", "uk"], settings=settings)  # type: ignore[arg-type]
    if parsed is None or not _MIN_HEADER_YEAR <= parsed.year <= _MAX_HEADER_YEAR:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=KYIV)


def _parse_header_date(value: object) -> datetime | None:
    """Any header date value as an aware datetime, or None when it cannot be read."""
    if value is None:
        return None
    try:
        cleaned = " ".join(str(value).split())
        return (_from_rfc5322(cleaned) or _from_dateparser(cleaned)) if cleaned else None
    except Exception:  # dateparser and odd header objects may raise anything: the value is unreadable
        return None


def message_datetime(
    date_header: str | None,
    received_headers: Sequence[str] = (),
    internaldate: datetime | None = None,
) -> tuple[datetime | None, str]:
    """The message's date in Europe/Kyiv and where it came from: date, received, internaldate or none.

    ``received_headers`` are in header order (topmost, i.e. newest, first); the first one whose
    date (after its last ``;``) can be read is used.  A naive INTERNALDATE is taken as UTC.
    """
    try:
        from_date = _parse_header_date(date_header)
        if from_date is not None:
            return from_date.astimezone(KYIV), "date"
        for received in received_headers or ():
            received_text = received if isinstance(received, str) else str(received)
            if ";" in received_text:
                from_received = _parse_header_date(received_text.rsplit(";", 1)[1])
                if from_received is not None:
                    return from_received.astimezone(KYIV), "received"
        if isinstance(internaldate, datetime):
            aware = internaldate if internaldate.tzinfo is not None else internaldate.replace(tzinfo=UTC)
            return aware.astimezone(KYIV), "internaldate"
    except (ValueError, TypeError, OverflowError):
        pass
    return None, "none"


# --- patterns -----------------------------------------------------------------------------------
# fmt: off
_SP = r"[^\S\n]"
_NOT_LETTER = r"(?![а-яёіїєґa-z])"
_MONTH_WORD = (
    r"январ[ьяею]|янв|феврал[ьяею]|февр?|март[аеу]?|мар|апрел[ьяею]|апр|ма[йяюе]|июн[ьяею]?|июл[ьяею]?"
    r"|август[аеу]?|авг|сентябр[ьяею]|сент?|октябр[ьяею]|окт|ноябр[ьяею]|нояб?|декабр[ьяею]|дек"
    r"|с[іi]ч(?:ня|ень|н[іi])?|лют(?:ого|ий|ому)?|берез(?:ня|ень|н[іi])|кв[іi]т(?:ня|ень|н[іi])?"
    r"|трав(?:ня|ень|н[іi])?|черв(?:ня|ень|н[іi])?|лип(?:ня|ень|н[іi])?|серп(?:ня|ень|н[іi])?"
    r"|верес(?:ня|ень|н[іi])|жовт(?:ня|ень|н[іi])?|листопад[аіу]?|груд(?:ня|ень|н[іi])?"
    r"|jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_MONTH_BY_PREFIX = {
    "янв": 1, "фев": 2, "мар": 3, "апр": 4, "май": 5, "мая": 5, "мае": 5, "маю": 5, "июн": 6, "июл": 7,
    "авг": 8, "сен": 9, "окт": 10, "ноя": 11, "дек": 12,
    "січ": 1, "лют": 2, "бер": 3, "кві": 4, "тра": 5, "чер": 6, "лип": 7, "сер": 8, "вер": 9,
    "жов": 10, "лис": 11, "гру": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "oct": 10, "nov": 11, "dec": 12,
}
_ORDINAL_DAY = {
    "перв": 1, "перш": 1, "втор": 2, "друг": 2, "трет": 3, "четв": 4, "пят": 5, "п'ят": 5, "п’ят": 5,
}
_ORDINAL_WORD = (
    r"перв(?:ое|ого|ым)|перш(?:е|ого|им)|втор(?:ое|ого)|друг(?:е|ого)|треть(?:е|его)|трет(?:є|ього)"
    r"|четверт(?:ое|ого|е)|пят(?:ое|ого)|п['’]?ят(?:е|ого)"
)
_DAY_SUFFIX = r"(?:-?(?:го|ого|ое|е|ше|ге|ий|й|th|st|nd|rd))?"
_YEAR_WORD = r"(?:[^\S\n]*(?:года|году|год|року|рік|г|р)\.?" + _NOT_LETTER + r")?"
_NO_DIGIT_BEFORE = r"(?<!\d[.,/])"
_YEAR_AFTER = r"(?:,?[^\S\n]*(?P<year>\d{4})(?!\d)" + _YEAR_WORD + r")?"
_CHISLO = r"(?:числ[оау]|чис\.)" + _NOT_LETTER

# Numeric patterns are tried with .match() at the start of each run of digits.
_ISO_RE = re.compile(
    r"(?P<year>\d{4})(?P<sep>[-./])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})(?!\d|[.,/-]\d)"
)
_DMY_RE = re.compile(
    _NO_DIGIT_BEFORE + r"(?P<day>\d{1,2})(?P<sep>[./])(?P<month>\d{1,2})(?P=sep)(?P<year>\d{4}|\d{2})"
    r"(?!\d|[.,/]\d)" + _YEAR_WORD
)
_DMY_DASH_RE = re.compile(r"(?<!-)(?P<day>\d{1,2})-(?P<month>\d{1,2})-(?P<year>\d{4})(?![\d-])")
_TEXT_RE = re.compile(
    r"(?<![.,])(?P<day>\d{1,2})" + _DAY_SUFFIX + r"[^\S\n]*(?P<month>" + _MONTH_WORD + r")\.?"
    + _NOT_LETTER + _YEAR_AFTER,
    re.IGNORECASE,
)
_ENGLISH_RE = re.compile(
    r"\b(?P<month>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?[^\S\n]+(?P<day>\d{1,2})"
    r"(?:st|nd|rd|th)?,?[^\S\n]+(?P<year>\d{4})(?!\d)",
    re.IGNORECASE,
)
_ROMAN = {numeral: number for number, numeral in enumerate(
    ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"], 1)}
_ROMAN_RE = re.compile(
    _NO_DIGIT_BEFORE + r"(?P<day>\d{1,2})\.(?P<month>XII|XI|IX|X|VIII|VII|VI|IV|V|III|II|I)(?![A-Za-z])"
    r"(?:\.(?P<year>\d{4}|\d{2})(?!\d))?"
)
_DAY_OF_MONTH_RE = re.compile(r"(?<![.,])(?P<day>\d{1,2})" + _DAY_SUFFIX + r"[^\S\n]*" + _CHISLO, re.I)
# "снял 1-го", "на 5-е": an ordinal day alone (checked for a cue word before it).
_ORDINAL_DAY_RE = re.compile(r"(?<![.,\d])(?P<day>\d{1,2})-(?:го|ого|е|ое|ше|ге)(?![^\W\d_])", re.I)
_DAY_MONTH_RE = re.compile(
    _NO_DIGIT_BEFORE + r"(?<!:)(?P<day>\d{1,2})(?P<sep>[./])(?P<month>\d{1,2})(?!\d|[.,/:]\d)"
)
# Word patterns run over the lower-cased text and start with literal stems (fast to scan for).
_ORDINAL_RE = re.compile(
    r"(?P<word>" + _ORDINAL_WORD + r")[^\S\n]*(?:" + _CHISLO + r"|(?P<month>" + _MONTH_WORD + r")\.?"
    + _NOT_LETTER + _YEAR_AFTER + r")"
)
_RELATIVE_RE = re.compile(r"(?:позавч|сегодн|сьогодн|вчера|вчерашн|вчор|учор)[а-яёіїєґ]*")
_DIGIT_RUN_RE = re.compile(r"[0-9]+")
_WORD_CHAR_RE = re.compile(r"\w")

# --- context cues -------------------------------------------------------------------------------

_NOT_WORD_BEFORE = r"(?:^|[^а-яёіїєґa-z])"
_AS_OF_BEFORE_RE = re.compile(
    _NOT_WORD_BEFORE + r"(?:на|станом\s+на|по\s+состоянию\s+на|as\s+of|за)[^\S\n]*[:\-–—]?[^\S\n]*\(?$"
)
_FROM_BEFORE_RE = re.compile(_NOT_WORD_BEFORE + r"(?:от|від|of)[^\S\n]*\(?$")
_KEYWORD_BEFORE_RE = re.compile(r"дат[аиуы]|сня|знят|зня|показ|станом|состоянию|date")
# "Дата снятия: 1/12", "сняты 1/12", "Снял 1-го": the words that make a bare day (or day/month) a date.
_TAKEN_BEFORE_RE = re.compile(r"(?:дат[аиуы]|сня\w*|знят\w*|зня\w*|снима\w*|зніма\w*|передаю|на)[^\S\n]*[:\-–—]?"
                              r"[^\S\n]*$")
_KEYWORD_AFTER_RE = re.compile(r"^[\s,.:;)\-–—]*(?:сня|знят|зня)")
_AT_TIME_BEFORE_RE = re.compile(r"(?:^|\s)(?:в|о|об|at|около|близько)[^\S\n]*$")
_UNIT_AFTER_RE = re.compile(
    r"[^\S\n]*(?:грн|гр\.|коп|руб|uah|usd|\$|€|%|квт|кв[тm]|kw|вт|мм|см|м\b|км|кг|л\b|шт|ч\b|год\b|час)", re.I
)
_ADDRESS_BEFORE_RE = re.compile(_NOT_WORD_BEFORE + r"(?:д|дом|буд|кв|корп|к|№|n|т|тел|ул|вул)\.?[^\S\n]*$")
_PREVIOUS_BEFORE_RE = re.compile(
    r"(?:предыдущ|попередн|прежн|предидущ)\w*|(?:прошл|минул|последн|останн)\w*[^\S\n]+(?:показ|раз)\w*"
)
_CURRENT_AFTER_PREVIOUS_RE = re.compile(
    r"текущ|поточн|нов|сейчас|зараз|сегодня|сьогодн|теперь|тепер|правильн|вірн|верн|исправл|виправл")
_RANGE_FROM_BEFORE_RE = re.compile(_NOT_WORD_BEFORE + r"(?:с|со|з|із|від|from)[^\S\n]*$")
_RANGE_TO_AFTER_RE = re.compile(r"^[^\S\n]*(?:по|до|to|[-–—])[^\S\n]*\d")
_RANGE_TO_BEFORE_RE = re.compile(r"(?:с|з|від|from)[^\S\n]+\d[\d./]*[^\n]{0,24}?(?:по|до|to|[-–—])[^\S\n]*$")
# "Оплачено 2150 грн 28.11", "оплата до 20.12", "квитанція від 3.11": the day of something else than the reading.
_OTHER_EVENT_BEFORE_RE = re.compile(
    r"(?:оплат|оплач|сплат|сплач|заплат|платіж|платеж|квитанц|переказ|перевел|перевёл)\w*")
_EXAMPLE_BEFORE_RE = re.compile(r"(?:например|пример|образец|приклад|наприклад|зразок|e\.g\.|example)\b")
# fmt: on

# --- confidences ------------------------------------------------------------------------------

_BASE = {"explicit": 0.7, "no_year": 0.65, "relative": 0.55, "day_of_month": 0.6}
_LOW = {"header": 0.1, "range": 0.1, "example": 0.1, "previous": 0.15, "other_event": 0.1}
_BARE_DAY_MONTH = 0.4
_MAX_CONFIDENCE = 0.98


def _year_of(text: str | None) -> int | None:
    """A written year as a four-digit year (two digits mean 20xx)."""
    if not text:
        return None
    year = int(text)
    return 2000 + year if year < 100 else year


def _explicit_date(year: int, month: int, day: int) -> date | None:
    """A calendar date with a year inside the accepted range, or None."""
    if not _MIN_TEXT_YEAR <= year <= _MAX_TEXT_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _latest_day_month(day: int, month: int, reference: date) -> date | None:
    """The most recent ``day.month`` that is not after ``reference``."""
    for year in range(reference.year, reference.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= reference:
            return candidate
    return None


def _latest_day_of_month(day: int, reference: date) -> date | None:
    """Day ``day`` of the reference month if not after it, else of the closest earlier month that has it."""
    year, month = reference.year, reference.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
        except ValueError:
            candidate = None
        if candidate is not None and candidate <= reference:
            return candidate
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return None


def _month_number(word: str) -> int | None:
    """Month number of a Russian, Ukrainian or English month word."""
    return _MONTH_BY_PREFIX.get(word.lower().replace("i", "і")[:3]) or _MONTH_BY_PREFIX.get(word.lower()[:3])


def _ordinal_day(word: str) -> int | None:
    """Day number of an ordinal word such as "первого" or "першого"."""
    lowered = word.lower()
    for prefix, day in _ORDINAL_DAY.items():
        if lowered.startswith(prefix):
            return day
    return None


def _resolve(
    day: int | None, month: int | None, year: int | None, reference: date
) -> tuple[date | None, str]:
    """A found day/month/year as a date and its label (explicit when the year is written)."""
    if not day or not month:
        return None, ""
    if year is not None:
        return _explicit_date(year, month, day), "explicit"
    return _latest_day_month(day, month, reference), "no_year"


RawHit = tuple[int, int, date, str, float]


def _hit(match: re.Match[str], found: date | None, label: str, confidence: float = 0.0) -> RawHit | None:
    """A hit for ``match`` when a date was found."""
    if found is None:
        return None
    return match.start(), match.end(), found, label, confidence or _BASE[label]


def _numeric_hit(text: str, start: int, reference: date) -> RawHit | None:
    """A day.month.year, day/month/year, day-month-year, 1.XII or bare day.month date at ``start``."""
    for pattern in (_DMY_RE, _DMY_DASH_RE):
        match = pattern.match(text, start)
        if match:
            found = _explicit_date(_year_of(match["year"]) or 0, int(match["month"]), int(match["day"]))
            return _hit(match, found, "explicit")
    match = _ROMAN_RE.match(text, start)
    if match:
        day, month, year = int(match["day"]), _ROMAN[match["month"]], _year_of(match["year"])
        return _hit(match, *_resolve(day, month, year, reference))
    match = _DAY_MONTH_RE.match(text, start)
    if not match:
        return None
    before = text[max(0, start - 24) : start].lower()
    cued = bool(_AS_OF_BEFORE_RE.search(before) or _FROM_BEFORE_RE.search(before) or _TAKEN_BEFORE_RE.search(before))
    if _UNIT_AFTER_RE.match(text, match.end()) or _ADDRESS_BEFORE_RE.search(before):
        return None
    if not cued and (match["sep"] == "/" or len(match["month"]) != 2):
        return None
    confidence = _BASE["no_year"] if cued else _BARE_DAY_MONTH
    confidence -= 0.2 if _AT_TIME_BEFORE_RE.search(before) else 0.0
    found = _latest_day_month(int(match["day"]), int(match["month"]), reference)
    return _hit(match, found, "no_year", confidence)


def _worded_hit(text: str, start: int, reference: date) -> RawHit | None:
    """A "1 декабря [2016]", "1-го грудня" or "на 1-е число" date starting at the digits at ``start``."""
    match = _TEXT_RE.match(text, start)
    if match:
        day, month, year = int(match["day"]), _month_number(match["month"]), _year_of(match["year"])
        return _hit(match, *_resolve(day, month, year, reference))
    match = _DAY_OF_MONTH_RE.match(text, start)
    if match:
        return _hit(match, _latest_day_of_month(int(match["day"]), reference), "day_of_month")
    match = _ORDINAL_DAY_RE.match(text, start)
    if match and _TAKEN_BEFORE_RE.search(text[max(0, start - 24) : start].lower()):
        return _hit(match, _latest_day_of_month(int(match["day"]), reference), "day_of_month")
    return None


def _year_hits(text: str, start: int, reference: date) -> Iterator[RawHit]:
    """ISO dates starting at a four-digit run and English "December 2, 2016" dates ending with it."""
    match = _ISO_RE.match(text, start)
    if match:
        found = _explicit_date(int(match["year"]), int(match["month"]), int(match["day"]))
        hit = _hit(match, found, "explicit")
        if hit:
            yield hit
    match = _ENGLISH_RE.search(text, max(0, start - 24), start + 4)
    if match and match.end() == start + 4:
        found = _explicit_date(int(match["year"]), _month_number(match["month"]) or 0, int(match["day"]))
        hit = _hit(match, found, "explicit")
        if hit:
            yield hit


def _digit_hits(text: str, reference: date) -> Iterator[RawHit]:
    """Every date expression that starts (or, in English, ends) at a run of ASCII digits."""
    covered_until = 0
    for run in _DIGIT_RUN_RE.finditer(text):
        start, length = run.start(), run.end() - run.start()
        if start < covered_until:
            continue
        if length == 4:
            yield from _year_hits(text, start, reference)
            continue
        following = text[run.end() : run.end() + 1]
        if length > 2 or not following:
            continue
        hit = None
        if following in "./-":
            hit = _numeric_hit(text, start, reference)
        if hit is None and (following == "-" or following.isspace() or following.isalpha()):
            hit = _worded_hit(text, start, reference)
        if hit:
            covered_until = hit[1]
            yield hit


def _starts_word(lowered: str, start: int) -> bool:
    """True when ``start`` is not inside a word."""
    return start == 0 or not _WORD_CHAR_RE.match(lowered, start - 1)


def _word_hits(lowered: str, reference: date) -> Iterator[RawHit]:
    """Ordinal-word dates ("первого числа", "першого грудня") and today / yesterday words."""
    for match in _ORDINAL_RE.finditer(lowered):
        day = _ordinal_day(match["word"])
        if not _starts_word(lowered, match.start()) or day is None:
            continue
        if match["month"]:
            month, year = _month_number(match["month"]), _year_of(match["year"])
            hit = _hit(match, *_resolve(day, month, year, reference))
        else:
            hit = _hit(match, _latest_day_of_month(day, reference), "day_of_month")
        if hit:
            yield hit
    for match in _RELATIVE_RE.finditer(lowered):
        if _starts_word(lowered, match.start()):
            word = match.group()
            days_back = 2 if word.startswith("позав") else 0 if word.startswith(("сег", "сьог")) else 1
            found = reference - timedelta(days=days_back)
            yield match.start(), match.end(), found, "relative", _BASE["relative"]


def _lowered(text: str) -> str:
    """``text`` in lower case with every offset kept (characters whose lower case is longer stay)."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(char if len(char.lower()) != 1 else char.lower() for char in text)


def _non_overlapping(hits: list[RawHit]) -> list[RawHit]:
    """The hits in the given (priority) order, dropping any that overlaps one already kept."""
    kept: list[RawHit] = []
    starts: list[int] = []
    for hit in hits:
        position = bisect_left(starts, hit[0])
        if position < len(kept) and kept[position][0] < hit[1]:
            continue
        if position > 0 and kept[position - 1][1] > hit[0]:
            continue
        kept.insert(position, hit)
        starts.insert(position, hit[0])
    return kept


def _line_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """Start and end offsets of the line holding ``text[start:end]``, at most 300 characters each way."""
    line_start = text.rfind("\n", max(0, start - 300), start) + 1 or max(0, start - 300)
    line_end = text.find("\n", end, end + 300)
    return line_start, min(len(text), end + 300) if line_end < 0 else line_end


def _is_range(text: str, start: int, end: int, before: str) -> bool:
    """True for either end of a range such as "с 26.12.2016 по 09.01.2017" or "с 1 по 5 число"."""
    if _RANGE_FROM_BEFORE_RE.search(before) and _RANGE_TO_AFTER_RE.match(text[end : end + 12]):
        return True
    return bool(_RANGE_TO_BEFORE_RE.search(before))


def _is_previous(before: str) -> bool:
    """True when the line before the date speaks of a previous reading and not of a current one."""
    cue_ends = [cue.end() for cue in _PREVIOUS_BEFORE_RE.finditer(before)]
    return bool(cue_ends) and not _CURRENT_AFTER_PREVIOUS_RE.search(before, cue_ends[-1])


def _is_other_event(before: str) -> bool:
    """True when a payment word stands before the date with no reading or "as of" word after it."""
    cues = list(_OTHER_EVENT_BEFORE_RE.finditer(before))
    if not cues:
        return False
    tail = before[cues[-1].end():]
    return not (_KEYWORD_BEFORE_RE.search(tail) or _AS_OF_BEFORE_RE.search(tail))


def _classify(text: str, hit: RawHit) -> tuple[str, float]:
    """Final label and confidence of a hit from the words around it."""
    start, end, _, label, confidence = hit
    line_start, line_end = _line_bounds(text, start, end)
    before = text[max(line_start, start - 60) : start].lower()
    if is_quote_header_line(text, line_start):
        return "header", _LOW["header"]
    if _is_range(text, start, end, before[-30:]):
        return "range", _LOW["range"]
    if _is_previous(before):
        return "previous", _LOW["previous"]
    if _is_other_event(before[-40:]):
        return "other_event", _LOW["other_event"]
    if _EXAMPLE_BEFORE_RE.search(text[max(line_start, start - 200) : start].lower()):
        return "example", _LOW["example"]
    near = before[-24:]
    if _AS_OF_BEFORE_RE.search(near):
        confidence += 0.2
    elif _FROM_BEFORE_RE.search(near):
        confidence += 0.05
    if _KEYWORD_BEFORE_RE.search(before[-40:]) or _KEYWORD_AFTER_RE.match(
        text[end : min(line_end, end + 20)].lower()
    ):
        confidence += 0.1
    return label, round(min(confidence, _MAX_CONFIDENCE), 3)


def _reference_day(reference: datetime) -> date:
    """The calendar day of ``reference`` in Kyiv (naive datetimes are taken as Kyiv time)."""
    if reference.tzinfo is None:
        return reference.date()
    return reference.astimezone(KYIV).date()


def find_fixation_dates(text: str, reference: datetime) -> list[Candidate[date]]:
    """Every date in ``text`` that may be the day a reading was taken, in text order.

    Labels: explicit, no_year, relative, day_of_month, and (low confidence, for the caller to
    skip) header, previous, range, example, other_event (a payment's day).  Year-less dates
    resolve to the latest such day not after ``reference``'s Kyiv date; explicit years are kept
    even when in the future.  Only the first 100,000 characters are searched and the first 200
    candidates returned.
    """
    if not text or not isinstance(text, str) or not isinstance(reference, datetime):
        return []
    try:
        day = _reference_day(reference)
        searched = text[:_MAX_SEARCHED_CHARS]
        digit_hits = islice(_digit_hits(searched, day), 2 * _MAX_CANDIDATES)
        word_hits = islice(_word_hits(_lowered(searched), day), 2 * _MAX_CANDIDATES)
        hits = _non_overlapping([*digit_hits, *word_hits])[:_MAX_CANDIDATES]
        candidates: list[Candidate[date]] = []
        for hit in hits:
            label, confidence = _classify(searched, hit)
            start, end = hit[0], hit[1]
            candidates.append(Candidate(hit[2], confidence, (start, end), label, (searched[start:end],)))
    except (ValueError, OverflowError, TypeError):
        return []
    return candidates


def date_spans(text: str, reference: datetime | None = None) -> list[Span]:
    """Spans of every date-like expression (of any label), for other parsers to exclude."""
    when = reference if isinstance(reference, datetime) else datetime(2099, 12, 31, tzinfo=KYIV)
    return [candidate.span for candidate in find_fixation_dates(text, when)]
