"""Meter readings in free text (SPEC.md "Policy" 1 and 2).

How a text is read:

1. Numbers that are something else are *claimed* first and are never readings: the caller's
   ``exclude`` spans, phones and account numbers (``parsers.phones``/``parsers.accounts``),
   dates (``01.12.2016``, ``1.02``, ``1 грудня``, ``на 1-е число``), times, years, money
   (``грн``, ``коп``, ``UAH``, ``руб``, ``₴``), percentages, meter serials (``счетчик №``,
   ``заводской номер``), ``№ 123``, consumption (``расход 150 кВт``, ``нараховано 412``),
   counts with units (``50 мм``, ``3 месяца``), model numbers (``НИК 2102``, ``CE101``),
   postal codes and house/apartment numbers (``ул. Рабочая 5``, ``кв. 12``, ``Гагарина 5 кв``).
2. Every other number is a *hit*, found through a register word right before it (``день``,
   ``ніч``, ``дн.``, ``пик``, ``напівпік``, ``Т1``/``T1``...), the SMS form ``1#001952``, a reading
   word (``показания``, ``показники``...) earlier on its line (or on the next line when the
   word's own line has no number), or nothing at all (``bare``: 4+ digits, used only alone).
3. Each hit gets a role (``Candidate.label``) from the words around it: ``previous``
   (``предыдущие``, ``попередні``, ``было``, ``передавала``, ``вместо``), ``confirmed`` (a quoted
   "Ваши показания ... приняты"), ``example`` (after ``Пример:``), ``superseded`` (before a
   correction such as ``ошибся, правильно``), ``meter_total`` (``Т0``, or ``всего`` beside
   registers), ``ambiguous`` (``12,345``: 12 or 12345?), ``stray`` (a bare number beside labelled
   ones), ``conflicting`` (a current value that disagrees with another), else ``current``.
   ``Candidate.notes`` starts with how the hit was found (``register``, ``keyword``, ``sms``,
   ``bare``) followed by ``decimal_dropped``, ``leading_zeros``, ``grouped_digits``...

Registers: ``Т1``/``T1`` = day and ``Т2`` = night on a 2-zone meter. When a ``Т3`` (or a third
SMS register) is present the meter is 3-zone and the Ukrainian convention used by the
oblenergo billing forms is applied: ``Т1`` = peak (пік), ``Т2`` = half-peak (напівпік), ``Т3`` =
night (ніч). This mapping is an assumption, so such values carry the note ``t123_convention``
and a lower confidence; an explicit word next to the label (``Т1 (пік)``) always wins.

``conflicting`` is true when the current values cannot be reconciled: two different values
for one register, several different totals, a total beside registers it does not sum up, day
beside peak registers, an ambiguous separator, or a stray reading-sized number beside the
labelled one. The same value repeated is no conflict. Every regex is bounded (lookbehinds at
digit-run starts, bounded repeats, possessive word runs) so that any input is read in about
linear time.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field

from parsers.claims import Lines, claimed_mask, mark
from parsers.lowered import CaselessRegex, Words, hoisted_words, searchable
from parsers.reading_words import KEYWORD, REGISTER_ALT, REGISTER_ONLY, REGISTER_PLAIN, REGISTER_WORDS
from parsers.types import Candidate, Span

__all__ = ["REGISTERS", "ReadingsFound", "find_readings"]

REGISTERS = ("total", "day", "night", "peak", "half_peak")
_MAX_TEXT = 200_000
_MAX_NUMBERS = 3000  # a text with more digit runs is no customer message: only its beginning is read
_REGISTER_BEFORE = CaselessRegex(
    rf"(?<!\w)(?:{REGISTER_ALT})(?:\s*\((?P<paren>[^()\n]{{1,20}})\))?"
    r"(?:\s+(?:зона|зон[аиі]|тариф\w*|показани\w*|показник\w*|показання))?\s*[:=\-–—|]?\s*$")
_REGISTER_AFTER = CaselessRegex(rf"\s*(?:к[вw]т\S{{0,8}}\s*)?\((?:{REGISTER_ALT})\)")
_SLASHED = CaselessRegex(
    rf"(?<!\w)(?P<labels>(?:{REGISTER_PLAIN})(?:\s*/\s*(?:{REGISTER_PLAIN})){{1,2}})\s*[:=\-–—]?\s*"
    r"(?P<values>[0-9]+(?:[.,][0-9]{1,2})?(?:\s*/\s*[0-9]+(?:[.,][0-9]{1,2})?){1,2})(?![0-9])")
_SMS = re.compile(r"(?<![\w#])(?P<idx>[1-3])\s*#\s*(?P<n>[0-9]+(?:[.,][0-9]{1,2})?)(?![0-9])")
_TOKEN_SOURCE = (
    r"(?<![\w])(?<![0-9][.,])(?P<int>[0-9]{1,3}(?:[ \u00a0][0-9]{3}){1,2}(?![0-9]|[ \u00a0][0-9])|[0-9]+)"
    r"(?:[.,](?P<frac>[0-9]+))?(?![0-9])")
# The same regex, written to start with its first digit (and to look behind that one), so that the regex
# engine skips straight to digits instead of trying every position.
_TOKEN = re.compile(
    r"(?P<int>[0-9](?<![\w][0-9])(?<![0-9][.,][0-9])(?:[0-9]{0,2}(?:[ \u00a0][0-9]{3}){1,2}(?![0-9]|[ \u00a0][0-9])"
    r"|[0-9]*))(?:[.,](?P<frac>[0-9]+))?(?![0-9])")
_DIGITS = re.compile(r"[0-9]+")
_BLANK = re.compile(r"[\s\u00a0]*")
_UNIT_AFTER = CaselessRegex(r"к[вw]т|kwh")
_LATIN_REGISTER = re.compile(r"(?:den|dnem|dnevn|noch|nich|pik|polupik|napivpik)", re.IGNORECASE)
_LATIN_KEYWORD = re.compile(r"pokaz|schetchik|schotchik|lichyl|lichil", re.IGNORECASE)
_GREETING = CaselessRegex(r"(?:добр|dobr)\w*\s*$")

_PREVIOUS_CUE = (r"предыдущ\w*|(?<!за\s)прошл\w*|прежн\w*|попередн\w*|(?<!за\s)минул\w*|передавал\w*|передавав\w*"
                 r"|подавал\w*|подавав\w*|отправлял\w*|надсилал\w*|відправлял\w*|last|previous"
                 r"|стар(?:ые|ий|і|ого)\s+показ\w*|было|було|вместо|замість|замест")
_CURRENT_CUE = (r"текущ\w*|поточн\w*|стало|стали|сейчас|теперь|зараз|тепер|нынешн\w*|актуальн\w*|current"
                r"|сегодняшн\w*|нов(?:ые|і)\s+показ\w*")
_CUE = CaselessRegex(rf"(?<!\w)(?:(?P<previous>{_PREVIOUS_CUE})|(?P<current>{_CURRENT_CUE}))(?!\w)")
# A cue that starts a line and ends in a colon or dash labels every number on that line.
_LINE_LABEL = CaselessRegex(rf"[ \t\u00a0>*]*(?:(?P<previous>{_PREVIOUS_CUE})|(?P<current>{_CURRENT_CUE}))(?!\w)"
                            r"[^\d\n:—–-]{0,25}[:—–-]")
_EXAMPLE_CUE = CaselessRegex(r"(?<!\w)(?:пример\w*|например|приклад\w*|наприклад|образец|зразок|e\.g\.)")
_YOUR = CaselessRegex(r"(?<!\w)ваш\w*")
_ACCEPTED = CaselessRegex(r"(?<!\w)(?:принят\w*|прийнят\w*|прийнято|зарегистрирован\w*|зареєстрован\w*|учтены"
                       r"|враховано)")
_CORRECTION_CUE = CaselessRegex(
    r"(?<!\w)(?:ошиб\w*|помил\w*|исправл\w*|виправл\w*|(?:не)?правильн\w*|вірн(?:і|ий|е|а|ими)|верн(?:ые|ый|ое|ая)"
    r"|уточн\w*|корректн\w*|коректн\w*|опечат\w*|описк\w*)(?!\w)")
# A value right after "правильные показания" / "вірні показники" is the current one whatever the line
# said earlier ("в предыдущем письме ошиблась, правильные показания — 27310").
_RIGHT_CUE = CaselessRegex(r"(?<!\w)(?:правильн\w*|вірн(?:і|ий|е|а|ими)|верн(?:ые|ый|ое|ая)|исправленн\w*|виправлен\w*"
                        r"|уточнен\w*|уточнён\w*|корректн\w*|коректн\w*)(?!\w)")
# "Показания те же, что и в прошлый раз - 3841": the number is today's (unchanged) reading.
_SAME_CUE = CaselessRegex(r"(?<!\w)(?:те\s+же|такие\s+же|те\s+самые|ті\s+ж[еі]?|ті\s+самі|такі\s+ж[еі]?|не\s+изменил\w*"
                       r"|не\s+змінил\w*|без\s+изменени\w*|без\s+змін)(?!\w)")
_YEAR_LIKE = re.compile(r"(?:19[5-9][0-9]|20[0-3][0-9])")
_KEYWORD = CaselessRegex(hoisted_words(r"\w", KEYWORD.pattern.removeprefix(r"(?<!\w)")))  # see hoisted_words
# A cue says nothing about a later number when its own next number is money ("до сплати було 1 318,32 грн")
# or when a new sentence about the reading starts in between ("... було 1 318 грн. Показники 26455").
_MONEY_NEXT = re.compile(r"[^\d\n]{0,20}?[0-9][0-9 \u00a0]*(?:[.,][0-9]+)?\s*(?:грн|гривн|гривен|uah|₴|руб|коп)",
                         re.IGNORECASE)
_READING_SENTENCE = re.compile(rf"[.!?]\s+{KEYWORD.pattern}", re.IGNORECASE)
# "31 208 (а не 31 280)", "31 208, а не 31 280"; "не 31 280, а 31 208": a value and the one it replaces.
_NOT_THIS_AFTER = re.compile(r"\s*(?:\(\s*(?:а\s+)?|,?\s*а\s+)не\s+", re.IGNORECASE)
_BUT_THIS = re.compile(r"\s*,?\s*а\s+", re.IGNORECASE)
_NOT_BEFORE = re.compile(r"(?<!\w)не\s*$", re.IGNORECASE)

# Every match of the case-insensitive regex named holds one of these words (in lower case): a text without
# them is not searched (see ``parsers.lowered``).
_REGISTER_PARTS = re.compile(  # and "т1", "t 2"...
    r"пик|пік|peak|pik|дн|ден|day|den|dn|ноч|ніч|night|noch|nich|общ|загальн|сумарн|всего|усього|разом|итого"
    r"|[тt]\s?[0-3]")
_KEYWORD_PARTS = Words("показ", "pokaz", "reading", "данн", "дані")
_EXAMPLE_PARTS = Words("пример", "приклад", "образец", "зразок", "e.g.")
_YOUR_PARTS = Words("ваш")
_CUE_PARTS = Words("предыдущ", "прошл", "прежн", "попередн", "минул", "переда", "подава", "отправлял", "надсилал",
                   "відправлял", "last", "previous", "стар", "было", "було", "вместо", "замість", "замест", "текущ",
                   "поточн", "стал", "сейчас", "тепер", "зараз", "нынешн", "актуальн", "current", "сегодняшн", "нов")
_RIGHT_PARTS = Words("правильн", "вірн", "верн", "исправленн", "виправлен", "уточнен", "уточнён", "корректн", "коректн")
_SAME_PARTS = Words("ж", "самые", "самі", "изменил", "змінил", "изменени", "змін")
_CORRECTION_PARTS = Words("ошиб", "помил", "исправл", "виправл", "правильн", "вірн", "верн", "уточн", "корректн",
                          "коректн", "опечат", "описк")

_SOURCE_CONFIDENCE = {"register": 0.9, "keyword": 0.9, "sms": 0.85, "bare": 0.5}
_THREE_ZONE = {"1": "peak", "2": "half_peak", "3": "night"}
_TWO_ZONE = {"1": "day", "2": "night", "3": "night"}
_ZONE_NAMES = frozenset({"day", "night", "peak", "half_peak"})


@dataclass(frozen=True, slots=True)
class ReadingsFound:
    """What ``find_readings`` found in one text."""

    current: dict[str, int] | None
    candidates: list[Candidate[dict[str, int]]]
    conflicting: bool
    mentions_reading: bool


_Token = tuple[Span, str, str | None, int]


@dataclass(slots=True)
class _Hit:
    """One reading-like number while it is being classified."""

    value: int
    span: Span
    source: str
    register: str | None = None
    role: str = "current"
    notes: list[str] = field(default_factory=list)
    written: str = ""


def _register_key(match: re.Match[str]) -> str | None:
    """The register a ``_REGISTER_*`` match names; a zone word in parentheses wins over ``Т1``/``Т2``."""
    key = next((name for name, _ in REGISTER_WORDS if match.group(name)), None)
    paren = match.groupdict().get("paren")
    explicit = REGISTER_ONLY.fullmatch(paren.strip()) if paren else None
    if explicit:
        explicit_key = _register_key(explicit)
        if explicit_key in _ZONE_NAMES:
            return explicit_key
    return key


# A capital letter (or two) alone before a number at the start of its line: "Д 9610", "ПП - 14003".
_GAP = r"[ \t\u00a0]*"
_LETTER_MARK = rf"{_GAP}[:=\-–—.]?{_GAP}"  # what may stand between the letter and its number
_LETTER_REGISTER = re.compile(rf"{_GAP}(?P<letters>Д|Н|П|ПП|Т|D|N){_LETTER_MARK}")
# A line that starts with such a letter and its number: the numbers after it on the line may have letters too
# ("Д 18990 Н 8935"), each after the previous number and an optional separator.
_LETTER_LINE = re.compile(rf"{_GAP}(?:Д|Н|П|ПП|D|N){_LETTER_MARK}[0-9]")
_NEXT_LETTER = re.compile(rf"{_GAP}[,;/]?{_GAP}(?P<letters>Д|Н|П|ПП|D|N){_LETTER_MARK}")
_LETTER_KEYS = {"Д": "day", "D": "day", "Н": "night", "N": "night", "П": "peak", "ПП": "half_peak"}


def _register_near(text: str, window_start: int, start: int, end: int, lowered: str | None) -> str | None:
    """Register named right before the number (on its line), or in parentheses right after it."""
    line_start = text.rfind("\n", 0, start) + 1
    letters = _LETTER_REGISTER.fullmatch(text, line_start, start)
    if letters is None and line_start < window_start and _LETTER_LINE.match(text, line_start, start):
        letters = _NEXT_LETTER.fullmatch(text, window_start, start)  # "Д 18990 Н 8935": the next letter
    if letters and letters.group("letters") in _LETTER_KEYS:
        return _LETTER_KEYS[letters.group("letters")]
    before = _REGISTER_BEFORE.search(text, lowered, window_start, start) if _register_word_between(
        lowered, window_start, start) else None
    if before:
        key = _register_key(before)
        if key == "day" and _GREETING.search(text, lowered, max(0, before.start() - 12), before.start()):
            return None
        if _LATIN_REGISTER.match(text, before.start()) and not _LATIN_KEYWORD.search(text):
            return None  # "noch", "den" are German words too: transliterated registers need a reading word
        return key
    after = _REGISTER_AFTER.match(text, lowered, end, min(len(text), end + 30))
    return _register_key(after) if after else None


def _register_word_between(lowered: str | None, start: int, end: int) -> bool:
    """Whether a register word may stand in ``start:end`` (False only when sure there is none)."""
    return lowered is None or _REGISTER_PARTS.search(lowered, start, end) is not None


def _new_hit(written: str, frac: str | None, span: Span, source: str, register: str | None) -> _Hit | None:
    """A hit for a number written as ``written`` (+ decimal ``frac``), or None when too long for a reading."""
    digits = "".join(_DIGITS.findall(written))
    if not digits or len(digits) > 8 or len(digits.lstrip("0")) > 7:
        return None
    hit = _Hit(int(digits), span, source, register, written=digits)
    if frac:
        hit.notes.append("decimal_dropped" if len(frac) <= 2 else "ambiguous_separator")
        hit.role = "current" if len(frac) <= 2 else "ambiguous"
    if len(digits) > 1 and digits.startswith("0"):
        hit.notes.append("leading_zeros")
    if len(digits) != len(written):
        hit.notes.append("grouped_digits")
    return hit


def _read_spans(numbers: list[re.Match[str]], sms: list[re.Match[str]], slashed: list[re.Match[str]]) -> list[Span]:
    """Every span whose claimed state the hit finders read: numbers (and the digit groups of "12 345"),
    SMS forms and slashed forms."""
    spans = [match.span() for match in (*numbers, *sms, *slashed)]
    for match in numbers:
        written, start = match.group("int"), match.start()
        if len(written) > 3 and not written.isdigit():
            spans.extend((start + part.start(), start + part.end()) for part in _DIGITS.finditer(written))
    return spans


def _claimed(mask: bytearray, start: int, end: int) -> bool:
    """Whether any character of ``start:end`` is claimed."""
    return mask.find(1, start, end) >= 0


def _sms_hits(matches: list[re.Match[str]], mask: bytearray) -> list[_Hit]:
    """The SMS form ``1#001952`` (register index, ``#``, value); its characters get claimed."""
    hits: list[_Hit] = []
    for match in matches:
        if _claimed(mask, match.start(), match.end()):
            continue
        number, _, frac = match.group("n").replace(",", ".").partition(".")
        hit = _new_hit(number, frac, match.span(), "sms", "s" + match.group("idx"))
        if hit:
            hits.append(hit)
            mark(mask, *match.span())
    return hits


