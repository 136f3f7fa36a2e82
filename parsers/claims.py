"""Numbers that are something other than a meter reading (step 1 of ``parsers.readings``).

``claimed_mask`` gives one byte per character of a text, 1 where the character belongs to a date, a
time, a year, money, a percentage, a meter serial, a count with a unit, a model number, a postal code,
an address part, a link or an e-mail address (and to the caller's ``exclude`` spans).

Each claim pattern runs only on the stretches of text around digit runs (``digit_windows``), and only
when its *trigger* occurs somewhere in the text: a plain part of the pattern (a word list, a digit
shape) that every match contains.  Most patterns have no such part in a short customer e-mail, so
they cost one quick scan instead of one per stretch.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from typing import NamedTuple

from parsers.accounts import find_labelled_accounts
from parsers.lowered import hoisted_words
from parsers.phones import find_phones
from parsers.reading_words import is_reading_word
from parsers.types import Span

__all__ = ["Lines", "claimed_mask", "mark"]

_I = re.IGNORECASE

_L = "A-Za-zА-Яа-яЁёІіЇїЄєҐґ'’"
_MONTHS_GEN = (
    r"(?:января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря|січня|лютого"
    r"|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня"
    r"|(?:янв|фев|февр|мар|апр|июн|июл|авг|сен|сент|окт|ноя|нояб|дек|січ|лют|бер|квіт|трав|черв|лип|серп"
    r"|вер|жовт|лист|груд)\.)"
)
_MONTHS_ANY = (
    r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр|січ|лют|берез|квіт"
    r"|травн|черв|липн|серп|верес|жовт|листопад|груд|january|february|march|april|may|june|july|august"
    r"|september|october|november|december)[a-zа-яіїє]*\.?"
)
_EN_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
_STREET_TYPE = (
    r"(?:ул|улица|вул|вулиця|пр|просп|проспект|пр-т|пр-кт|пер|переулок|провулок|пров|бул|бульв|бульвар|пл"
    r"|площадь|площа|ш|шоссе|шосе|наб|набережная|набережна|туп|тупик|мкрн|мкр|мікрорайон|микрорайон|м-н"
    r"|ж/м|жм|массив|масив|проезд|проїзд|спуск|узвіз|линия|лінія|квартал|кв-л|дорога|алея|аллея|майдан"
    r"|ul|vul|pr|prosp|per|pl|mkr|mkrn)"
)
_WORD = rf"[{_L}][{_L}\-]*+\.?"
_ADDRESS_PART = (
    r"(?:кв|квартира|квартиры|кварт|кв-ра|к-ра|д|дом|буд|будинок|корп|корпус|под[ъ'’]?езд|під['’]?їзд|эт"
    r"|этаж|поверх|секц\w*|блок|строение|уч|участок|ділянка|дача|kv|d|dom|bud)"
)


def _words(words: str) -> tuple[str, ...]:
    """A trigger of literal strings (space-separated): a match holds at least one of them."""
    return tuple(words.split())


# A currency word right after a number, and a unit word (both hold the start of every such word).
_MONEY_WORDS = r"(?:грн|гривн|гривен|коп|uah|руб|₴|\$|usd|eur|евро|євро|долл)"
_UNIT_WORDS = (r"(?:мм|см|кг|шт|лет|рок|рік|дн|мес|міс|недел|тижн|час|годин|минут|хвилин|чел|осіб|особи|раз|этаж"
               r"|поверх|кварт|комнат|кімнат|зонн|тариф|фазн|вольт|ват|цифр|полугоди|півріч)")

# The trigger of a claim that consumes only these characters (digits, "." "/" ":" "-"): none is looked for; the
# claim is only tried next to the numbers whose claimed state matters (see ``_tight_regions``).
_TIGHT_CHARS = frozenset("0123456789./:-")
_AROUND_OPEN_NUMBERS: tuple[str, ...] = ()

# (pattern, flags, trigger): whole matches (or the group "n") of the patterns are never readings.
# Case-insensitive ones are written in lower case and run on the lower-cased text (much faster than
# IGNORECASE); the rest on the text itself.  Every match of a pattern holds its trigger, so a text
# without it cannot match: a tuple of strings (one of them occurs) or a regex (a part of the pattern
# without lookaheads, where no short word list says enough).
_Trigger = tuple[str, ...] | str | None
_CLAIM_SOURCES: tuple[tuple[str, int, _Trigger], ...] = (
    (r"(?<![0-9.,])[0-9]{1,2}[./-][0-9]{1,2}[./-](?:[0-9]{4}|[0-9]{2})(?![0-9])", 0, _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])", 0, _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9.,])(?:0?[1-9]|1[0-2])[./](?:19|20)[0-9]{2}(?![0-9])", 0, _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9.,])(?:[12][0-9]|3[01]|0?[1-9])\.(?:0[1-9]|1[0-2])(?![0-9]|[.,][0-9])", 0, _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9/.,])(?:[12][0-9]|3[01]|0?[1-9])/(?:0?[1-9]|1[0-2])(?![0-9]|/[0-9])", 0, _AROUND_OPEN_NUMBERS),
    (rf"(?<![0-9])[0-9]{{1,2}}(?:\s*-?\s*[{_L}]{{1,3}})?\s+{_MONTHS_GEN}(?:\s*,?\s*[0-9]{{4}}(?![0-9]))?", _I,
     rf"[0-9](?:\s*-?\s*[{_L}]{{1,3}})?\s+{_MONTHS_GEN}"),
    (rf"{_MONTHS_ANY}\s*,?\s*[0-9]{{4}}(?![0-9])", _I,
     _words("янв фев мар апр май мая июн июл авг сен окт ноя дек січ лют бер кві тра чер лип сер вер жов лис гру "
            "jan feb mar apr may jun jul aug sep oct nov dec")),
    (rf"\b{_EN_MONTHS}\s+[0-9]{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s*[0-9]{{4}}(?![0-9]))?", _I, rf"{_EN_MONTHS}\s+[0-9]"),
    (rf"(?<![0-9])[0-9]{{1,2}}\s+{_EN_MONTHS}(?:\s*,?\s*[0-9]{{4}}(?![0-9]))?", _I, rf"[0-9]\s+{_EN_MONTHS}"),
    (r"(?:\bс|\bз|від|\bот)\s+[0-9]{1,2}\S*\s+(?:по|до)\s+[0-9]{1,2}(?![0-9])", _I, r"(?:по|до)\s+[0-9]"),
    (r"(?<![0-9])[0-9]{1,2}\s*-?\s*[a-zа-яіїє]{0,3}\s+числ\w*", _I, _words("числ")),
    (r"(?<![0-9])[0-9]{1,6}-[a-zа-яіїєё']+", _I, r"[0-9]-[a-zа-яіїєё']"),
    (r"(?<![0-9])[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?(?![0-9])", 0, _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9])(?:19|20)[0-9]{2}(?=\s*(?:г\b|г\.|гг|р\b|р\.|год[ау]?\b|року|рік|рр|year))", _I,
     _AROUND_OPEN_NUMBERS),
    (r"(?<![0-9])(?P<n>(?:[0-9]{1,3}(?:[ \u00a0][0-9]{3}){1,4}|[0-9]+)(?:[.,][0-9]+)?)\s*(?:грн|гривн\w*|гривен\w*"
     r"|коп(?:\.|еек|ейки|ійок|ійки)?|uah|руб\w*|₴|\$|usd|eur|евро|євро|долл\w*)(?![а-яіїєa-z])", _I,
     rf"[0-9]\s*{_MONEY_WORDS}"),
    (r"(?:₴|\$|\bгрн\.?|\buah)\s*[0-9]+(?:[.,][0-9]+)?", _I, _words("₴ $ грн uah")),
    (r"(?:сумм\w*|\bсум[аиуі]\b|оплатил\w*|сплатил\w*|заплатил\w*|долг\w*|борг\w*|задолженн\w*|заборгован\w*"
     r"|стоимост\w*|вартіст\w*|цена|ціна)\s*(?:[^\d\n]{0,20}?)[0-9]+(?:[ \u00a0][0-9]{3}){0,4}(?:[.,][0-9]+)?", _I,
     _words("сум оплатил сплатил заплатил долг борг задолженн заборгован стоимост вартіст цена ціна")),
    (r"(?<![0-9])[0-9]+(?:[.,][0-9]+)?\s*(?:%|процент\w*|відсот\w*)", _I, _words("% процент відсот")),
    (r"(?:сч[её]тчик\w*|лічильник\w*|прибор\w*\s+учета)\s*(?:номер|№|n|#|nr)\s*:?\s*[0-9]+(?:-[0-9]+)*", _I,
     _words("счетчик счётчик лічильник прибор")),
    (r"(?:заводск\w*|заводськ\w*|\bзав\.|серийн\w*|серійн\w*|\bs/?n\b|serial)\s*(?:номер|№|n|#)?\s*:?\s*"
     r"[0-9]+(?:-[0-9]+)*", _I, _words("зав серийн серійн sn s/n serial")),
    (r"номер\w*\s+(?:сч[её]тчика|лічильника)\s*:?\s*[0-9]+(?:-[0-9]+)*", _I, _words("номер")),
    (r"(?:№|\bn°|\bno\.|\bnr\.?)\s*[0-9]+(?:[-/][0-9]+)*", _I, _words("№ n° no. nr")),
    (r"(?:расход\w*|потреблени\w*|потрачено|израсходова\w*|нагор[еі]л\w*|спожит\w*|спожив\w*|витрачено"
     r"|використано|нараховано|начислено|насчитал\w*|нарахувал\w*|разниц\w*|різниц\w*)[^\d\n]{0,25}?"
     r"[0-9]+(?:[.,][0-9]+)?", _I,
     _words("расход потреблени потрачено израсходова нагорел нагоріл спожит спожив витрачено використано нараховано "
            "начислено насчитал нарахувал разниц різниц")),
    (r"(?<![0-9])[0-9]+\s*к[вw]т\S{0,8}\s+за\s+(?:\w+\s+)?(?:месяц|місяць|период|період)", _I,
     _words("месяц місяць период період")),
    (r"(?<![0-9])[0-9]+(?:[.,][0-9]+)?\s*(?:мм|см|кг|шт|лет|рок\w*|рік|дн(?:ей|я|і|ів)|месяц\w*|мес\.|місяц\w*"
     r"|міс\.|недел\w*|тижн\w*|час(?:а|ов)?|годин\w*|минут\w*|хвилин\w*|человек|чел\.|осіб|особи|раз[аи]?"
     r"|этаж\w*|поверх\w*|квартир\w*|комнат\w*|кімнат\w*|зонн\w*|тариф\w*|фазн\w*|вольт\w*|ватт?|цифр\w*"
     r"|квартал\w*|полугоди\w*|півріч\w*|кварт\.)(?!\w)",
     _I, rf"[0-9]\s*{_UNIT_WORDS}"),
    (r"(?<![0-9])[0-9]+\s*[xх×]\s*[0-9]+", _I, r"[0-9]\s*[xх×]\s*[0-9]"),
    (r"(?<![\w])(?P<w>[A-ZА-ЯЁІЇЄҐ]{2,}[A-ZА-ЯЁІЇЄҐ0-9-]*)\s+(?P<n>[0-9]+)", 0, r"[A-ZА-ЯЁІЇЄҐ]{2}"),
    (rf"(?<![\w-]){_ADDRESS_PART}\.?\s*№?\s*[0-9]+(?:[/-][0-9]{{1,3}}(?![0-9]))?", _I,
     rf"{_ADDRESS_PART}\.?\s*№?\s*[0-9]"),
    (rf"(?<![\w-]){_STREET_TYPE}\.?\s*(?:[0-9]{{1,3}}(?:-?[{_L}]{{1,6}})?\s+)?(?:{_WORD}\s*){{1,4}}?,?\s*"
     rf"(?:(?:д|дом|буд|будинок)\.?\s*)?[0-9]{{1,4}}(?:\s*[/-]\s*[0-9]{{1,3}}(?![0-9]))?(?![0-9])", _I,
     None),
    (rf"(?<![\w-])(?P<w>[A-ZА-ЯЁІЇЄҐ][{_L}\-]{{2,}})\.?,?\s+(?P<n>[0-9]{{1,3}}(?:\s*[/-]\s*[0-9]{{1,3}})?)"
     r"(?![0-9]|[.,][0-9])(?=[ \t\r]*(?:$|[,;(/]|кв|kv|к\.|д\.|буд|корп|частн|приват|[А-ЯЁІЇЄҐ]))", re.MULTILINE,
     None),
    # "shosse 14 kv 130", "Робоча 23, кв. 1": a house number right before the apartment (any script).
    (r"(?<![0-9.,])[0-9]{1,3}(?:[/-][0-9]{1,3})?(?:-?[a-zа-яіїє](?![a-zа-яіїє]))?(?=[ \t]*,?[ \t]*(?:кв|kv)\.?[ \t]*"
     r"[0-9])", _I, _words("кв kv")),
    (r"(?:индекс|індекс)\s*:?\s*[0-9]{5}", _I, _words("индекс індекс")),
    (r"(?:https?://|www\.)[^\s<>\"']+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", _I, _words(":// www. @")),
    (r"(?<![0-9])(?:49|5[0-3])[0-9]{3}(?![0-9])(?=\s*,?\s*(?:г\.|м\.|с\.|смт|пгт|[А-ЯІЇЄ][а-яіїє']+\s*,))", 0,
     _AROUND_OPEN_NUMBERS),
)




_CAPITAL = "[A-ZА-ЯЁІЇЄҐ]"


def _fast_forms(*rewrites: tuple[str, str]) -> dict[str, str]:
    """Claim source -> the same pattern written so that it starts with a letter (see ``_hoisted_words``):
    each rewrite replaces the beginning of the one claim source that starts with it."""
    forms = {}
    for before, after in rewrites:
        (source,) = [source for source, _, _ in _CLAIM_SOURCES if source.startswith(before)]
        forms[source] = after + source[len(before):]
    return forms


# The claim patterns that start with a one-character lookbehind and a letter, rewritten to start with the
# letter: the same matches, much faster to search.
_FAST_FORMS = _fast_forms(
    (rf"(?<![\w])(?P<w>{_CAPITAL}{{2,}}", rf"(?P<w>{_CAPITAL}(?<![\w]{_CAPITAL}){_CAPITAL}+"),
    (rf"(?<![\w-]){_ADDRESS_PART}", hoisted_words(r"[\w-]", _ADDRESS_PART)),
    (rf"(?<![\w-]){_STREET_TYPE}", hoisted_words(r"[\w-]", _STREET_TYPE)),
    (rf"(?<![\w-])(?P<w>{_CAPITAL}", rf"(?P<w>{_CAPITAL}(?<![\w-]{_CAPITAL})"),
)

class _Claim(NamedTuple):
    """One compiled claim pattern and its trigger."""

    lowered: bool  # written in lower case: runs on the lower-cased text
    pattern: re.Pattern[str]
    folding: re.Pattern[str]  # the same with IGNORECASE, for texts whose lower case changes length
    trigger: re.Pattern[str] | None  # None: the pattern always runs
    slot: int  # claims with the same trigger share the answer for one text
    digit_first: bool  # every match starts where a run of digits starts
    tight: bool  # consumes only _TIGHT_CHARS: only tried next to the numbers in question
    word_group: bool  # a group "w" that must not be a reading word
    number_group: bool  # only the group "n" is claimed


def _compile(source: str, flags: int, trigger: _Trigger, slots: dict[object, int]) -> _Claim:
    lowered = bool(flags & re.IGNORECASE)
    fast = _FAST_FORMS.get(source, source)
    pattern = re.compile(fast, flags & ~re.IGNORECASE if lowered else flags)
    tight = trigger is _AROUND_OPEN_NUMBERS
    if isinstance(trigger, tuple):  # one search for all the words costs less than one ``in`` per word
        trigger = "|".join(re.escape(word) for word in trigger) if trigger else None
    regex = None if trigger is None else re.compile(trigger)
    slot = slots.setdefault((lowered, trigger), len(slots))
    return _Claim(lowered, pattern, re.compile(fast, flags), regex, slot, source.startswith("(?<![0-9"), tight,
                  "w" in pattern.groupindex, "n" in pattern.groupindex)


def _compile_all() -> list[_Claim]:
    slots: dict[object, int] = {}
    ordered = sorted(_CLAIM_SOURCES, key=lambda source: not source[1] & re.IGNORECASE)  # lower-case ones first
    return [_compile(source, flags, trigger, slots) for source, flags, trigger in ordered]


_CLAIMS = _compile_all()
_SLOTS = max(claim.slot for claim in _CLAIMS) + 1
_SHORT = 80  # a text this short is searched for all the triggers at once first (cheap there, seldom any)


def _gate(lowered: bool) -> tuple[re.Pattern[str], list[int]]:
    """One alternation of the triggers of the lower-case (or the other) claims, and their slots."""
    claims = [claim for claim in _CLAIMS if claim.trigger is not None and claim.lowered == lowered]
    sources = dict.fromkeys(f"(?:{claim.trigger.pattern})" for claim in claims if claim.trigger is not None)
    return re.compile("|".join(sources)), sorted({claim.slot for claim in claims})


_GATES = {lowered: _gate(lowered) for lowered in (True, False)}


class Lines:
    """Line boundaries of a text, looked up in O(log n)."""

    def __init__(self, text: str) -> None:
        self.length = len(text)
        self.starts = [0] + [match.end() for match in re.finditer("\n", text)]

    def bounds(self, position: int) -> Span:
        """Start and end (before the newline) of the line holding ``position``."""
        index = bisect_right(self.starts, position) - 1
        end = self.starts[index + 1] - 1 if index + 1 < len(self.starts) else self.length
        return self.starts[index], end


def mark(mask: bytearray, start: int, end: int) -> None:
    """Set ``mask[start:end]`` (clipped to the mask) to 1."""
    start, end = max(0, start), min(len(mask), end)
    if start < end:
        mask[start:end] = b"\x01" * (end - start)


def claimed_mask(text: str, lines: Lines, exclude: Sequence[Span], scan_claims: bool,
                 needed: Sequence[Span] | None = None) -> bytearray:
    """One byte per character: 1 where the character belongs to something that is not a reading.

    ``needed``: when given, the caller only asks whether each of these spans holds a claimed character.
    Claims are then only looked for in the windows that overlap one of them not claimed already (by
    ``exclude``); elsewhere more claims cannot change an answer.
    """
    mask = bytearray(len(text))
    for span in exclude:
        mark(mask, int(span[0]), int(span[1]))
    if scan_claims:
        for candidate in (*find_phones(text), *find_labelled_accounts(text)):
            mark(mask, *candidate.span)
    released = _letter_register_spans(text)
    windows, run_starts = _windows_and_runs(text, lines)
    open_spans = None
    if windows and needed is not None:
        claimed = _released(mask, released)
        open_spans = [span for span in needed if claimed.find(1, span[0], span[1]) < 0]
        windows = [(start, end) for start, end in windows if any(a < end and start < b for a, b in open_spans)]
    if windows:
        regions = [(start, end, end) for start, end in windows] if open_spans is None else _tight_regions(
            text, windows, open_spans)
        _mark_claims(mask, text, windows, run_starts, regions)
    _release(mask, released)
    return mask


def _tight_regions(text: str, windows: list[Span], open_spans: list[Span]) -> list[tuple[int, int, int]]:
    """(start, end, window end) of each run of ``_TIGHT_CHARS`` (joined by the open spans) that touches an
    open span.

    A match of a tight claim lies in one run of those characters: only these runs can hold one that touches
    an open span, and no match that starts elsewhere reaches into them.
    """
    regions: list[tuple[int, int, int]] = []
    for window_start, window_end in windows:
        current: Span | None = None
        for span_start, span_end in sorted(s for s in open_spans if s[0] < window_end and window_start < s[1]):
            start, end = max(span_start, window_start), min(span_end, window_end)
            while start > window_start and text[start - 1] in _TIGHT_CHARS:
                start -= 1
            while end < window_end and text[end] in _TIGHT_CHARS:
                end += 1
            if current is not None and start <= current[1]:
                current = (current[0], max(current[1], end))
                continue
            if current is not None:
                regions.append((*current, window_end))
            current = (start, end)
        if current is not None:
            regions.append((*current, window_end))
    return regions


def _mark_claims(mask: bytearray, text: str, windows: list[Span], run_starts: list[int],
                 regions: list[tuple[int, int, int]]) -> None:
    """Mark the matches of every claim pattern, in the windows where its trigger occurs (the tight claims in
    ``regions``)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # IGNORECASE on the text itself, every pattern (the triggers are lower case)
        for claim in _CLAIMS:
            pattern = claim.folding if claim.lowered else claim.pattern
            _run(mask, claim, pattern, text, windows, run_starts, regions)
        return
    fired: list[bool | None] = [None] * _SLOTS  # per trigger: whether it occurs in the text (None: not looked yet)
    if len(text) <= _SHORT:
        for kind, (gate, slots) in _GATES.items():
            if gate.search(lowered if kind else text) is None:  # no trigger of these claims occurs
                for slot in slots:
                    fired[slot] = False
    for claim in _CLAIMS:
        subject = lowered if claim.lowered else text
        if claim.trigger is None:
            _run(mask, claim, claim.pattern, subject, windows, run_starts, regions)
            continue
        occurs = fired[claim.slot]
        if occurs is None:
            occurs = fired[claim.slot] = claim.trigger.search(subject) is not None
        if occurs:
            where = windows if len(windows) == 1 else [w for w in windows if _occurs(claim, subject, *w)]
            _run(mask, claim, claim.pattern, subject, where, run_starts, regions)


