"""Text normalisation shared by the address parser and the registry index.

The goal is that Russian, Ukrainian and surzhyk spellings of one name fold to the
same key (or to keys a fuzzy comparison finds very close), so that "Сыровца" meets
"Сировця", "Кирова" meets "Кірова" and "Днепропетровск" comes within one letter of
"Дніпропетровськ". Folded text is for comparison only, never for display.

``fold(text)`` applies, in this order:

1. Unicode NFC, then combining marks (stress accents and the like: U+0300-036F, U+0483-0489 and the
   other combining-mark blocks) are removed.
2. Non-ASCII decimal digits (fullwidth, Arabic-Indic, ...) become ASCII digits.
3. Lower case (characters whose lower case is longer than one character stay as they are).
4. In a word holding both Cyrillic and Latin letters, Latin look-alikes become
   Cyrillic (``a c e i o p x y k m t b h`` -> ``а с е і о р х у к м т в н``).
5. Letters: ``ё є э`` -> ``е``; ``і ї ы`` -> ``и``; ``ґ`` -> ``г``; ``ь ъ`` removed.
6. Apostrophes and double quotes (``' ’ ‘ ʼ ʹ ´ ` "``) are removed, so that
   "Кам'янське" and "Камянське" are equal.
7. ``ц`` followed by ``я``/``ю`` becomes ``ца``/``цу`` (Ukrainian "Сировця", Russian "Сыровца").
8. Every other character that is not a letter or a digit becomes a space; runs of
   whitespace become one space; leading and trailing spaces are dropped.
9. Word endings of words of four or more letters: ``ая`` -> ``а``, ``яя`` -> ``я``,
   ``ое`` -> ``е``, ``ой`` -> ``ий`` (Russian "Тихая"/"Кривой" meet Ukrainian "Тиха"/"Кривий").

Helpers shared by the address parser and the registry index: ``word_key`` (``fold_chars`` without
apostrophes, for keyword lookups), ``STREET_TYPES`` (every written street-type word -> canonical
type), ``split_street_type``, ``normalise_house`` and ``normalise_apartment``.

``transliterate_latin(text)`` maps Latin transliteration of Ukrainian or Russian
("Dnipro, vul. Robocha 5 kv 12", "ul. Shevchenko") to Cyrillic and then folds it.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STREET_TYPES", "fold", "fold_chars", "has_cyrillic", "has_latin", "normalise_apartment", "normalise_house",
           "split_street_type", "transliterate_latin", "word_key", "word_keys"]

_LETTER_FOLD = {"ё": "е", "є": "е", "э": "е", "і": "и", "ї": "и", "ы": "и", "ґ": "г"}
_LETTER_FOLD_RE = re.compile("[" + "".join(_LETTER_FOLD) + "]")
_DROP_RE = re.compile("[ьъ'’‘ʼʹ´`\"′]")
_HOMOGLYPHS = str.maketrans(
    "aceiopxykmtbh", "\u0430\u0441\u0435\u0456\u043e\u0440\u0445\u0443\u043a\u043c\u0442\u0432\u043d"
)
_MIXED_WORD = re.compile(r"\w*[a-z]\w*")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-zA-Z]")
_TSYA = re.compile(r"ц([яю])")
_NON_ASCII_DIGIT = re.compile(r"(?![0-9])\d")
_COMBINING = re.compile(r"[\u0300-\u036f\u0483-\u0489\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_WORD = re.compile(r"[\W_]+")
_ENDINGS = {"ая": "а", "яя": "я", "ое": "е", "ой": "ий"}


def _ascii_digits(text: str) -> str:
    """Replace every non-ASCII decimal digit with its ASCII digit."""
    return _NON_ASCII_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group(0), 0)), text)


def _lower(text: str) -> str:
    """Lower case, keeping characters whose lower case is longer than one character."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


def fold_chars(text: str) -> str:
    """Lower-case and fold letters one character for one character (same length as the input).

    Only steps 3 and 5 of ``fold`` except that ``ь``/``ъ`` stay; offsets into the result are offsets
    into the input, which is what a parser that reports spans needs.
    """
    return _fold_letters(_lower(text))