def _slashed_hits(matches: list[re.Match[str]], mask: bytearray) -> list[_Hit]:
    """The form ``день/ніч 123/45`` (labels and values joined by slashes); its characters get claimed."""
    hits: list[_Hit] = []
    for match in matches:
        labels = [part.strip() for part in match.group("labels").split("/")]
        values = [part.strip() for part in match.group("values").split("/")]
        if len(labels) != len(values) or _claimed(mask, match.start(), match.end()):
            continue
        for label, value in zip(labels, values, strict=True):
            key_match = REGISTER_ONLY.fullmatch(label)
            number, _, frac = value.replace(",", ".").partition(".")
            hit = _new_hit(number, frac, match.span("values"), "register",
                           _register_key(key_match) if key_match else None)
            if hit:
                hits.append(hit)
        mark(mask, *match.span())
    return hits


def _free_tokens(text: str, numbers: list[re.Match[str]], mask: bytearray, lines: Lines,
                 lowered: str | None) -> list[_Token]:
    """Unclaimed numbers as (span, integer part as written, decimal tail, where a register word may start)."""
    tokens: list[_Token] = []
    previous_end = 0
    for match in numbers:
        window_start = max(previous_end, lines.bounds(match.start())[0], match.start() - 40)
        previous_end = match.end()
        if text[match.end() : match.end() + 1].isalpha() and not _UNIT_AFTER.match(text, lowered, match.end()):
            continue
        written = match.group("int")
        if not _claimed(mask, match.start(), match.end()):
            tokens.append((match.span(), written, match.group("frac"), window_start))
        elif len(written) > 3 and not written.isdigit():
            for part in _DIGITS.finditer(written):
                span = (match.start() + part.start(), match.start() + part.end())
                if not _claimed(mask, span[0], span[1]):
                    tokens.append((span, part.group(), None, max(window_start, span[0] - 40)))
    return tokens