def _run(mask: bytearray, claim: _Claim, pattern: re.Pattern[str], subject: str, windows: list[Span],
         run_starts: list[int], regions: list[tuple[int, int, int]]) -> None:
    """Mark the matches of one claim pattern in ``windows`` (a tight claim: in ``regions``)."""
    if claim.tight:
        _mark_at_runs(mask, pattern, subject, regions, run_starts, claim)
    elif claim.digit_first:
        _mark_at_runs(mask, pattern, subject, [(start, end, end) for start, end in windows], run_starts, claim)
    else:
        _mark_claim(mask, pattern, subject, windows, claim)


def _occurs(claim: _Claim, subject: str, start: int, end: int) -> bool:
    """Whether the claim's trigger occurs in ``subject[start:end]``."""
    return claim.trigger is not None and claim.trigger.search(subject, start, end) is not None


def _mark_claim(mask: bytearray, pattern: re.Pattern[str], subject: str, windows: list[Span], claim: _Claim) -> None:
    """Mark every match of one claim pattern inside the windows."""
    for window_start, window_end in windows:
        for match in pattern.finditer(subject, window_start, window_end):
            if claim.word_group and is_reading_word(match.group("w")):
                continue
            mark(mask, *(match.span("n") if claim.number_group else match.span()))


def _mark_at_runs(mask: bytearray, pattern: re.Pattern[str], subject: str, stretches: list[tuple[int, int, int]],
                  run_starts: list[int], claim: _Claim) -> None:
    """``_mark_claim`` for a pattern whose matches start where digit runs start: it is tried only there.

    ``stretches`` are (start, end, end of the window): the pattern is tried at the runs that start in
    ``start:end``, on the window.  That finds what ``finditer`` finds on the window: the next match is the first
    one at or after the previous end, and no other position can start one.
    """
    for stretch_start, stretch_end, window_end in stretches:
        resume = stretch_start
        for start in run_starts[bisect_left(run_starts, stretch_start):bisect_left(run_starts, stretch_end)]:
            if start < resume:
                continue
            match = pattern.match(subject, start, window_end)
            if match is not None:
                resume = match.end()
                if not (claim.word_group and is_reading_word(match.group("w"))):
                    mark(mask, *(match.span("n") if claim.number_group else match.span()))


