"""Postal addresses in customer e-mails: city, street, house, apartment.

``find_addresses(text)`` returns every plausible address as a ``Candidate[Address]``.
The parser knows no registry: it recognises the *shape* of an address in Russian,
Ukrainian, surzhyk, CAPS or Latin transliteration:

* city: a marker (``г.``, ``м.``, ``с.``, ``смт``, ``пгт``, ``село``, ...) and a name; or a
  bare capitalised name at the start of a segment followed by a comma or a street type
  ("Днепр, ул. ..."); or a capitalised name after the address at the end of a line
  ("пр. Правды 71 кв 9, Днепр"); or a city alone on the line before the street.
* street: a type word (``ул.``, ``вул.``, ``пр.``, ``просп.``, ``пер.``, ``б-р``, ``пл.``,
  ``ж/м``, ``мкрн``, ``шосе``, ``наб.``, ``узвіз``, ``тупик``, ...; see ``parsers.text.STREET_TYPES``)
  before or after the name, or no type at all ("Рабочая 5 кв 12": capitalised words directly
  before the house). Names may hold initials, quotes and numbers ("Б. Хмельницкого",
  "Газети «Правда»", "8 Марта", "2-я Заводская", "ж/м Тополь-3").
* house: ``д.``/``дом``/``буд.``/``будинок``/``№`` optional; ``12``, ``12А``, ``12-а``,
  ``12 а``, ``12/1``, ``12 корп. 2`` (-> ``12/2``). ``22-41`` and ``22/41`` are read both
  as house-apartment and as a slashed house, and "Титова, 6, 78" both with and without
  apartment 78: candidates with the same span, the likelier one more confident (the
  other noted ``alternative``); the registry decides.
* apartment: ``кв.``, ``квартира``, ``кв-ра``; "частный дом" / "приватний будинок" marks a
  private house (note ``private_house``).

Written house first ("кв. 12, д. 5, ул. Рабочая, г. Днепр", "буд. 5, вул. Робоча, кв. 12") is read
when a house marker and a typed street are present. Not handled: addresses spread over prose
("живу на Рабочей, дом пять").

Each candidate's ``span`` covers the whole address; its ``notes`` hold
``house_span=S:E`` and ``apartment_span=S:E`` (offsets into ``text``), ``city_source=``
``marked``/``bare``/``after``/``line_before``, ``private_house`` and ``alternative`` when
present. ``address_number_spans(text)`` gives the house and apartment number spans
of all candidates so that a readings parser can skip them. Only the first
``MAX_TEXT_CHARS`` characters are searched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from parsers.text import STREET_TYPES as _STREET_TYPES
from parsers.text import fold_chars, normalise_house, word_keys
from parsers.types import Candidate, Span

__all__ = ["MAX_TEXT_CHARS", "Address", "address_number_spans", "find_addresses"]

MAX_TEXT_CHARS = 100_000


@dataclass(frozen=True, slots=True)
class Address:
    """One address as written: city and street as in the text, house and apartment normalised."""

    city: str | None
    street_type: str | None
    street: str | None
    house: str | None
    apartment: str | None


_AMBIGUOUS_TYPES = word_keys("пр пл пер наб туп бул ш ал pr pl per nab")
_NAME_LIKE_TYPES = word_keys("набережна набережная шосе шоссе спуск узвиз площа площадь бульвар")
_CITY_MARKERS = word_keys("г гор город м мисто місто с село сел селище с-ще смт пгт пос поселок посёлок "
                          "g m s misto gorod selo smt pgt")
_DOT_REQUIRED_MARKERS = word_keys("м с сел пос m s")
_HOUSE_MARKERS = word_keys("д дом буд будинок bud dom d")
_APT_MARKERS = word_keys("кв квартира кв-ра квар кварт kv apt kvartira kvartyra flat")
_KORPUS_MARKERS = word_keys("корп корпус korp")
_LABELS = word_keys("адрес адреса address adresa адресу")
_PRIVATE_WORDS = ("частн", "приватн", "собствен", "свой", "власн")
_UNITS = word_keys("квт кват квтч квт-ч kwh грн гривен гривень руб год кг час мин шт")
_MONTHS = word_keys("января февраля марта апреля мая июня июля августа сентября октября ноября декабря "
                    "січня лютого березня квітня травня червня липня серпня вересня жовтня листопада грудня "
                    "январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь")
_STOP = word_keys(
    "показания показание показаний показаниях показники показник показання показаня показанія показ "
    "показатели счетчик счетчика счётчик счетчиков лічильник лічильника лічильнику электросчетчик "
    "день ночь ніч дн ноч денна нічна дневная ночная пик полупик пік напівпік зона зони тариф т т1 т2 т3 "
    "тел телефон моб мобильный мобільний контакт контактный контактний дата число на от за с по до в у и "
    "й а о об і та итого сумма оплата оплатила оплатил оплачено грн квт л лс лицевой счет счёт рахунок "
    "особовий номер абонент вчера сегодня учора сьогодні добрый доброго добрий доброе добра здравствуйте "
    "здравствуй привет вітаю дякую спасибо спасибі прошу передаю прийміть примите уважаемые шановні "
    "адрес адреса квартира дом будинок кв я мы ми мой моя мои мій мої наш наша показ. предыдущие текущие "
    "попередні поточні было было стало итог всего разом total meter pokazaniya pokazannya tel "
    "пример приклад тема subject from to sent date re fwd fw от кому дата"
) | _MONTHS
_NOT_CITY = frozenset(_STREET_TYPES) | _HOUSE_MARKERS | _APT_MARKERS | _KORPUS_MARKERS
# The lower-case words an address may start with (a capitalised word may start one too).
_STARTERS = frozenset(_STREET_TYPES) | _CITY_MARKERS | _HOUSE_MARKERS | _APT_MARKERS | {"ж", "zh"}
_NAME_STOP = _STOP | _HOUSE_MARKERS | _APT_MARKERS
_LETTER_WORDS = word_keys("в и у с з й v i u s z")  # one-letter words, not house letters, after a space
_M_LETTER = word_keys("м m")
_ORDINAL_SUFFIXES = word_keys("я й а ая ий ой ша га тя")
_SEGMENT_PUNCT = frozenset(".:!?;(\u2014\u2013-")
_QUOTES = frozenset("«»\"'“”„")

_APOSTROPHE_RE = re.compile("['’ʼ`]")
_DIGIT_RE = re.compile(r"\d")  # what a number token (``n`` of ``_TOKEN_RE``) starts with
_TOKEN_RE = re.compile(r"(?P<w>[^\W\d_]+(?:['’ʼ`-][^\W\d_]+)*)|(?P<n>\d+)|(?P<nl>\n)|(?P<p>[^\w\s])")


class _Tok(NamedTuple):
    kind: str  # "w" word, "n" number, "nl" newline, "p" punctuation
    text: str
    start: int
    end: int
    key: str


class _Reading(NamedTuple):
    """One way to read the house number: house, apartment ("" if none) and their spans."""

    house: str
    apartment: str
    house_span: Span
    apartment_span: Span | None


class _Body(NamedTuple):
    """Street, house and apartment of one address as token indices and readings."""

    street_type: str | None
    name_start: int
    name_end: int
    readings: list[_Reading]
    explicit_apartment: bool
    end: int


def _tokens(text: str) -> list[_Tok]:
    """The tokens of ``text``; a word's key is its folded letters without apostrophes, else its text."""
    folded = fold_chars(text)  # same length as text: keys are slices of it
    new = tuple.__new__  # what ``_Tok(...)`` does, without its Python-level ``__new__``
    toks = []
    for match in _TOKEN_RE.finditer(text):
        kind, (start, end), written = match.lastgroup or "p", match.span(), match.group()
        if kind == "w":
            key = folded[start:end]
            toks.append(new(_Tok, (kind, written, start, end, key if key.isalpha() else _APOSTROPHE_RE.sub("", key))))
        else:
            toks.append(new(_Tok, (kind, written, start, end, written)))
    return toks