def _keyword_mask(text: str, lines: Lines, keywords: list[re.Match[str]], token_starts: list[int]) -> bytearray:
    """1 where a reading word labels numbers: the rest of its line, or the next line when its own has none."""
    scopes: list[Span] = []
    for match in keywords:
        line_end = lines.bounds(match.end())[1]
        if bisect_left(token_starts, match.end()) < bisect_left(token_starts, line_end):
            scopes.append((match.end(), line_end))
            continue
        blank = _BLANK.match(text, line_end)
        next_start = blank.end() if blank else line_end
        scopes.append((match.end(), lines.bounds(next_start)[1] if next_start < len(text) else line_end))
    mask = bytearray(len(text))
    covered = 0
    for start, end in sorted(scopes):
        mark(mask, max(start, covered), end)
        covered = max(covered, end)
    return mask


def _token_hits(text: str, numbers: list[re.Match[str]], mask: bytearray, lines: Lines,
                keywords: list[re.Match[str]], lowered: str | None) -> list[_Hit]:
    """A hit for every free number: register-labelled, keyword-labelled or bare (reading-sized only)."""
    tokens = _free_tokens(text, numbers, mask, lines, lowered)
    in_scope = _keyword_mask(text, lines, keywords, [span[0] for span, _, _, _ in tokens])
    hits: list[_Hit] = []
    for span, written, frac, window_start in tokens:
        register = _register_near(text, window_start, span[0], span[1], lowered)
        source = "register" if register else "keyword" if in_scope[span[0]] else "bare"
        hit = _new_hit(written, frac, span, source, register)
        if hit and (source != "bare" or _reading_sized(hit)):
            hits.append(hit)
    return hits