_LETTER_LINE = re.compile(r"^[ \t\u00a0]*(?:Д|Н|П|ПП)[ \t\u00a0]*[:=\-–—]?[ \t\u00a0]*(?P<n>[0-9]{3,7})[ \t\u00a0]*$",
                          re.MULTILINE)


_LETTER_PAIR = r"(?:Д|Н|П|ПП)[ \t\u00a0]*[:=\-–—]?[ \t\u00a0]*(?P<n>[0-9]{3,7})"
_ONE_PAIR = re.compile(_LETTER_PAIR)
# "Д 18990 Н 8935" / "П 1200; ПП 800; Н 400": a line of two or three letter registers and their numbers.
_LETTER_PAIRS_LINE = re.compile(
    rf"^[ \t\u00a0]*{_LETTER_PAIR}(?:[ \t\u00a0]*[,;/]?[ \t\u00a0]*{_LETTER_PAIR.replace('?P<n>', '')}){{1,2}}"
    r"[ \t\u00a0]*$", re.MULTILINE)


def _letter_register_spans(text: str) -> list[Span]:
    """Lines "Д 9610" / "Н 4650" (two or more of them), or one line "Д 9610 Н 4650", are registers, not
    "дом 9610": their numbers' spans."""
    matches = list(_LETTER_LINE.finditer(text))
    spans = [match.span("n") for match in matches] if len(matches) >= 2 else []
    for line in _LETTER_PAIRS_LINE.finditer(text):
        spans += [pair.span("n") for pair in _ONE_PAIR.finditer(text, line.start(), line.end())]
    return spans