class _Parser:
    """Scans the token list once, left to right, emitting addresses."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = _tokens(text)
        self.pending_city: tuple[int, int] | None = None  # name tokens of a city alone before a street

    # ---- token helpers -------------------------------------------------------------------
    def tok(self, i: int) -> _Tok | None:
        return self.toks[i] if 0 <= i < len(self.toks) else None

    def is_punct(self, i: int, chars: str) -> bool:
        t = self.tok(i)
        return t is not None and t.kind == "p" and t.text in chars

    def is_kind(self, i: int, kind: str, keys: frozenset[str] | None = None) -> bool:
        t = self.tok(i)
        return t is not None and t.kind == kind and (keys is None or t.key in keys)

    def skip(self, i: int, chars: str) -> int:
        while self.is_punct(i, chars):
            i += 1
        return i

    def adjacent(self, i: int) -> bool:
        """Whether token ``i`` touches the token before it (no space between)."""
        return 0 < i < len(self.toks) and self.toks[i].start == self.toks[i - 1].end

    def is_stop(self, i: int) -> bool:
        return self.is_kind(i, "w", _STOP)

    def is_cap_word(self, i: int) -> bool:
        t = self.tok(i)
        return t is not None and t.kind == "w" and t.text[0].isupper() and t.key not in _STOP

    def segment_start(self, i: int) -> bool:
        prev = self.tok(i - 1)
        return prev is None or prev.kind == "nl" or (prev.kind == "p" and prev.text in _SEGMENT_PUNCT) \
            or (prev.kind == "w" and prev.key in _LABELS)

    def labelled(self, i: int) -> bool:
        """Whether an address label ("Адрес:", "Адреса") stands shortly before ``i`` on its line."""
        for j in range(i - 1, max(i - 5, -1), -1):
            if self.toks[j].kind == "nl":
                return False
            if self.toks[j].key in _LABELS:
                return True
        return False

    # ---- cities ---------------------------------------------------------------------------
    def city_name(self, i: int, max_words: int = 3) -> int | None:
        """End index of 1..max_words capitalised words starting at ``i`` (a city name)."""
        j = i
        while j - i < max_words and self.is_cap_word(j) and self.toks[j].key not in _NOT_CITY \
                and not self.toks[j].key.startswith(_PRIVATE_WORDS):
            j += 1
        return j if j > i else None

    def marked_city(self, i: int) -> tuple[int, int] | None:
        """(name start, name end) of a city marker and its name at ``i`` ("г. Днепр", "смт Слобожанське")."""
        if not self.is_kind(i, "w", _CITY_MARKERS):
            return None
        j = self.skip(i + 1, ".:")
        if j == i + 1 and self.toks[i].key in _DOT_REQUIRED_MARKERS:
            return None
        end = self.city_name(j)
        return None if end is None else (j, end)

    def trailing_city(self, i: int) -> tuple[int, int, str] | None:
        """A city after the address: ", Днепр" at the end of the line, or ", г. Днепр"."""
        j = self.skip(i, ",")
        if (marked := self.marked_city(j)) is not None:
            return marked[0], marked[1], "marked"
        if j == i and not self.is_punct(i - 1, ","):
            return None
        end = self.city_name(j, max_words=2)
        if end is None or self.is_kind(end, "n") or (self.is_kind(end, "w") and not self.is_stop(end)):
            return None  # ", Днепр" ends the address
        return j, end, "after"

    # ---- streets --------------------------------------------------------------------------
    def street_type_at(self, i: int) -> tuple[str, int] | None:
        """Canonical type and the index after a street-type word (and its dot) at ``i``."""
        t = self.tok(i)
        if t is None or t.kind != "w":
            return None
        if t.key in ("ж", "zh") and self.is_punct(i + 1, "/") and self.is_kind(i + 2, "w", _M_LETTER):
            return "ж/м", self.skip(i + 3, ".:")
        canon = _STREET_TYPES.get(t.key)
        j = self.skip(i + 1, ".:")
        if canon is None or (j == i + 1 and t.key in _AMBIGUOUS_TYPES and not self.is_cap_word(j)):
            return None
        return canon, j

    def street_at(self, i: int) -> tuple[str | None, int, int, int] | None:
        """(canonical type or None, name start, name end, index after) for a street starting at ``i``."""
        typed = self.street_type_at(i)
        if typed is not None:
            # "Набережная Победы": a type word that is also part of the name stays in the name
            name_start = i if self.toks[i].key in _NAME_LIKE_TYPES and self.is_cap_word(i) else typed[1]
            end = self.street_name(typed[1], typed=True)
            return None if end is None else (typed[0], name_start, end, end)
        if not self.is_cap_word(i):
            return None
        end = self.street_name(i, typed=False)
        if end is None or sum(len(t.text) for t in self.toks[i:end] if t.kind == "w") < 3:
            return None
        if self.is_kind(end, "n") and self.adjacent(end):
            return None  # "CE101": a model number, not a street and a house
        post = self.street_type_at(end)
        return (post[0], i, end, post[1]) if post is not None else (None, i, end, end)

    def street_name(self, i: int, typed: bool) -> int | None:
        """End index of a street name starting at ``i`` (1..4 words, quotes and initials allowed)."""
        j, words = i, 0
        while words < 4 and (t := self.tok(j)) is not None:
            if t.kind == "p" and t.text in _QUOTES:
                j += 1
                continue
            if t.kind == "n" and words == 0 and typed and self.numeric_name_part(j):
                j, words = self.skip(j + 1, "-") + 1, 1
                continue
            if t.kind != "w" or t.key in _NAME_STOP or (not typed and not t.text[0].isupper()):
                break
            if t.key in _STREET_TYPES and not (words == 0 and typed) and t.key not in _NAME_LIKE_TYPES:
                break
            j, words = j + 1, words + 1
            if len(t.text) <= 2 and self.is_punct(j, ".") and self.is_cap_word(j + 1):
                j += 1  # an initial: "Б. Хмельницкого"
        while j > i and self.toks[j - 1].kind == "p" and self.toks[j - 1].text not in _QUOTES:
            j -= 1
        if not words:
            return None
        return self.numbered_name_end(j) if typed else j

    def numeric_name_part(self, i: int) -> bool:
        """Whether the number at ``i`` starts a street name: "8 Марта", "40-летия Победы", "2-я Заводская"."""
        j = self.skip(i + 1, "-")
        t = self.tok(j)
        if t is not None and t.kind == "w" and t.key in _ORDINAL_SUFFIXES and self.adjacent(j):
            return self.is_cap_word(j + 1)  # "2-я Заводская"
        return t is not None and t.kind == "w" and (t.key in _MONTHS or t.key.startswith(("лет", "рич")))

    def numbered_name_end(self, j: int) -> int:
        """Extend a typed name by its number ("ж/м Тополь-3", "мкрн Победа 6, буд. 12") before a house."""
        dash = self.is_punct(j, "-") and self.adjacent(j)
        k = j + 1 if dash else j
        num = self.tok(k)
        if num is None or num.kind != "n" or len(num.text) > 2 or (dash and not self.adjacent(k)):
            return j
        after = self.skip(k + 1, ",")
        if self.is_kind(after, "w", _HOUSE_MARKERS) or (dash and self.is_kind(after, "n")):
            return k + 1
        return j

    # ---- house and apartment --------------------------------------------------------------
    def house(self, i: int, typed: bool) -> tuple[int, list[_Reading]] | None:
        """The house number at ``i``: (index after, its readings, likeliest first)."""
        j = self.skip(i, ",")
        if self.is_kind(j, "nl") and self.is_kind(j + 1, "w", _HOUSE_MARKERS):
            j += 1  # a form: "Улица: Рабочая" / "Дом: 5" on separate lines
        if self.is_kind(j, "w", _HOUSE_MARKERS):
            j = self.skip(j + 1, ".:№#")
        j = self.skip(j, "№#")
        if not self.is_kind(j, "n") or not self.plausible_house_number(j, typed):
            return None
        return self.house_readings(j)

    def plausible_house_number(self, j: int, typed: bool) -> bool:
        num, nxt = self.toks[j], self.tok(j + 1)
        if num.text.startswith("0") or len(num.text) > (4 if typed else 3):
            return False
        if self.is_punct(j + 1, ".,:") and self.adjacent(j + 1) and self.is_kind(j + 2, "n") \
                and self.adjacent(j + 2):
            return False  # a date, a time or a decimal number
        if nxt is not None and nxt.kind == "w" and (nxt.key in _UNITS or nxt.key in _MONTHS):
            return False
        if nxt is not None and nxt.kind == "w" and len(nxt.text) == 1 and self.adjacent(j + 1) \
                and self.is_kind(j + 2, "n") and self.adjacent(j + 2):
            return False  # "70x50": a size
        return typed or not (nxt is not None and nxt.kind == "n" and len(nxt.text) in (2, 3))  # not a phone

    def house_readings(self, j: int) -> tuple[int, list[_Reading]]:
        num = self.toks[j]
        house, end, k = num.text, num.end, j + 1
        letter = self.house_letter(k)
        if letter is not None:
            house, end, k = house + letter[0], letter[1], letter[2]
        second = self.tok(k + 1)
        if self.is_punct(k, "/-") and self.adjacent(k) and second is not None and second.kind == "n" \
                and self.adjacent(k + 1) and len(second.text) <= 4 and not self.is_punct(k + 2, "-/"):
            slashed = _Reading(normalise_house(f"{house}/{second.text}"), "", (num.start, second.end), None)
            split = _Reading(normalise_house(house), str(int(second.text)), (num.start, end),
                             (second.start, second.end))
            split_first = self.toks[k].text == "-" or letter is not None
            return k + 2, [split, slashed] if split_first else [slashed, split]
        if self.is_kind(k, "w", _KORPUS_MARKERS):
            m = self.skip(k + 1, ".:")
            if (kn := self.tok(m)) is not None and kn.kind == "n" and len(kn.text) <= 2:
                return m + 1, [_Reading(normalise_house(f"{house}/{kn.text}"), "", (num.start, kn.end), None)]
        return k, [_Reading(normalise_house(house), "", (num.start, end), None)]

    def house_letter(self, k: int) -> tuple[str, int, int] | None:
        """A one-letter house suffix at ``k``: ``12А``, ``12-а`` or ``12 а`` followed by a separator."""
        dashed = self.is_punct(k, "-") and self.adjacent(k)
        m = k + 1 if dashed else k
        t = self.tok(m)
        if t is None or t.kind != "w" or len(t.text) != 1 or self.marked_city(m) is not None:
            return None  # not a letter, or "5 г. Днепр"
        if not self.adjacent(m):
            nxt = self.tok(m + 1)
            ends = nxt is None or nxt.kind == "nl" or (nxt.kind == "p" and nxt.text in ",.;)") \
                or (nxt.kind == "w" and nxt.key in _APT_MARKERS)
            if not ends or t.key in _LETTER_WORDS:
                return None
        return normalise_house(t.text), t.end, m + 1

    def apartment(self, i: int) -> tuple[int, str, Span] | None:
        j = self.skip(i, ",")
        if self.is_kind(j, "nl") and self.is_kind(j + 1, "w", _APT_MARKERS):
            j += 1
        if not self.is_kind(j, "w", _APT_MARKERS):
            return None
        j = self.skip(j + 1, ".:№#-")
        num = self.tok(j)
        if num is None or num.kind != "n" or len(num.text) > 4 or int(num.text) == 0:
            return None
        return j + 1, str(int(num.text)), (num.start, num.end)

    def bare_apartment(self, i: int) -> tuple[int, str, Span] | None:
        """A number after the house and a comma that may be the apartment ("Титова, 6, 78")."""
        num, nxt, after = self.tok(i + 1), self.tok(i + 2), self.tok(i + 3)
        if not self.is_punct(i, ",") or num is None or num.kind != "n" or len(num.text) > 3 \
                or num.text.startswith("0"):
            return None
        ends_here = nxt is None or nxt.kind == "nl" or (nxt.kind == "p" and nxt.text in ",;)") \
            or (nxt.kind == "p" and nxt.text == "." and (after is None or after.kind != "n"))
        return (i + 2, str(int(num.text)), (num.start, num.end)) if ends_here else None

    def private_marker(self, i: int) -> bool:
        """Whether a "private house" phrase follows within a few tokens on the same line."""
        for j in range(i, min(i + 5, len(self.toks))):
            t = self.toks[j]
            if t.kind == "nl":
                return False
            if t.kind == "w" and t.key.startswith(_PRIVATE_WORDS):
                return True
            if t.kind == "w" and t.key == "ч" and self.is_punct(j + 1, "/."):
                return True  # "ч/д", "ч.д."
        return False

    # ---- whole addresses ------------------------------------------------------------------
    def address_from(self, i: int) -> _Body | None:
        if (backwards := self.house_first(i)) is not None:
            return backwards
        street = self.street_at(i)
        house = None if street is None else self.house(street[3], typed=street[0] is not None)
        if street is None or house is None:
            return None
        end, readings = house
        apartment = self.apartment(end)
        if apartment is not None:
            readings = [r._replace(apartment=apartment[1], apartment_span=apartment[2])
                        for r in readings if not r.apartment] or readings[:1]
            return _Body(street[0], street[1], street[2], readings, True, apartment[0])
        if len(readings) == 1 and (bare := self.bare_apartment(end)) is not None:
            readings = [readings[0], readings[0]._replace(apartment=bare[1], apartment_span=bare[2])]
            end = bare[0]
        return _Body(street[0], street[1], street[2], readings, False, end)

    def house_first(self, i: int) -> _Body | None:
        """An address written house first: "кв. 5, д. 12А, ул. Европейская" or "буд. 7, вул. Робоча, кв. 3".

        A house marker and a typed street are required, and the street must not carry its own number.
        """
        before = self.apartment(i) if self.is_kind(i, "w", _APT_MARKERS) else None
        j = self.skip(before[0] if before else i, ",")
        if not self.is_kind(j, "w", _HOUSE_MARKERS):
            return None
        k = self.skip(j + 1, ".:№#")
        if not self.is_kind(k, "n") or not self.plausible_house_number(k, typed=True):
            return None
        end, readings = self.house_readings(k)
        street = self.street_at(self.skip(end, ","))
        if street is None or street[0] is None or self.is_kind(self.skip(street[3], ","), "n"):
            return None
        after = None if before else self.apartment(street[3])
        flat = before or after
        if flat is not None:
            readings = [r._replace(apartment=flat[1], apartment_span=flat[2])
                        for r in readings if not r.apartment] or readings[:1]
        return _Body(street[0], street[1], street[2], readings, flat is not None, after[0] if after else street[3])

    def city_then_body(self, i: int) -> tuple[tuple[int, int, str] | None, _Body | None, int]:
        """Parse "city, street house ..." at ``i``: (city tokens and source, body, index to resume at)."""
        marked = self.marked_city(i)
        if marked is not None:
            j = self.skip(marked[1], ",")
            body = self.address_from(j + 1 if self.is_kind(j, "nl") else j)
            if body is None:
                self.pending_city = marked
            return (marked[0], marked[1], "marked"), body, marked[1]
        if self.segment_start(i) and (city_end := self.city_name(i)) is not None:
            j = self.skip(city_end, ",")
            line_start = i == 0 or self.is_kind(i - 1, "nl")
            if line_start and j == city_end and self.is_kind(j, "nl") and self.street_type_at(j + 1):
                j += 1  # a city alone on its line, the street on the next
            if j > city_end or self.street_type_at(city_end) is not None:
                body = self.address_from(j)
                if body is not None:
                    return (i, city_end, "bare"), body, body.end
        return None, self.address_from(i), i + 1

    def parse_at(self, i: int) -> tuple[int, list[Candidate[Address]]] | None:
        city, body, resume = self.city_then_body(i)
        if body is None:
            return (resume, []) if city is not None else None
        end = self.toks[body.end - 1].end
        pending, self.pending_city = self.pending_city, None
        if city is None and pending is not None and self.city_precedes(pending, i):
            city = (pending[0], pending[1], "line_before")
        elif city is None and (trailing := self.trailing_city(body.end)) is not None:
            city, end = trailing, self.toks[trailing[1] - 1].end
        return body.end, self.build(body, city, (self.toks[i].start, end))

    def city_precedes(self, city: tuple[int, int], i: int) -> bool:
        between = self.toks[city[1]:i]
        return sum(t.kind == "nl" for t in between) <= 2 and not any(t.kind == "n" for t in between)

    def build(self, body: _Body, city: tuple[int, int, str] | None, span: Span) -> list[Candidate[Address]]:
        city_text = self.text[self.toks[city[0]].start:self.toks[city[1] - 1].end] if city else None
        source = city[2] if city else ""
        street = _tidy_name(self.text[self.toks[body.name_start].start:self.toks[body.name_end - 1].end])
        private = not body.explicit_apartment and self.private_marker(body.end)
        base = _confidence(body.street_type is not None, source, body.explicit_apartment, private,
                           self.labelled(body.name_start))
        common = ([f"city_source={source}"] if source else []) + (["private_house"] if private else [])
        label = "typed_street" if body.street_type else "untyped_street"
        out = []
        for rank, r in enumerate(body.readings):
            notes = [f"house_span={r.house_span[0]}:{r.house_span[1]}", *common]
            if r.apartment_span is not None:
                notes.append(f"apartment_span={r.apartment_span[0]}:{r.apartment_span[1]}")
            if rank:
                notes.append("alternative")
            value = Address(city_text, body.street_type, street, r.house, r.apartment or None)
            out.append(Candidate(value, round(max(0.05, base - 0.15 * rank), 3), span, label, tuple(notes)))
        return out

    def may_start(self, i: int) -> bool:
        """Whether an address can start at token ``i``: a capitalised word, a street type or a city marker."""
        t = self.toks[i]
        return t.kind == "w" and (t.text[0].isupper() or t.key in _STARTERS)

    def run(self) -> list[Candidate[Address]]:
        out: list[Candidate[Address]] = []
        i = 0
        last_number = max((k for k, t in enumerate(self.toks) if t.kind == "n"), default=-1)
        while i < last_number:  # every address ends with a number (its house or apartment)
            parsed = self.parse_at(i) if self.may_start(i) else None
            if parsed is None:
                i += 1
                continue
            out.extend(parsed[1])
            i = max(parsed[0], i + 1)
        return out


def _tidy_name(name: str) -> str:
    """Strip spaces, and quote marks that do not pair up inside the name."""
    name = name.strip()
    if name[:1] in _QUOTES and not any(c in name[1:] for c in "»”\""):
        name = name[1:].strip()
    if name[-1:] in _QUOTES and not any(c in name[:-1] for c in "«“„\""):
        name = name[:-1].strip()
    return name


_CITY_BONUS = {"marked": 0.12, "line_before": 0.1, "bare": 0.08, "after": 0.06}


def _confidence(typed: bool, city_source: str, has_apartment: bool, private: bool, labelled: bool) -> float:
    score = 0.75 if typed else 0.45
    score += _CITY_BONUS.get(city_source, 0.0)
    if has_apartment:
        score += 0.08 if typed else 0.18
    elif private:
        score += 0.05
    return min(score + (0.05 if labelled else 0.0), 0.98)


def find_addresses(text: str) -> list[Candidate[Address]]:
    """All plausible addresses in ``text``, in text order; alternatives of one address share its span."""
    if not isinstance(text, str) or not text:
        return []
    text = text[:MAX_TEXT_CHARS]
    if _DIGIT_RE.search(text) is None:  # every address ends with a number (its house or apartment)
        return []
    try:
        return _Parser(text).run()
    except (ValueError, IndexError, RecursionError):  # defensive: a parser must never raise
        return []


def address_number_spans(text: str) -> list[Span]:
    """Spans of house and apartment numbers of every address found in ``text`` (sorted, unique)."""
    return number_spans(find_addresses(text))


def number_spans(candidates: Sequence[Candidate[Address]]) -> list[Span]:
    """Spans of the house and apartment numbers of already found address candidates (sorted, unique)."""
    spans: set[Span] = set()
    for candidate in candidates:
        for note in candidate.notes:
            name, _, value = note.partition("=")
            if name in ("house_span", "apartment_span"):
                start, _, end = value.partition(":")
                spans.add((int(start), int(end)))
    return sorted(spans)