def _reading_sized(hit: _Hit) -> bool:
    """Whether an unlabelled number looks like a meter reading (4+ digits written, not a year)."""
    if len(hit.written) < 4:
        return False
    return not (len(hit.written) == 4 and _YEAR_LIKE.fullmatch(hit.written))


def _assign_roles(text: str, lines: Lines, hits: list[_Hit], lowered: str | None) -> None:
    """Mark confirmed, example and previous hits from the words on their line (and the line before)."""
    examples = ([match.start() for match in _EXAMPLE_CUE.finditer(text, lowered)]
                if _EXAMPLE_PARTS.may_occur(lowered) else [])
    cues = _Cues(_YOUR_PARTS.may_occur(lowered), _CUE_PARTS.may_occur(lowered), _RIGHT_PARTS.may_occur(lowered),
                 _SAME_PARTS.may_occur(lowered))
    confirmed_lines: dict[int, bool] = {}
    previous_end = 0
    for hit in hits:
        line_start, line_end = lines.bounds(hit.span[0])
        window_start = max(previous_end, lines.bounds(line_start - 1)[0] if line_start else 0)
        previous_end = hit.span[1]
        if hit.role != "current":
            continue
        if line_start not in confirmed_lines:
            your = _YOUR.search(text, lowered, line_start, line_end) if cues.your else None
            confirmed_lines[line_start] = bool(your and _ACCEPTED.search(text, lowered, your.end(), line_end))
        if confirmed_lines[line_start]:
            hit.role = "confirmed"
        elif bisect_left(examples, line_start) < bisect_left(examples, hit.span[0]):
            hit.role = "example"
        else:
            _role_from_cues(text, lowered, window_start, hit, cues, line_start)


