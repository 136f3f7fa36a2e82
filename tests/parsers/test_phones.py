"""Tests for parsers.phones: Ukrainian phones in every written form, as E.164."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.phones import find_phones

# text -> the E.164 values found, in order
PHONES: list[tuple[str, list[str]]] = [
    ("Контактный телефон: 067-190-23-46", ["+380671902346"]),
    ("Тел. (099)2107754", ["+380992107754"]),
    ("тел. 8-067-631-44-20", ["+380676314420"]),
    ("Телефон для зв'язку: +38 067 563 21 09", ["+380675632109"]),
    ("Тел. 80673348812", ["+380673348812"]),
    ("т. 0985550713", ["+380985550713"]),
    ("моб. (097)2214567", ["+380972214567"]),
    ("Сергей\n067 908 11 23", ["+380679081123"]),
    ("Юлия, +380 67 552 71 40", ["+380675527140"]),
    ("Наталья, 050 614 22 87", ["+380506142287"]),
    ("Коваленко С.В., 096-115-73-21", ["+380961157321"]),
    ("Телефон 0664478210", ["+380664478210"]),
    ("Тел. +380504127733", ["+380504127733"]),
    ("тел. 38(066)4019928", ["+380664019928"]),
    ("+380961187045", ["+380961187045"]),
    ("спасибі, Ігор 097-118-40-55", ["+380971184055"]),
    ("тел 097 901 53 82", ["+380979015382"]),
    ("Алексей, 050-331-80-64", ["+380503318064"]),
    ("+380984451236", ["+380984451236"]),
    ("Тел. дом. (056) 744-12-34", ["+380567441234"]),
    ("тел. +380 (67) 302-19-77", ["+380673021977"]),
    ("Тел. 0687001122", ["+380687001122"]),
    ("Тел. 0951190233", ["+380951190233"]),
    ("Константин, 0639982210", ["+380639982210"]),
    ("Остапенко П.М., тел. 067 401 88 90", ["+380674018890"]),
    ("0505550199", ["+380505550199"]),
    ("Бондарь И.С. моб. (068) 300 12 45", ["+380683001245"]),
    ("тел 097-776-12-30", ["+380977761230"]),
    ("Телефон: +380665512873", ["+380665512873"]),
    ("Тел. 0667023318", ["+380667023318"]),
    ("Татьяна, 0674412397", ["+380674412397"]),
    ("Тел. 0503307812", ["+380503307812"]),
    ("Звоните: +38 (093) 555-12-34", ["+380935551234"]),
    ("(056) 370-11-22", ["+380563701122"]),
    ("моб.: +38(067)123-45-67", ["+380671234567"]),
    ("тел/факс (056) 123-45-67", ["+380561234567"]),
    ("0 67 123 45 67", ["+380671234567"]),
    ("+38 067 1234567", ["+380671234567"]),
    ("380671234567", ["+380671234567"]),
    ("067 123 4567", ["+380671234567"]),
    ("+38-067-123-45-67", ["+380671234567"]),
    ("8 (067) 123-45-67", ["+380671234567"]),
    ("8(067)1234567", ["+380671234567"]),
    ("(067) 123 45 67", ["+380671234567"]),
    ("Viber 0931234567", ["+380931234567"]),
    ("контактний номер 0731234567", ["+380731234567"]),
    ("phone: +380 63 123 45 67", ["+380631234567"]),
    ("тел 0671234567, 0501234567", ["+380671234567", "+380501234567"]),
    ("тел. 067 123 45 67; моб. 050-123-45-67", ["+380671234567", "+380501234567"]),
    ("01.12.2016 0671234567", ["+380671234567"]),
    ("кв. 45 067 123 45 67", ["+380671234567"]),
    ("Показания 12345 0671234567", ["+380671234567"]),
    ("1#003613\nНикополь, Трубников 22-41\n0957731842", ["+380957731842"]),
    ("тел. 0671234567 и ещё раз 067-123-45-67", ["+380671234567"]),
    ("067 123 45 67 067 123 45 67", ["+380671234567"]),
    ("тел.\u00a0067\u00a0123\u00a045\u00a067", ["+380671234567"]),
    ("Call-центр\nтел. 0 800 30 15 68", ["+380800301568"]),
    # not phones
    ("9879937850", []),
    ("12345", []),
    ("Показания 067123", []),
    ("01.12.2016", []),
    ("Лицевой счет 0992981635.", []),
    ("л/с 0671234567", []),
    ("особовий рахунок 0501234567", []),
    ("Счетчик № 0671234567", []),
    ("заводской номер 0671234567", []),
    ("1234567890", []),
    ("0123456789", []),
    ("сч 12 345 678 90", []),
    ("день 12345 ночь 6789", []),
    ("Счет на оплату № 3487 от 01.12.2016 на сумму 12 480,00 грн", []),
    ("НИК 2102, CE101, GAMA 100", []),
    ("кв. 20 - 21063", []),
    ("2016-12-01 10:15 GMT+02:00", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), PHONES)
def test_find_phones_values(text: str, expected: list[str]) -> None:
    """Every written form yields the right E.164 numbers, in order, and nothing else."""
    assert [candidate.value for candidate in find_phones(text)] == expected


DOTTED_AND_LONG_AREA_CODE: list[tuple[str, list[str]]] = [
    ("Тел. 097.583.50.53", ["+380975835053"]),
    ("097.583.50.53.", ["+380975835053"]),
    ("+38.067.123.45.67", ["+380671234567"]),
    ("моб. 050.123.4567", ["+380501234567"]),
    ("тел. (05667) 4-12-09", ["+380566741209"]),
    ("(05665) 2-34-56", ["+380566523456"]),
    ("05667 4 12 09", ["+380566741209"]),
    # dates beside numbers stay apart, and a single digit after a short area code is still no phone
    ("показания на 05.01.2025 12 345", []),
    ("на 09.11.2025 - 12", []),
    ("0566 4-12-09", []),
    ("12.345.67.89", []),
]


@pytest.mark.parametrize(("text", "expected"), DOTTED_AND_LONG_AREA_CODE)
def test_dotted_phones_and_five_digit_area_codes(text: str, expected: list[str]) -> None:
    """Dots as the only separator, and a 5-digit area code with a 5-digit local number, make a phone."""
    assert [candidate.value for candidate in find_phones(text)] == expected


LABELS: list[tuple[str, str]] = [
    ("Тел. 0671234567", "labelled"),
    ("телефон: 0671234567", "labelled"),
    ("моб. 0671234567", "labelled"),
    ("контактный номер 0671234567", "labelled"),
    ("Иван 0671234567", "bare"),
    ("0671234567", "bare"),
    ("тел. 0 800 30 15 68", "service"),
    ("Пример: г. Днепр, ул. Рабочая, д. 1, тел. 0671234567", "example"),
]


@pytest.mark.parametrize(("text", "label"), LABELS)
def test_find_phones_labels(text: str, label: str) -> None:
    """The label says whether a phone word, an example or a service line came with the number."""
    assert [candidate.label for candidate in find_phones(text)] == [label]


def test_labelled_phone_is_more_confident_than_bare() -> None:
    """A phone after ``тел.`` is more confident than a bare one, and a toll-free line is least."""
    labelled, bare, service = (find_phones(t)[0].confidence
                               for t in ("тел. 0671234567", "0671234567", "тел. 0800301568"))
    assert labelled > bare > service


def test_span_covers_the_written_number() -> None:
    """The span starts at the '+' or '(' and ends at the last digit of the number."""
    text = "Тел.: +38 (067) 123-45-67, спасибо"
    candidate = find_phones(text)[0]
    assert text[candidate.span[0] : candidate.span[1]] == "+38 (067) 123-45-67"


def test_duplicates_keep_the_first_span() -> None:
    """The same number written twice is returned once, with the first span."""
    found = find_phones("0671234567 / +380671234567")
    assert len(found) == 1 and found[0].span == (0, 10)


def test_long_runs_are_linear() -> None:
    """A long run of digit groups is read in well under a second."""
    found = find_phones("067 123 45 67 " * 3000)
    assert [candidate.value for candidate in found] == ["+380671234567"]


TEXTS = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["0", "67", "123", "45", "+38", "8", " ", "-", "(", ")", "тел.", "л/с", "\n",
                              "0671234567", "№", "Пример:"]), max_size=40).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_never_raises_and_digits_come_from_the_input(text: str) -> None:
    """Any input is accepted, and each phone's national digits are the digits under its span."""
    for candidate in find_phones(text):
        assert re.fullmatch(r"\+380[0-9]{9}", candidate.value)
        written = re.sub(r"[^0-9]", "", text[candidate.span[0] : candidate.span[1]])
        assert written.endswith(candidate.value[4:])


@pytest.mark.parametrize("value", [None, 12345, b"0671234567"])
def test_non_text_gives_nothing(value: object) -> None:
    """A value that is not a string yields no phones instead of an error."""
    assert find_phones(value) == []  # type: ignore[arg-type]