def _fold_letters(text: str) -> str:
    return _LETTER_FOLD_RE.sub(lambda m: _LETTER_FOLD[m.group(0)], text)


def _unmix_word(match: re.Match[str]) -> str:
    """Turn Latin look-alikes into Cyrillic in a word that also holds Cyrillic letters."""
    word = match.group(0)
    if _CYRILLIC.search(word):
        return word.translate(_HOMOGLYPHS)
    return word


def fold(text: str, *, endings: bool = True) -> str:
    """Fold ``text`` to a comparison key (see the module docstring for the exact steps).

    ``endings=False`` skips step 9: a fuller key that measures typos better ("Рабочя" is one
    letter from "Рабочая" but two from the folded "рабоча").
    """
    if not text:
        return ""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFC", text))
        text = _ascii_digits(text)
    text = _lower(text)
    if _LATIN.search(text):
        text = _MIXED_WORD.sub(_unmix_word, text)
    text = _DROP_RE.sub("", _fold_letters(text))
    text = _TSYA.sub(lambda m: "ца" if m.group(1) == "я" else "цу", text)
    text = _NON_WORD.sub(" ", text).strip()
    if not endings:
        return text
    return " ".join(_fold_ending(word) for word in text.split(" "))


def _fold_ending(word: str) -> str:
    ending = word[-2:]
    if len(word) >= 4 and ending in _ENDINGS and word[-3].isalpha():
        return word[:-2] + _ENDINGS[ending]
    return word


def has_cyrillic(text: str) -> bool:
    """Whether ``text`` holds at least one Cyrillic letter."""
    return bool(_CYRILLIC.search(text))


def has_latin(text: str) -> bool:
    """Whether ``text`` holds at least one ASCII Latin letter."""
    return bool(_LATIN.search(text))


# Longest sequences first; applied to lower-case text. Word-final "yi"/"iy"/"yy" are the adjective ending.
_TRANSLIT_WORD_END = re.compile(r"(?:yi|iy|yy|ij|yj)\b")
_TRANSLIT_TABLE: tuple[tuple[str, str], ...] = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("ya", "я"), ("yu", "ю"), ("ye", "е"), ("yi", "ї"), ("yo", "е"), ("ia", "я"), ("iu", "ю"),
    ("ie", "е"), ("ja", "я"), ("ju", "ю"), ("je", "е"),
    ("a", "а"), ("b", "б"), ("c", "ц"), ("d", "д"), ("e", "е"), ("f", "ф"), ("g", "г"), ("h", "г"),
    ("i", "і"), ("j", "й"), ("k", "к"), ("l", "л"), ("m", "м"), ("n", "н"), ("o", "о"), ("p", "п"),
    ("q", "к"), ("r", "р"), ("s", "с"), ("t", "т"), ("u", "у"), ("v", "в"), ("w", "в"), ("x", "кс"),
    ("y", "и"), ("z", "з"),
)
_TRANSLIT_PATTERN = re.compile("|".join(re.escape(src) for src, _ in _TRANSLIT_TABLE))
_TRANSLIT_MAP = dict(_TRANSLIT_TABLE)


def transliterate_latin(text: str) -> str:
    """Map Latin transliteration back to Cyrillic, then ``fold`` it.

    ``transliterate_latin("Dnipro, vul. Robocha 5 kv 12") == "днипро вул робоча 5 кв 12"``.
    Cyrillic letters in the input are kept as they are (and folded).
    """
    if not text:
        return ""
    lowered = text.lower()
    lowered = _TRANSLIT_WORD_END.sub("ий", lowered)
    converted = _TRANSLIT_PATTERN.sub(lambda m: _TRANSLIT_MAP[m.group(0)], lowered)
    return fold(converted)


# ---- street types, house and apartment numbers ----------------------------------------------------
_APOSTROPHES_RE = re.compile("['’ʼ`]")