@dataclass(frozen=True, slots=True)
class _Cues:
    """Which cue words may occur in a text (False only when sure they do not)."""

    your: bool
    time: bool  # previous / current
    right: bool
    same: bool


def _role_from_cues(text: str, lowered: str | None, window_start: int, hit: _Hit, cues: _Cues,
                    line_start: int) -> None:
    """Previous or current from the last cue between ``window_start`` and the hit, else from a cue that
    labels the whole line ("Предыдущие: день 5630 ночь 2410"); a correction or "the same as before" makes
    it current."""
    last_cue = -1
    for cue in _CUE.finditer(text, lowered, window_start, hit.span[0]) if cues.time else ():
        if not _cue_reaches(text, cue.end(), hit.span[0]):
            continue
        hit.role = "previous" if cue.group("previous") else "current"
        last_cue = cue.start()
    if last_cue < 0 and cues.time and line_start < window_start:
        label = _LINE_LABEL.match(text, lowered, line_start, hit.span[0])
        if label is not None and _cue_reaches(text, label.end(), hit.span[0]):
            hit.role = "previous" if label.group("previous") else "current"
            last_cue = label.start()
    end = hit.span[0]
    right = [m.start() for m in _RIGHT_CUE.finditer(text, lowered, window_start, end)] if cues.right else []
    if (right and right[-1] > last_cue) or (cues.same and _SAME_CUE.search(text, lowered, window_start, end)):
        hit.role = "current"


