"""Tests for parsers.text: folding, transliteration, street types, house numbers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rapidfuzz import fuzz

from parsers.text import (
    STREET_TYPES,
    fold,
    fold_chars,
    has_cyrillic,
    has_latin,
    normalise_apartment,
    normalise_house,
    split_street_type,
    transliterate_latin,
)

SAME_AFTER_FOLD = [
    ("Сыровца", "Сировця"),
    ("Кирова", "Кірова"),
    ("Кам'янське", "Камянське"),
    ("Кам’янське", "Кам'янське"),
    ("Камʼянське", "Кам`янське"),
    ("Тихая", "Тиха"),
    ("Рабочая", "рабоча"),
    ("Кривой Рог", "Кривий Рог"),
    ("ЁЛКА", "елка"),
    ("Єва", "Ева"),
    ("Эра", "Ера"),
    ("Ґанок", "Ганок"),
    ("Героїв", "Героив"),
    ("Героев Сталинграда", "героев  сталинграда"),
    ("Хмельницького", "Хмельницкого"),
    ("Днепропетровськ", "Днепропетровск"),
    ("Ярослава Мудрого", "ярослава-мудрого"),
    ("Газети «Правда»", "газети правда"),
    ("Tритузная", "Тритузная"),  # Latin T inside a Cyrillic word
    ("Рoбоча", "Робоча"),  # Latin o inside a Cyrillic word
    ("Робо́ча", "Робоча"),  # stress mark
    ("Кобилянського", "Кобылянского"),
    ("Сурсько-Литовське", "Сурско Литовское"),
    ("Жовті Води", "жовти води"),
    ("  много   пробелов\t\n ", "много пробелов"),
    ("１２", "12"),  # fullwidth digits
]

CLOSE_AFTER_FOLD = [
    ("Днепропетровск", "Дніпропетровськ"),
    ("Днепродзержинск", "Дніпродзержинськ"),
    ("Кривой Рог", "Кривий Ріг"),
    ("Каменское", "Кам'янське"),
    ("Рабочая", "Робоча"),
    ("Мандрыковкая", "Мандрыковская"),
    ("Мандриківська", "Мандрыковская"),
    ("Трубників", "Трубников"),
]


@pytest.mark.parametrize(("left", "right"), SAME_AFTER_FOLD)
def test_fold_makes_spellings_equal(left: str, right: str) -> None:
    """Russian, Ukrainian and mixed spellings of one name fold to the same key."""
    assert fold(left) == fold(right)


@pytest.mark.parametrize(("left", "right"), CLOSE_AFTER_FOLD)
def test_fold_makes_spellings_close(left: str, right: str) -> None:
    """Spellings that cannot be made equal fold to keys within the default fuzzy threshold."""
    assert fuzz.ratio(fold(left), fold(right)) >= 80


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ""),
        ("Днепр", "днепр"),
        ("ул. Рабочая, д.5", "ул рабоча д 5"),
        ("Кам'янське", "камянске"),
        ("пр. Героев", "пр героев"),
        ("вул.Князя Ярослава Мудрого", "вул князя ярослава мудрого"),
        ("Набережная Победы", "набережна победи"),
        ("Слобожанский", "слобожанский"),
        ("Кривой", "кривий"),
        ("Ольги", "олги"),
        ("!!!", ""),
        ("A-1", "a 1"),
    ],
)
def test_fold_examples(text: str, expected: str) -> None:
    """fold gives the documented key for typical address words."""
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Рабочая", "рабочая"), ("Кривой", "кривой"), ("Тихая улица", "тихая улица")],
)
def test_fold_without_endings_keeps_word_endings(text: str, expected: str) -> None:
    """endings=False skips only the word-ending step."""
    assert fold(text, endings=False) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ёлка Їжак Ґанок Ыы Єва", "елка ижак ганок ии ева"),
        ("ПР. ГЕРОЇВ", "пр. героив"),
        ("İx", "İx"),
    ],
)
def test_fold_chars_keeps_length(text: str, expected: str) -> None:
    """fold_chars folds case and letters one character for one character."""
    assert fold_chars(text) == expected
    assert len(fold_chars(text)) == len(text)


@pytest.mark.parametrize(
    ("latin", "cyrillic"),
    [
        ("Dnipro, vul. Robocha 5 kv 12", "днипро вул робоча 5 кв 12"),
        ("ul. Shevchenko", "ул шевченко"),
        ("Kryvyi Rih", "кривий риг"),
        ("Kamianske", "камянске"),
        ("Zhovti Vody", "жовти води"),
        ("prosp. Heroiv", "просп героив"),
        ("Yavornytskoho", "яворницкого"),
        ("Pavlohrad", "павлоград"),
        ("Nikopol", "никопол"),
        ("Shchorsa", "щорса"),
        ("Khmelnytskoho", "хмелницкого"),
        ("Tsentralna", "централна"),
        ("Дніпро", "днипро"),
        ("", ""),
    ],
)
def test_transliterate_latin(latin: str, cyrillic: str) -> None:
    """Latin transliteration maps back to the folded Cyrillic form."""
    assert transliterate_latin(latin) == cyrillic


@pytest.mark.parametrize(
    ("latin", "official"),
    [("Robocha", "Робоча"), ("Shevchenka", "Шевченка"), ("Kryvyi Rih", "Кривий Ріг"), ("Dnipro", "Дніпро"),
     ("Kamianske", "Кам'янське"), ("Heroiv", "Героїв"), ("Zhovti Vody", "Жовті Води")],
)
def test_transliteration_meets_official_names(latin: str, official: str) -> None:
    """A transliterated name folds to the same key as the official Cyrillic name."""
    assert transliterate_latin(latin) == fold(official)


@pytest.mark.parametrize(
    ("house", "expected"),
    [
        ("12", "12"), ("12А", "12А"), ("12а", "12А"), ("12-а", "12А"), ("12 а", "12А"), ("12a", "12А"),
        ("12A", "12А"), ("12/1", "12/1"), (" 12 / 1 ", "12/1"), ("012", "12"), ("8А", "8А"), ("0", "0"),
        ("17/1", "17/1"), ("12-Б", "12Б"), ("", ""),
    ],
)
def test_normalise_house(house: str, expected: str) -> None:
    """House numbers are compared in one canonical form; letters and slashes are kept."""
    assert normalise_house(house) == expected


@pytest.mark.parametrize(
    ("left", "right"),
    [("12", "12А"), ("12", "12/1"), ("12А", "12Б"), ("1", "11"), ("12/1", "12/11"), ("12", "120")],
)
def test_normalise_house_keeps_different_houses_apart(left: str, right: str) -> None:
    """Different houses never normalise to the same key."""
    assert normalise_house(left) != normalise_house(right)


@pytest.mark.parametrize(
    ("apartment", "expected"),
    [(None, None), ("", None), ("  ", None), ("5", "5"), ("05", "5"), ("12а", "12А"), ("101", "101")],
)
def test_normalise_apartment(apartment: str | None, expected: str | None) -> None:
    """Apartments lose leading zeros; blank means no apartment."""
    assert normalise_apartment(apartment) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("вул. Робоча", ("вул.", "Робоча")),
        ("ул. Рабочая", ("вул.", "Рабочая")),
        ("ул.Рабочая", ("вул.", "Рабочая")),
        ("улица Рабочая", ("вул.", "Рабочая")),
        ("просп. Дмитра Яворницького", ("просп.", "Дмитра Яворницького")),
        ("пр. Карла Маркса", ("просп.", "Карла Маркса")),
        ("Слобожанский пр.", ("просп.", "Слобожанский")),
        ("пров. Тихий", ("пров.", "Тихий")),
        ("пер. Тихий", ("пров.", "Тихий")),
        ("б-р Слави", ("бульв.", "Слави")),
        ("мкр. Сонячний", ("мкрн", "Сонячний")),
        ("мкрн. Солнечный", ("мкрн", "Солнечный")),
        ("ж/м Тополь", ("ж/м", "Тополь")),
        ("Запорізьке шосе", ("шосе", "Запорізьке")),
        ("пл. Соборна", ("пл.", "Соборна")),
        ("Титова", (None, "Титова")),
        ("Набережна Перемоги", ("наб.", "Перемоги")),
        ("", (None, "")),
    ],
)
def test_split_street_type(name: str, expected: tuple[str | None, str]) -> None:
    """A street name splits into its canonical type and the bare name."""
    assert split_street_type(name) == expected


def test_street_types_cover_both_languages() -> None:
    """Russian, Ukrainian and Latin type words map to the same canonical type."""
    assert {STREET_TYPES[w] for w in ("ул", "вул", "улица", "вулиця", "ul", "vul")} == {"вул."}
    assert {STREET_TYPES[w] for w in ("пр", "просп", "проспект", "prosp")} == {"просп."}


def test_script_detection() -> None:
    """has_latin and has_cyrillic tell which alphabets a text uses."""
    assert has_latin("Robocha") and not has_cyrillic("Robocha")
    assert has_cyrillic("Робоча") and not has_latin("Робоча")


@given(st.text())
def test_fold_never_raises_and_is_clean(text: str) -> None:
    """fold accepts any text and returns lower-case words separated by single spaces."""
    folded = fold(text)
    assert folded == folded.strip()
    assert "  " not in folded
    assert all(not c.isspace() or c == " " for c in folded)


@given(st.text())
def test_other_helpers_never_raise(text: str) -> None:
    """Every helper accepts any text."""
    transliterate_latin(text)
    split_street_type(text)
    normalise_house(text)
    normalise_apartment(text)
    assert len(fold_chars(text)) == len(text)