def word_key(word: str) -> str:
    """``fold_chars`` without apostrophes: the lookup key of one written word ("Вул" -> "вул")."""
    return _APOSTROPHES_RE.sub("", fold_chars(word))


def word_keys(words: str) -> frozenset[str]:
    """``word_key`` of every space-separated word."""
    return frozenset(word_key(w) for w in words.split())


_STREET_TYPE_WORDS = {
    "вул.": "ул улица улиця вул вулиця вулица ul ulitsa ulica vul vulytsia vulica vulitsa",
    "просп.": "пр просп проспект пр-т пр-кт просп-т prosp prospekt pr",
    "пров.": "пер переулок пров провулок per pereulok prov provulok",
    "бульв.": "б-р бул бульв бульвар bulv bulvar",
    "пл.": "пл площа площадь майдан pl ploshcha ploshchad maidan",
    "ж/м": "жм ж-м жилмассив zhm",
    "мкрн": "мкрн мкр мкр-н микрорайон mkrn mkr mikrorayon",
    "шосе": "шосе шоссе ш shose",
    "наб.": "наб набережна набережная nab",
    "узвіз": "узвиз спуск uzviz",
    "тупик": "тупик туп tupik",
    "алея": "алея аллея ал alleya",
    "проїзд": "проїзд проезд пр-д proizd proezd",
}
STREET_TYPES: dict[str, str] = {
    key: canon for canon, words in _STREET_TYPE_WORDS.items() for key in word_keys(words)
}
"""``word_key`` of a street-type word -> canonical type (``"ул" -> "вул."``, ``"проспект" -> "просп."``)."""

_LATIN_TO_CYR_UPPER = str.maketrans("ABCEHKMOPTXY", "АВСЕНКМОРТХУ")
_HOUSE_NOISE_RE = re.compile(r"[\s\-–—.]+")
_LEADING_ZEROS_RE = re.compile(r"^0+(?=\d)")
_TYPE_FIRST_RE = re.compile(r"\s*(ж\s*/\s*м|[^\W\d_][\w-]*)(?:\.\s*|\s+)(.+)", re.S)
_TYPE_LAST_RE = re.compile(r"(.+?)\s+([^\W\d_][\w-]*)\.?\s*", re.S)


def normalise_house(house: str) -> str:
    """Canonical house key: upper case, Latin look-alike letters Cyrillic, no spaces, dots or dashes.

    ``"12-а" -> "12А"``, ``"12 a" -> "12А"``, ``" 12/1 " -> "12/1"``, ``"012" -> "12"``.
    """
    cleaned = _HOUSE_NOISE_RE.sub("", house or "").upper().translate(_LATIN_TO_CYR_UPPER)
    return _LEADING_ZEROS_RE.sub("", cleaned)


def normalise_apartment(apartment: str | None) -> str | None:
    """Canonical apartment key (``"05" -> "5"``, letters upper-case Cyrillic); blank gives ``None``."""
    if apartment is None or not apartment.strip():
        return None
    return normalise_house(apartment)


def split_street_type(name: str) -> tuple[str | None, str]:
    """Split a street name into (canonical type or None, bare name).

    ``"вул. Робоча" -> ("вул.", "Робоча")``, ``"Слобожанский пр." -> ("просп.", "Слобожанский")``,
    ``"мкр. Сонячний" -> ("мкрн", "Сонячний")``, ``"Титова" -> (None, "Титова")``.
    """
    name = (name or "").strip()
    first = _TYPE_FIRST_RE.fullmatch(name)
    if first is not None:
        word = word_key(re.sub(r"\s+", "", first.group(1)))
        canon = "ж/м" if word in ("ж/м", "zh/m") else STREET_TYPES.get(word)
        if canon is not None:
            return canon, first.group(2).strip()
    last = _TYPE_LAST_RE.fullmatch(name)
    if last is not None and (canon := STREET_TYPES.get(word_key(last.group(2)))) is not None:
        return canon, last.group(1).strip()
    return None, name