def _cue_reaches(text: str, cue_end: int, hit_start: int) -> bool:
    """Whether a previous/current cue ending at ``cue_end`` speaks of the number at ``hit_start``."""
    if _MONEY_NEXT.match(text, cue_end, hit_start):
        return False
    return _READING_SENTENCE.search(text, cue_end, hit_start) is None


_CELL_SEPARATOR = re.compile(r"[ \t\u00a0]*(?:\||\t)[ \t\u00a0]*")


def _cells(text: str, line_start: int, line_end: int) -> list[Span]:
    """Spans of the cells of a table row ("a | b | c" or tab-separated); one cell when not a row."""
    spans, start = [], line_start
    for separator in _CELL_SEPARATOR.finditer(text, line_start, line_end):
        spans.append((start, separator.start()))
        start = separator.end()
    spans.append((start, line_end))
    return spans


def _header_roles(text: str, cells: list[Span]) -> dict[int, str]:
    """Column index -> previous/current for a header row such as "Зона | Попередні | Поточні"."""
    roles: dict[int, str] = {}
    for index, (start, end) in enumerate(cells):
        cue = _CUE.search(text, None, start, end)
        if cue and not _DIGITS.search(text, start, end):
            roles[index] = "previous" if cue.group("previous") else "current"
    return roles if set(roles.values()) == {"previous", "current"} else {}


