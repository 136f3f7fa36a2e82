"""Tests for parsers.addresses: addresses in every shape customers write them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.addresses import MAX_TEXT_CHARS, Address, address_number_spans, find_addresses

A = Address

# text -> the most confident address found in it
ADDRESSES: list[tuple[str, Address]] = [
    # Russian, full form
    ("Адрес: г. Днепропетровск, пр. Карла Маркса, д. 101, кв. 45",
     A("Днепропетровск", "просп.", "Карла Маркса", "101", "45")),
    ("г. Днепр, ул. Рабочая, д. 1, кв. 1", A("Днепр", "вул.", "Рабочая", "1", "1")),
    ("г.Днепр, ул. Героев Сталинграда д.30 кв.57", A("Днепр", "вул.", "Героев Сталинграда", "30", "57")),
    ("г. Кривой Рог, пр. Карла Маркса, 31, кв. 14", A("Кривой Рог", "просп.", "Карла Маркса", "31", "14")),
    ("г. Кривой Рог, мкрн. Солнечный, д. 12, кв. 101", A("Кривой Рог", "мкрн", "Солнечный", "12", "101")),
    ("г. Желтые Воды, ул. Гагарина 11, кв. 54", A("Желтые Воды", "вул.", "Гагарина", "11", "54")),
    ("г.Никополь, ул.Электрометаллургов 38 кв.2", A("Никополь", "вул.", "Электрометаллургов", "38", "2")),
    ("г. Орджоникидзе, ул. Центральная 27, кв. 18", A("Орджоникидзе", "вул.", "Центральная", "27", "18")),
    ("Адрес: г. Никополь, ул. Шевченко, д. 45, кв. 7", A("Никополь", "вул.", "Шевченко", "45", "7")),
    ("г. Днепр ул. Рабочая д.5 кв.12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    ("город Днепр, улица Рабочая, дом 5, квартира 12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    # Ukrainian
    ("Адреса: м. Дніпродзержинськ, просп. Аношкіна, буд. 50, кв. 17",
     A("Дніпродзержинськ", "просп.", "Аношкіна", "50", "17")),
    ("Адреса: м. Дніпро, вул. Карла Лібкнехта, 20, кв. 15", A("Дніпро", "вул.", "Карла Лібкнехта", "20", "15")),
    ("м. Дніпро, просп. Кірова, буд. 87, кв. 112", A("Дніпро", "просп.", "Кірова", "87", "112")),
    ("м.\u00a0Павлоград, вул. Дніпровська, буд.\u00a0120, кв.\u00a018",
     A("Павлоград", "вул.", "Дніпровська", "120", "18")),
    ("Кам’янське, вул. Тритузна 160, кв. 5", A("Кам’янське", "вул.", "Тритузна", "160", "5")),
    ("с. Сурсько-Литовське, вул. Садова, 19", A("Сурсько-Литовське", "вул.", "Садова", "19", None)),
    ("Мамин будинок: с. Петриківка, вул. Гоголя, 40 — 40900", A("Петриківка", "вул.", "Гоголя", "40", None)),
    ("Адреса: м. Нікополь, вул. Садова, 11.", A("Нікополь", "вул.", "Садова", "11", None)),
    ("смт Слобожанське вул. Теплична 12", A("Слобожанське", "вул.", "Теплична", "12", None)),
    ("м. Кривий Ріг, проспект Металургів 28 кв 9", A("Кривий Ріг", "просп.", "Металургів", "28", "9")),
    ("вул. Робоча, буд. 12-А, кв. 3", A(None, "вул.", "Робоча", "12А", "3")),
    ("провулок Тихий, будинок 7", A(None, "пров.", "Тихий", "7", None)),
    # bare city before, after, on the line before
    ("Днепр, ул. Ленина 14, кв. 8", A("Днепр", "вул.", "Ленина", "14", "8")),
    ("Адрес: Днепр, ул. Дзержинского 8, кв.3", A("Днепр", "вул.", "Дзержинского", "8", "3")),
    ("Днепродзержинск, ул. Сыровца 12 кв 30", A("Днепродзержинск", "вул.", "Сыровца", "12", "30")),
    ("Кривой Рог ул. Кобылянского 140 частный дом", A("Кривой Рог", "вул.", "Кобылянского", "140", None)),
    ("Новомосковськ вул Українська 44 кв 2 показанія 8734", A("Новомосковськ", "вул.", "Українська", "44", "2")),
    ("Добрий день. Кривий Ріг, вул. Співдружності 60, кв. 12.",
     A("Кривий Ріг", "вул.", "Співдружності", "60", "12")),
    ("пр. Правды 71 кв 9, Днепр", A("Днепр", "просп.", "Правды", "71", "9")),
    ("Здравствуйте! пр. Героев 2 кв 77, Днепр.", A("Днепр", "просп.", "Героев", "2", "77")),
    ("ул. Криворожская 17, кв. 70, Днепр", A("Днепр", "вул.", "Криворожская", "17", "70")),
    ("Днепр\nул. Рабочая 5, кв 12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    ("г. Днепр\nул. Рабочая 5, кв 12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    ("Город: Днепр\nУлица: Рабочая\nДом: 5\nКвартира: 12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    ("Показания на 01.12.2016 г. Днепр, ул. Рабочая 5", A("Днепр", "вул.", "Рабочая", "5", None)),
    # villages and private houses
    ("пгт Юбилейный, ул. Тепличная 12, частный дом.", A("Юбилейный", "вул.", "Тепличная", "12", None)),
    ("с.Любимовка ул.Центральная 3", A("Любимовка", "вул.", "Центральная", "3", None)),
    ("с. Петриковка, ул. Гоголя, 25 (частный дом)", A("Петриковка", "вул.", "Гоголя", "25", None)),
    ("Днепр, ул. Тихая, 5 (частный сектор)", A("Днепр", "вул.", "Тихая", "5", None)),
    ("с. Любимівка, вул. Центральна, 3, приватний будинок", A("Любимівка", "вул.", "Центральна", "3", None)),
    # no street type
    ("Гагарина 5 кв 12, 012345, 01.12", A(None, None, "Гагарина", "5", "12")),
    ("Рабочая 23 кв 1 показания 018022", A(None, None, "Рабочая", "23", "1")),
    ("Титова 6 кв 78\nПоказания 33076 на сегодня", A(None, None, "Титова", "6", "78")),
    ("адрес: Робоча, 23, кв.11", A(None, None, "Робоча", "23", "11")),
    ("Яворницкого 101\nпоказания 13784", A(None, None, "Яворницкого", "101", None)),
    ("показания Кобылянского 140", A(None, None, "Кобылянского", "140", None)),
    ("Показания, Рабочая 15 кв 3", A(None, None, "Рабочая", "15", "3")),
    ("Никополь, Трубников 22-41", A("Никополь", None, "Трубников", "22", "41")),
    ("Набережная Победы 50 кв 120", A(None, "наб.", "Набережная Победы", "50", "120")),
    # type after the name, names with numbers, initials, quotes
    ("Слобожанский пр. 71 кв 9", A(None, "просп.", "Слобожанский", "71", "9")),
    ("Рабочая ул., д. 5, кв. 12", A(None, "вул.", "Рабочая", "5", "12")),
    ("ул. 8 Марта 12, кв. 5", A(None, "вул.", "8 Марта", "12", "5")),
    ("ул. 2-я Заводская 7, кв. 5", A(None, "вул.", "2-я Заводская", "7", "5")),
    ("вул. 20-річчя Перемоги, 4", A(None, "вул.", "20-річчя Перемоги", "4", None)),
    ("пр-т Б. Хмельницкого 30 кв 57", A(None, "просп.", "Б. Хмельницкого", "30", "57")),
    ("просп. Газети «Правда» 71, кв. 9", A(None, "просп.", "Газети «Правда»", "71", "9")),
    ("ж/м Тополь-3, буд. 12, кв. 4", A(None, "ж/м", "Тополь-3", "12", "4")),
    ("ж/м Тополь 3 буд 12 кв 4", A(None, "ж/м", "Тополь 3", "12", "4")),
    ("пл. Соборна 5, кв 10", A(None, "пл.", "Соборна", "5", "10")),
    ("бульв. Слави 8, кв. 3", A(None, "бульв.", "Слави", "8", "3")),
    ("б-р Славы 8 кв 3", A(None, "бульв.", "Славы", "8", "3")),
    ("Запорожское шоссе 12", A(None, "шосе", "Запорожское", "12", None)),
    ("Днепр, ул. Набережная Победы 50 кв 120", A("Днепр", "вул.", "Набережная Победы", "50", "120")),
    # house forms
    ("ул. Рабочая 12А", A(None, "вул.", "Рабочая", "12А", None)),
    ("ул. Рабочая 12а, кв 5", A(None, "вул.", "Рабочая", "12А", "5")),
    ("ул. Рабочая 12-а, кв 5", A(None, "вул.", "Рабочая", "12А", "5")),
    ("ул. Рабочая 12 а, кв 5", A(None, "вул.", "Рабочая", "12А", "5")),
    ("ул. Рабочая 12 в квартире 5", A(None, "вул.", "Рабочая", "12", None)),
    ("ул. Рабочая 12/1", A(None, "вул.", "Рабочая", "12/1", None)),
    ("ул. Рабочая 12/1, кв. 5", A(None, "вул.", "Рабочая", "12/1", "5")),
    ("ул. Рабочая 12 корп. 2 кв 3", A(None, "вул.", "Рабочая", "12/2", "3")),
    ("ул. Рабочая, д. №12, кв. №3", A(None, "вул.", "Рабочая", "12", "3")),
    ("ул. Рабочая 5кв12", A(None, "вул.", "Рабочая", "5", "12")),
    ("ул. Рабочая 5, кв. 05", A(None, "вул.", "Рабочая", "5", "5")),
    ("Днепр ул Рабочая 5-12", A("Днепр", "вул.", "Рабочая", "5", "12")),
    ("ул. Рабочая, 5, частный дом", A(None, "вул.", "Рабочая", "5", None)),
    # CAPS and Latin transliteration
    ("ДНЕПР, УЛ. РАБОЧАЯ 5 КВ 12", A("ДНЕПР", "вул.", "РАБОЧАЯ", "5", "12")),
    ("М. ДНІПРО, ВУЛ. ГЛІНКИ 7, КВ. 30", A("ДНІПРО", "вул.", "ГЛІНКИ", "7", "30")),
    ("Dnipro, vul. Robocha 5 kv 12", A("Dnipro", "вул.", "Robocha", "5", "12")),
    ("ul. Shevchenko 45, kv. 7, Nikopol", A("Nikopol", "вул.", "Shevchenko", "45", "7")),
    ("m. Kryvyi Rih, prosp. Metalurhiv 28, kv. 9", A("Kryvyi Rih", "просп.", "Metalurhiv", "28", "9")),
]


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_best_address(text: str, expected: Address) -> None:
    """The most confident candidate is the address as written, house and apartment normalised."""
    candidates = find_addresses(text)
    assert candidates, text
    best = max(candidates, key=lambda c: c.confidence)
    assert best.value == expected


@pytest.mark.parametrize(("text", "expected"), ADDRESSES)
def test_span_and_number_spans_point_into_the_text(text: str, expected: Address) -> None:
    """The span covers the house number, and the noted number spans hold exactly those digits."""
    best = max(find_addresses(text), key=lambda c: c.confidence)
    start, end = best.span
    assert 0 <= start < end <= len(text)
    notes = dict(n.split("=", 1) for n in best.notes if "=" in n)
    house_start, house_end = map(int, notes["house_span"].split(":"))
    assert start <= house_start < house_end <= end
    assert re.sub(r"\D", "", text[house_start:house_end]).startswith(re.sub(r"\D", "", expected.house or "")[:1])
    if expected.apartment is not None and "apartment_span" in notes:
        apt_start, apt_end = map(int, notes["apartment_span"].split(":"))
        assert int(text[apt_start:apt_end]) == int(expected.apartment)


NO_ADDRESS = [
    "",
    "Показания 38402\nтел. 050-331-80-64",
    "Лицевой счет 0387215590\nПоказания 5643",
    "9879937850\n1 # 001952",
    "Показания счетчика 17773.\nПетренко В.И., тел 097 901 53 82",
    "Наталья, 050 614 22 87",
    "спасибі, Ігор 097-118-40-55",
    "Юлия, +380 67 552 71 40",
    "Предыдущие показания - 2861 (01.12.2016)\nТекущие показания - 3038 (02.01.2017)",
    "Т1 - 005661\nТ2 - 002840",
    "T1 (день) - 6158\nT2 (ночь) - 2769",
    "Пик: 4147\nПолупик: 5350\nНочь: 4321",
    "Показания на 1.02: 21 157 кВт*ч",
    "Оплатила 245,60 грн за январь.",
    "Я нахожусь в отпуске с 26.12.2016 по 09.01.2017",
    "Третий день нет света по ул. Лесопильной (частный сектор)",
    "Магнит 70x50 мм",
    "Энергомера CE101",
    "Во вложении счет на оплату № 3487 от 01.12.2016 на сумму 12 480,00 грн.",
    "Доброго дня! Показники: 22949 кВт*год",
    "Наталья 1 декабря",
]


@pytest.mark.parametrize("text", NO_ADDRESS)
def test_no_address(text: str) -> None:
    """Readings, phones, dates, names and prices are not addresses."""
    assert find_addresses(text) == []


STREET_TYPE_ABBREVIATIONS: list[tuple[str, Address]] = [
    ("г.Днепр,Запорожское ш.,д.70,кв.5", A("Днепр", "шосе", "Запорожское", "70", "5")),
    ("Днепр, ш. Запорожское 70, кв. 5", A("Днепр", "шосе", "Запорожское", "70", "5")),
    ("м. Дніпро, Запорізьке шосе 12", A("Дніпро", "шосе", "Запорізьке", "12", None)),
    ("Днепр, просп-т Мира 4, кв. 8", A("Днепр", "просп.", "Мира", "4", "8")),
    ("Днепр, пр-кт Гагарина 10", A("Днепр", "просп.", "Гагарина", "10", None)),
    ("м. Дніпро, ал. Героїв 3, кв. 2", A("Дніпро", "алея", "Героїв", "3", "2")),
    ("г. Днепр, аллея Героев 3", A("Днепр", "алея", "Героев", "3", None)),
    ("Днепр, проезд Десантный 7", A("Днепр", "проїзд", "Десантный", "7", None)),
    ("м. Дніпро, майдан Соборний 1, кв. 4", A("Дніпро", "пл.", "Соборний", "1", "4")),
    ("Днепр, туп. Тихий 2", A("Днепр", "тупик", "Тихий", "2", None)),
]


@pytest.mark.parametrize(("text", "expected"), STREET_TYPE_ABBREVIATIONS)
def test_street_type_abbreviations(text: str, expected: Address) -> None:
    """Abbreviated and less common street types (ш., просп-т, ал., проезд, майдан) give a typed street."""
    assert max(find_addresses(text), key=lambda c: c.confidence).value == expected


HOUSE_FIRST: list[tuple[str, Address]] = [
    ("кв. 5, д. 12А, ул. Европейская, г. Днепр", A("Днепр", "вул.", "Европейская", "12А", "5")),
    ("Здравствуйте.\nкв. 5, д. 12, ул. Европейская, Днепр\nПик: 2210", A("Днепр", "вул.", "Европейская", "12", "5")),
    ("буд. 7, вул. Робоча, кв. 3, м. Дніпро", A("Дніпро", "вул.", "Робоча", "7", "3")),
    ("г. Днепр, д. 12, ул. Рабочая", A("Днепр", "вул.", "Рабочая", "12", None)),
    ("квартира 12, дом 5, проспект Гагарина", A(None, "просп.", "Гагарина", "5", "12")),
    ("кв 5 д 12/1 ул Рабочая", A(None, "вул.", "Рабочая", "12/1", "5")),
]


@pytest.mark.parametrize(("text", "expected"), HOUSE_FIRST)
def test_house_written_before_the_street(text: str, expected: Address) -> None:
    """An address written apartment and house first, then a typed street, is read in that order."""
    assert max(find_addresses(text), key=lambda c: c.confidence).value == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("д. 4521, ул. Рабочая 5, кв 3", A(None, "вул.", "Рабочая", "5", "3")),
        ("дом 12, Рабочая 5", A(None, None, "Рабочая", "5", None)),
    ],
)
def test_house_first_needs_a_typed_street_without_its_own_number(text: str, expected: Address) -> None:
    """A number before a street that has its own house number, or before an untyped name, is no house."""
    assert [c.value for c in find_addresses(text)] == [expected]


@pytest.mark.parametrize("text", ["ш 12345 показания", "Ш. 1234", "ал 5 кВт"])
def test_short_type_words_need_a_dot_or_a_name(text: str) -> None:
    """The one- and two-letter types ш and ал start a street only before a capitalised name."""
    assert find_addresses(text) == []


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("ул. Рабочая 22-41", [("22", "41"), ("22/41", None)]),
        ("ул. Рабочая 22/41", [("22/41", None), ("22", "41")]),
        ("ул. Рабочая 12А/5", [("12А", "5"), ("12А/5", None)]),
        ("Титова, 6, 78", [("6", None), ("6", "78")]),
        ("Кривий Ріг, мкр-н Сонячний, 12/101", [("12/101", None), ("12", "101")]),
    ],
)
def test_ambiguous_house_numbers_give_alternatives(text: str, readings: list[tuple[str, str | None]]) -> None:
    """A house-apartment pair that could be a slashed house gives both readings, likeliest first."""
    candidates = find_addresses(text)
    assert [(c.value.house, c.value.apartment) for c in candidates] == readings
    assert len({c.span for c in candidates}) == 1
    assert candidates[0].confidence > candidates[1].confidence
    assert "alternative" in candidates[1].notes


def test_several_addresses_in_one_mail() -> None:
    """Readings for two flats give two separate addresses."""
    text = ("Передаю показания по двум квартирам на 01.12.2016:\n"
            "г. Днепр, пр. Пушкина 55, кв. 20 - 21063\n"
            "г. Днепр, пр. Пушкина 55, кв. 21 - 16688\n")
    apartments = [c.value.apartment for c in find_addresses(text)]
    assert apartments == ["20", "21"]


def test_own_flat_and_village_house() -> None:
    """A flat in town and a private house in a village are both found."""
    text = ("Мої показники: м. Дніпро, вул. Короленка 3, кв. 18 — 30306\n"
            "Мамин будинок: с. Петриківка, вул. Гоголя, 40 — 40900")
    values = [c.value for c in find_addresses(text)]
    assert values == [A("Дніпро", "вул.", "Короленка", "3", "18"), A("Петриківка", "вул.", "Гоголя", "40", None)]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("пгт Юбилейный, ул. Тепличная 12, частный дом.", "private_house"),
        ("ул. Гоголя, 25 (частный дом)", "private_house"),
        ("вул. Гоголя, 25, приватний будинок", "private_house"),
        ("ул. Гоголя 25 ч/д", "private_house"),
        ("г. Днепр, ул. Рабочая 5", "city_source=marked"),
        ("Днепр, ул. Рабочая 5", "city_source=bare"),
        ("ул. Рабочая 5 кв 3, Днепр", "city_source=after"),
    ],
)
def test_notes(text: str, note: str) -> None:
    """Notes say how the city was found and mark private houses."""
    assert note in find_addresses(text)[0].notes


def test_typed_street_is_more_confident_than_untyped() -> None:
    """A street type and a city make an address more certain."""
    typed = find_addresses("г. Днепр, ул. Рабочая 5, кв. 12")[0].confidence
    untyped = find_addresses("Рабочая 5")[0].confidence
    assert typed > untyped


def test_address_number_spans() -> None:
    """address_number_spans returns the house and apartment number spans, and not the reading."""
    text = "Днепр, ул. Рабочая 23, кв. 11. Показания 12345"
    spans = address_number_spans(text)
    assert [text[s:e] for s, e in spans] == ["23", "11"]


def test_only_the_head_of_huge_text_is_searched() -> None:
    """Text beyond MAX_TEXT_CHARS is ignored and a huge input is still handled."""
    text = "x " * MAX_TEXT_CHARS + "г. Днепр, ул. Рабочая 5, кв. 12"
    assert find_addresses(text) == []


@given(st.text(max_size=400))
def test_never_raises(text: str) -> None:
    """Any text, including garbage, gives a list and never an exception."""
    assert isinstance(find_addresses(text), list)


ADDRESS_WORDS = st.sampled_from(
    ["г.", "м.", "с.", "Днепр", "ул.", "вул.", "пр.", "Рабочая", "Робоча", "д.", "буд.", "кв.", "кв", ",", "-",
     "/", "12", "5", "22-41", "12А", "а", "\n", "частный", "дом", "Показания", "12345", "01.12.2016", "№"]
)


@given(st.lists(ADDRESS_WORDS, max_size=30).map(" ".join))
def test_numbers_come_from_the_text(text: str) -> None:
    """Every house and apartment number returned is made of digits that appear inside its span."""
    for candidate in find_addresses(text):
        start, end = candidate.span
        covered = text[start:end]
        for number in (candidate.value.house, candidate.value.apartment):
            if number:
                digits = re.sub(r"\D", "", number.split("/")[0])
                assert digits and digits in re.sub(r"\D", "", covered)