def _release(mask: bytearray, spans: list[Span]) -> None:
    """Unclaim ``spans``."""
    for start, end in spans:
        mask[start:end] = bytes(end - start)


def _released(mask: bytearray, spans: list[Span]) -> bytearray:
    """``mask`` with ``spans`` unclaimed (a copy when there are any)."""
    if not spans:
        return mask
    copy = bytearray(mask)
    _release(copy, spans)
    return copy


_DIGITS = re.compile(r"[0-9]+")


def digit_windows(text: str, lines: Lines) -> list[Span]:
    """Stretches of text around digits (same line, 70 characters before, 30 after), merged when they touch."""
    return _windows_and_runs(text, lines)[0]


def _windows_and_runs(text: str, lines: Lines) -> tuple[list[Span], list[int]]:
    """``digit_windows`` and the start of every run of digits."""
    windows: list[Span] = []
    run_starts: list[int] = []
    starts, count = lines.starts, len(lines.starts)
    for run in _DIGITS.finditer(text):
        run_start, run_end = run.span()
        run_starts.append(run_start)
        index = bisect_right(starts, run_start) - 1
        start = max(starts[index], run_start - 70)
        end = min(starts[index + 1] - 1 if index + 1 < count else lines.length, run_end + 30)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(end, windows[-1][1]))
        else:
            windows.append((start, end))
    return windows, run_starts