def _apply_table_columns(text: str, hits: list[_Hit]) -> None:
    """In a table whose header names previous and current columns, each number takes its column's role;
    a row label ("День", "Ніч") names the register."""
    if "|" not in text and "\t" not in text:  # no line is a table row
        return
    header: dict[int, str] = {}
    position = 0
    for line in text.split("\n"):
        start, end = position, position + len(line)
        position = end + 1
        cells = _cells(text, start, end)
        if len(cells) < 2:
            header = {}
            continue
        header = _header_roles(text, cells) or header
        if not header:
            continue
        label = REGISTER_ONLY.search(text, *cells[0])
        for hit in hits:
            column = next((i for i, (a, b) in enumerate(cells) if a <= hit.span[0] < b), None)
            if column is not None and column in header and hit.role in ("current", "previous"):
                hit.role = header[column]
                hit.source = "register" if label else "keyword"  # the header labels the column
                if label and hit.register is None:
                    hit.register = _register_key(label)


def _apply_correction(text: str, hits: list[_Hit], lowered: str | None) -> None:
    """Values written before the last correction cue ("ошибся, правильно ...") give way to those after it."""
    current = [hit for hit in hits if hit.role == "current"]
    if not current or not _CORRECTION_PARTS.may_occur(lowered):
        return
    last_start = max(hit.span[0] for hit in current)
    cues = [match.start() for match in _CORRECTION_CUE.finditer(text, lowered, 0, last_start)]
    if not cues:
        return
    after_registers = {hit.register for hit in current if hit.span[0] > cues[-1]}
    for hit in current:
        if hit.span[1] <= cues[-1] and (hit.register in after_registers or None in after_registers
                                         or hit.register is None):
            hit.role = "superseded"


def _apply_instead_of(text: str, hits: list[_Hit]) -> None:
    """In "31 208 (а не 31 280)" and "не 31 280, а 31 208" the rejected value of the pair is superseded."""
    for first, second in zip(hits, hits[1:], strict=False):
        if first.role != "current" or second.role != "current" or second.register not in (first.register, None):
            continue
        between = text[first.span[1] : second.span[0]]
        if _NOT_THIS_AFTER.fullmatch(between):
            second.role = "superseded"
        elif _BUT_THIS.fullmatch(between) and _NOT_BEFORE.search(text, max(0, first.span[0] - 8), first.span[0]):
            first.role = "superseded"


def _resolve_registers(hits: list[_Hit]) -> None:
    """Turn raw register keys (``t1``, ``s2``, ``total_word`` ...) into REGISTERS names."""
    keys = {hit.register for hit in hits if hit.role == "current"}
    three_zone = bool(keys & {"t3", "s3", "peak", "half_peak"})
    has_zones = bool(keys - {None, "t0", "total_word", "s1"})
    for hit in hits:
        key = hit.register or "total"
        hit.register = key if key in REGISTERS else "total"
        if key == "t0" or (key == "total_word" and has_zones):
            hit.role = "meter_total" if hit.role == "current" else hit.role
        elif key[0] in "ts" and key[1:] in ("1", "2", "3") and (has_zones or key != "s1"):
            hit.register = (_THREE_ZONE if three_zone else _TWO_ZONE)[key[1]]
            if three_zone:
                hit.notes.append("t123_convention")


def _combine(labelled: list[_Hit]) -> tuple[dict[str, int] | None, bool]:
    """Reading from the current labelled hits, and whether they conflict."""
    values: dict[str, set[int]] = {}
    for hit in labelled:
        values.setdefault(hit.register or "total", set()).add(hit.value)
    if any(len(found) > 1 for found in values.values()):
        return None, True
    reading = {register: found.pop() for register, found in values.items()}
    if "day" in reading and reading.keys() & {"peak", "half_peak"}:
        return None, True
    if "total" in reading and len(reading) > 1:
        total = reading.pop("total")
        if total != sum(reading.values()) and total not in reading.values():
            return None, True
        for hit in labelled:
            hit.role = "meter_total" if hit.register == "total" else hit.role
    return reading, False


def _decide(hits: list[_Hit]) -> tuple[dict[str, int] | None, bool]:
    """The current reading and the conflict flag; unused bare numbers become ``stray``."""
    live = [hit for hit in hits if hit.role in ("current", "ambiguous")]
    if any(hit.role == "ambiguous" for hit in live):
        return None, True
    labelled = [hit for hit in live if hit.source != "bare"]
    bare = [hit for hit in live if hit.source == "bare"]
    if not labelled and len({hit.value for hit in bare}) <= 1:
        labelled, bare = bare, []
    reading, conflicting = _combine(labelled) if labelled else (None, False)
    known = {hit.value for hit in labelled}
    for hit in bare:
        hit.role = "stray"
        conflicting = conflicting or hit.value not in known
    if conflicting:
        for hit in labelled:
            hit.role = "conflicting" if hit.role == "current" else hit.role
    return (None if conflicting else reading), conflicting


def _confidence(hit: _Hit) -> float:
    """How sure a hit is, from how it was found and the role it ended with."""
    confidence = _SOURCE_CONFIDENCE[hit.source]
    if "t123_convention" in hit.notes:
        confidence *= 0.75
    if hit.role not in ("current", "meter_total"):
        confidence *= 0.5
    return round(confidence, 3)


def _bounded(text: str) -> str:
    """The text cut to ``_MAX_TEXT`` characters and before its ``_MAX_NUMBERS + 1``-th digit run."""
    text = text[:_MAX_TEXT]
    if len(text) < 2 * _MAX_NUMBERS:  # digit runs are apart: a shorter text cannot hold that many
        return text
    for index, run in enumerate(_DIGITS.finditer(text)):
        if index == _MAX_NUMBERS:
            return text[: run.start()]
    return text


def _mentions_keyword(text: str, lowered: str | None) -> bool:
    """Whether a reading word (``показания``, ``показники``...) occurs in ``text``."""
    return _KEYWORD_PARTS.may_occur(lowered) and _KEYWORD.search(text, lowered) is not None


def find_readings(text: str, exclude: Sequence[Span] = (), *, scan_claims: bool = True) -> ReadingsFound:
    """Meter readings in ``text``; numbers overlapping ``exclude`` (claimed by other parsers) are skipped.

    With ``scan_claims`` (the default) phones and labelled account numbers are found here too; a
    caller whose ``exclude`` already holds every phone and account span passes False to save the work.
    """
    if not isinstance(text, str) or not text:
        return ReadingsFound(None, [], False, False)
    text = _bounded(text)
    lowered = searchable(text)
    if _DIGITS.search(text) is None:  # every hit holds a digit: only whether a reading is mentioned is left
        return ReadingsFound(None, [], False, _mentions_keyword(text, lowered))
    lines = Lines(text)
    keywords = list(_KEYWORD.finditer(text, lowered)) if _KEYWORD_PARTS.may_occur(lowered) else []
    numbers = list(_TOKEN.finditer(text))
    sms = list(_SMS.finditer(text)) if "#" in text else []
    slashed = list(_SLASHED.finditer(text, lowered)) if "/" in text else []
    mask = claimed_mask(text, lines, exclude, scan_claims, _read_spans(numbers, sms, slashed))
    hits = _sms_hits(sms, mask) + _slashed_hits(slashed, mask)
    hits = sorted(hits + _token_hits(text, numbers, mask, lines, keywords, lowered), key=lambda hit: hit.span)
    _assign_roles(text, lines, hits, lowered)
    _apply_table_columns(text, hits)
    _apply_instead_of(text, hits)
    _apply_correction(text, hits, lowered)
    _resolve_registers(hits)
    current, conflicting = _decide(hits)
    candidates = [
        Candidate({hit.register or "total": hit.value}, _confidence(hit), hit.span, hit.role,
                  (hit.source, *hit.notes))
        for hit in hits
    ]
    mentions = bool(keywords) or any(hit.source in ("register", "sms") for hit in hits)
    return ReadingsFound(current, candidates, conflicting, mentions)
