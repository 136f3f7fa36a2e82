"""Tests for mailworker.matching: the e-mail must lead to exactly one registry account (policy 4)."""

from __future__ import annotations

import statistics
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailworker.matching import AccountMatch, MatchResult, RegistryIndex
from mailworker.registry import RegistryRecord, StreetAlias
from parsers.addresses import find_addresses
from parsers.types import Candidate

# account, city, street, house, apartment, phones
ROWS = [
    ("0011055495", "Дніпро", "вул. Князя Ярослава Мудрого", "3", "26", ("+380682321596",)),
    ("1443620168", "Дніпро", "вул. Робоча", "23", "1", ("+380688626751",)),
    ("3960020709", "Дніпро", "вул. Робоча", "23", "11", ("+380672067262",)),
    ("2767521778", "Дніпро", "вул. Робоча", "23", "10", ()),
    ("3289459815", "Дніпро", "вул. Робоча", "15", "3", ("+380503318064",)),
    ("7954695828", "Любимівка", "вул. Центральна", "3", None, ("+380503318064",)),
    ("6219866813", "Дніпро", "вул. Шевченка", "45", "7", ("+380502699312",)),
    ("2480202184", "Нікополь", "вул. Шевченка", "45", "7", ("+380668985279",)),
    ("5256534116", "Дніпро", "просп. Дмитра Яворницького", "101", "45", ("+380671902346",)),
    ("4415831959", "Дніпро", "просп. Дмитра Яворницького", "101", "46", ("+380991636537",)),
    ("7281268426", "Дніпро", "просп. Дмитра Яворницького", "101", "44", ("+380977085025",)),
    ("9956083769", "Кривий Ріг", "просп. Поштовий", "31", "14", ()),
    ("5181581629", "Петриківка", "вул. Гоголя", "40", None, ("+380937518075",)),
    ("7759130253", "Петриківка", "вул. Гоголя", "25", None, ()),
    ("6457625363", "Дніпро", "вул. Лісопильна", "8А", None, ()),
    ("7048518962", "Дніпро", "вул. Лісопильна", "14", None, ()),
    ("4816344260", "Кам'янське", "вул. Кринична", "17/1", None, ("+380956442211",)),
    ("1929454579", "Кам'янське", "вул. Кринична", "21", None, ("+380979015382",)),
    ("5236341570", "Кам'янське", "вул. Сировця", "12", "30", ("+380505550687",)),
    ("4402445532", "Дніпро", "просп. Пушкіна", "55", "20", ()),
    ("9883291392", "Дніпро", "просп. Пушкіна", "55", "21", ()),
    ("9293271982", "Дніпро", "вул. Глінки", "7", "12", ()),
    ("7343157999", "Дніпро", "вул. Глінки", "7", "30", ("+380984609504",)),
    ("7037802029", "Дніпро", "вул. Мандриківська", "51", "203", ()),
    ("6493457515", "Нікополь", "просп. Трубників", "22", "41", ()),
    ("1869148141", "Дніпро", "просп. Гагаріна", "5", "12", ()),
    ("9104978125", "Кривий Ріг", "просп. Гагаріна", "10", "5", ()),
    ("6506163394", "Кривий Ріг", "мкр. Сонячний", "12", "101", ()),
    ("5924028031", "Слобожанське", "вул. Теплична", "12", None, ()),
    ("1382471716", "Дніпро", "вул. Набережна Перемоги", "50", "120", ()),
    ("8313390497", "Дніпро", "просп. Слобожанський", "71", "9", ()),
    ("0992981635", "Дніпро", "просп. Пушкіна", "55", "12", ()),
    ("3576332225", "Кам'янське", "вул. Тритузна", "160", "5", ()),
]
ALIASES = [
    StreetAlias(None, "Днепропетровск", "Дніпро"),
    StreetAlias(None, "Днепр", "Дніпро"),
    StreetAlias(None, "Днепродзержинск", "Кам'янське"),
    StreetAlias(None, "Каменское", "Кам'янське"),
    StreetAlias(None, "Кривой Рог", "Кривий Ріг"),
    StreetAlias(None, "Никополь", "Нікополь"),
    StreetAlias(None, "Юбилейный", "Слобожанське"),
    StreetAlias(None, "Любимовка", "Любимівка"),
    StreetAlias(None, "Петриковка", "Петриківка"),
    StreetAlias("Дніпро", "пр. Карла Маркса", "просп. Дмитра Яворницького"),
    StreetAlias("Дніпро", "пр. Яворницкого", "просп. Дмитра Яворницького"),
    StreetAlias("Дніпро", "ул. Ленинградская", "вул. Князя Ярослава Мудрого"),
    StreetAlias("Дніпро", "ул. Рабочая", "вул. Робоча"),
    StreetAlias("Дніпро", "ул. Шевченко", "вул. Шевченка"),
    StreetAlias("Дніпро", "ул. Мандрыковская", "вул. Мандриківська"),
    StreetAlias("Дніпро", "ул. Набережная Победы", "вул. Набережна Перемоги"),
    StreetAlias("Дніпро", "пр. Правды", "просп. Слобожанський"),
    StreetAlias("Дніпро", "пр. Гагарина", "просп. Гагаріна"),
    StreetAlias("Нікополь", "ул. Шевченко", "вул. Шевченка"),
    StreetAlias("Нікополь", "пр. Трубников", "просп. Трубників"),
    StreetAlias("Кривий Ріг", "пр. Карла Маркса", "просп. Поштовий"),
    StreetAlias("Кривий Ріг", "мкрн. Солнечный", "мкр. Сонячний"),
    StreetAlias("Кам'янське", "ул. Сыровца", "вул. Сировця"),
    StreetAlias("Кам'янське", "ул. Криничная", "вул. Кринична"),
]


def records() -> list[RegistryRecord]:
    return [RegistryRecord(account, "1", 1, city, street, house, apartment, phones, {"total": 100}, None, 100)
            for account, city, street, house, apartment, phones in ROWS]


INDEX = RegistryIndex.build(records(), ALIASES)


def account(value: str, confidence: float = 0.95) -> Candidate[str]:
    return Candidate(value, confidence, (0, len(value)), "labelled")


def phone(value: str, confidence: float = 0.9) -> Candidate[str]:
    return Candidate(value, confidence, (0, 13), "labelled")


def match(text: str, accounts: tuple[str, ...] = (), phones: tuple[str, ...] = (),
          index: RegistryIndex = INDEX) -> MatchResult:
    return index.match(find_addresses(text), [account(a) for a in accounts], [phone(p) for p in phones])


ADDRESS_CASES = [
    # renamed city and street, Russian spellings
    ("г. Днепропетровск, пр. Карла Маркса, д. 101, кв. 45", "5256534116"),
    ("г. Кривой Рог, пр. Карла Маркса, 31, кв. 14", "9956083769"),  # the alias depends on the city
    ("Днепр, ул. Ленинградская 3, кв. 26", "0011055495"),
    ("Днепродзержинск, ул. Сыровца 12 кв 30", "5236341570"),
    ("Каменское, ул. Сыровца 12 кв 30", "5236341570"),
    ("Кам’янське, вул. Тритузна 160, кв. 5", "3576332225"),
    ("пгт Юбилейный, ул. Тепличная 12, частный дом", "5924028031"),
    ("с.Любимовка ул.Центральная 3", "7954695828"),
    ("с. Петриковка, ул. Гоголя, 25 (частный дом)", "7759130253"),
    ("г. Кривой Рог, мкрн. Солнечный, д. 12, кв. 101", "6506163394"),
    ("Днепр, ул. Набережная Победы 50 кв 120", "1382471716"),
    ("Набережная Победы 50 кв 120", "1382471716"),
    ("пр. Правды 71 кв 9, Днепр", "8313390497"),
    ("Слобожанський просп. 71 кв 9", "8313390497"),
    ("Никополь, Трубников 22-41", "6493457515"),
    ("м. Дніпро, вул. Глінки 7, кв. 30", "7343157999"),
    # no city or no street type, unique in the registry
    ("Гагарина 5 кв 12", "1869148141"),
    ("Рабочая 23 кв 1", "1443620168"),
    ("адрес: Робоча, 23, кв.11", "3960020709"),
    ("Яворницкого 101 кв 46", "4415831959"),
    ("Дмитра Яворницького 101, кв. 44", "7281268426"),
    # typos forgiven
    ("Днепр, ул. Мандрыковкая 51 кв 203", "7037802029"),
    ("Днепр, ул. Рабочя 23 кв 10", "2767521778"),
    ("Днепр, ул. Шевчено 45 кв 7", "6219866813"),
    # Latin transliteration and CAPS
    ("Dnipro, vul. Robocha 23 kv 11", "3960020709"),
    ("Kamianske, vul. Syrovtsia 12, kv. 30", "5236341570"),
    ("ДНЕПР, УЛ. РАБОЧАЯ 15 КВ 3", "3289459815"),
    # an unknown word where a city could be does not hide a unique flat
    ("Иванова Мария, Рабочая 23 кв 10", "2767521778"),
    ("ул. Рабочая 23 кв 10, Алексей", "2767521778"),
    # house and apartment forms
    ("Кам'янське, вул. Кринична 17/1", "4816344260"),
    ("Днепр, ул. Лесопильная 8-а", "6457625363"),
    ("Днепр, ул. Лесопильная 8 А, частный дом", "6457625363"),
]


@pytest.mark.parametrize(("text", "expected"), ADDRESS_CASES)
def test_address_leads_to_one_account(text: str, expected: str) -> None:
    """Renamed, Russian, transliterated, typo'd or incomplete addresses still find their one account."""
    result = match(text)
    assert (result.account_id, result.reasons) == (expected, [])
    assert result.candidates[0] == AccountMatch(expected, result.candidates[0].score, "address",
                                                result.candidates[0].notes)


NEVER_CONFUSED = [
    ("Днепр, ул. Лесопильная 8", "no_account_match"),  # 8 is not 8А
    ("Каменское, ул. Криничная 17", "no_account_match"),  # 17 is not 17/1
    ("Каменское, ул. Криничная 17/2", "no_account_match"),
    ("Рабочая 23 кв 111", "no_account_match"),  # 111 is neither 1 nor 11
    ("Рабочая 23 кв 2", "no_account_match"),
    ("Днепр, ул. Рабочая 24 кв 1", "no_account_match"),
    ("Днепр, ул. Рабочая 230 кв 1", "no_account_match"),
    ("ул. Шевченко 45 кв 7", "ambiguous_account"),  # Дніпро and Нікополь
    ("Шевченко 45 кв 7", "ambiguous_account"),
    ("Яворницкого 101", "ambiguous_account"),  # an apartment block without a flat
    ("Днепр, Рабочая 23", "ambiguous_account"),
    ("с. Петриковка, ул. Гоголя, 41", "no_account_match"),
    ("Новомосковськ вул Українська 44 кв 2", "no_account_match"),
    ("г. Павлоград, ул. Рабочая 23 кв 1", "no_account_match"),  # the street is in another town
    ("с. Марьевка, ул. Гоголя, 40", "no_account_match"),  # an unknown village
    ("Днепр, ул. Победы 50 кв 120", "no_account_match"),  # "Победы" alone is not "Набережна Перемоги"
    ("Днепр, ул. Зелёная 23 кв 1", "no_account_match"),
]


@pytest.mark.parametrize(("text", "reason"), NEVER_CONFUSED)
def test_houses_apartments_and_towns_are_never_confused(text: str, reason: str) -> None:
    """12 is not 12А or 12/1, flat 1 is not 11, and a town or a block that does not decide gives no account."""
    result = match(text)
    assert (result.account_id, result.reasons) == (None, [reason])


@pytest.mark.parametrize(
    ("text", "accounts", "phones", "expected", "reasons"),
    [
        # the account number alone, or agreeing with the address
        ("", ("0992981635",), (), "0992981635", []),
        ("", ("992981635",), (), "0992981635", []),  # leading zero lost
        ("", ("11055495",), (), "0011055495", []),
        ("г. Днепр, ул. Ленинградская 3, кв. 26", ("11055495",), (), "0011055495", []),
        ("Яворницкого 101", ("7281268426",), (), "7281268426", []),  # the account picks the flat of the block
        # an account number that contradicts the address or the phone
        ("г. Днепр, пр. Яворницкого 101, кв. 46", ("7281268426",), (), None, ["ambiguous_account"]),
        ("", ("7281268426",), ("+380991636537",), None, ["ambiguous_account"]),
        ("", ("7281268426",), ("+380977085025",), "7281268426", []),
        ("ул. Шевченко 45 кв 7", ("1443620168",), (), None, ["ambiguous_account"]),
        ("Днепр, ул. Рабочая 23 кв 99", ("1443620168",), (), None, ["ambiguous_account"]),
        # an account number the registry lacks
        ("", ("0387215590",), (), None, ["no_account_match"]),
        ("", ("0387215590",), ("+380979015382",), None, ["ambiguous_account"]),
        ("Днепр, ул. Рабочая 23 кв 11", ("0387215590",), (), None, ["ambiguous_account"]),
        # two accounts
        ("", ("0992981635", "0011055495"), (), None, ["multiple_accounts"]),
        ("Днепр, ул. Рабочая 23 кв 11", ("3960020709", "0011055495"), (), None, ["multiple_accounts"]),
        # phones
        ("", (), ("+380979015382",), "1929454579", []),  # one phone, one account
        ("", (), ("+380503318064",), None, ["ambiguous_account"]),  # phone shared by two accounts
        ("Днепр, ул. Рабочая 15, кв. 3.", (), ("+380503318064",), "3289459815", []),  # the address decides
        ("с.Любимовка ул.Центральная 3", (), ("+380503318064",), "7954695828", []),
        ("Днепр, ул. Рабочая 15, кв. 3.", (), ("+380979015382",), "3289459815", []),  # address beats phone
        ("Днепр, ул. Рабочая 23 кв 1", (), ("+380671111111",), "1443620168", []),  # unknown phone: no matter
        ("", (), ("+380671111111",), None, ["no_account_match"]),
        ("", (), ("+380979015382", "+380956442211"), None, ["ambiguous_account"]),
        ("Яворницкого 101", (), ("+380991636537",), "4415831959", []),  # the phone picks the flat of the block
        ("Новомосковськ вул Українська 44 кв 2", (), ("+380979015382",), None, ["no_account_match"]),
        ("", (), (), None, ["no_account_match"]),
    ],
)
def test_account_numbers_and_phones(text: str, accounts: tuple[str, ...], phones: tuple[str, ...],
                                    expected: str | None, reasons: list[str]) -> None:
    """Account numbers and phones decide, agree or contradict as policy 4 says."""
    result = match(text, accounts, phones)
    assert (result.account_id, result.reasons) == (expected, reasons)


@pytest.mark.parametrize(
    "text",
    [
        "г. Днепр, пр. Пушкина 55, кв. 20 - 21063\nг. Днепр, пр. Пушкина 55, кв. 21 - 16688",
        "м. Дніпро, вул. Глінки 7, кв. 30 — 30306\nс. Петриківка, вул. Гоголя, 40 — 40900",
        "Рабочая 23 кв 1\nДнепр, ул. Рабочая 23 кв 11",
    ],
)
def test_two_addresses_of_two_accounts(text: str) -> None:
    """Readings for two flats (or a flat and a village house) are multiple_accounts, with both candidates."""
    result = match(text)
    assert (result.account_id, result.reasons) == (None, ["multiple_accounts"])
    assert len(result.candidates) == 2


@pytest.mark.parametrize(
    "text",
    [
        "Показания, Рабочая 15 кв 3\nДобрый день!\nДнепр, ул. Рабочая 15, кв. 3.",
        "Рабочая 23 кв 1\nг. Днепр, ул. Рабочая 23",  # the block mention includes the flat
        "пр. Героев 12\nДнепр, ул. Рабочая 23 кв 1",  # an address of a street the registry lacks is noise
        "Днепр, ул. Глинки 7 кв 30\nПример: г. Днепр, ул. Рабочая, д. 1, кв. 1",
    ],
)
def test_repeated_or_noise_addresses_do_not_block(text: str) -> None:
    """The same address twice, or an example address on another street, still gives the one account."""
    assert match(text).account_id in {"3289459815", "1443620168", "7343157999"}


def test_example_address_on_the_same_street_is_a_contradiction() -> None:
    """An address on the matched account's street with another unknown number makes it ambiguous."""
    result = match("Днепр, ул. Рабочая 23 кв 1\nДнепр, ул. Рабочая 23 кв 99")
    assert (result.account_id, result.reasons) == (None, ["ambiguous_account"])


def test_candidates_are_ranked_with_their_evidence() -> None:
    """Candidates list every account the evidence touches, best first, saying through what."""
    result = match("г. Днепр, ул. Ленинградская 3, кв. 26", ("0011055495",), ("+380503318064",))
    assert result.account_id == "0011055495"
    best = result.candidates[0]
    assert (best.account_id, best.via) == ("0011055495", "account+address")
    assert {c.account_id for c in result.candidates[1:]} == {"3289459815", "7954695828"}
    assert all(c.via == "phone" for c in result.candidates[1:])
    assert [c.score for c in result.candidates] == sorted((c.score for c in result.candidates), reverse=True)


def test_fuzzy_threshold_is_configurable() -> None:
    """A strict threshold stops forgiving a typo that the default forgives."""
    strict = RegistryIndex.build(records(), ALIASES, fuzzy_threshold=99)
    assert match("Днепр, ул. Мандрыковкая 51 кв 203").account_id == "7037802029"
    assert match("Днепр, ул. Мандрыковкая 51 кв 203", index=strict).reasons == ["no_account_match"]


def test_alias_applies_only_in_its_city() -> None:
    """A street alias of one city does not rename a street of another."""
    assert match("Никополь, ул. Ленинградская 3, кв. 26").reasons == ["no_account_match"]


TYPE_WORD_ROWS = [
    ("8375162907", "Дніпро", "вул. Січеславська Набережна", "40", "101", ()),
    ("4100000001", "Дніпро", "пл. Соборна", "3", "7", ()),
    ("4100000002", "Дніпро", "вул. Бульварна", "9", "2", ()),
]
TYPE_WORD_INDEX = RegistryIndex.build(
    [RegistryRecord(account, "1", 1, city, street, house, apartment, phones, {"total": 100}, None, 100)
     for account, city, street, house, apartment, phones in TYPE_WORD_ROWS],
    [StreetAlias(None, "Днепр", "Дніпро"),
     StreetAlias("Дніпро", "наб. Ленина", "вул. Січеславська Набережна"),
     StreetAlias("Дніпро", "Набережна Леніна", "вул. Січеславська Набережна"),
     StreetAlias("Дніпро", "пл. Ленина", "пл. Соборна")],
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Днепр, Набережная Ленина 40, кв. 101", "8375162907"),
        ("м. Дніпро, Набережна Леніна 40, кв. 101", "8375162907"),
        ("Днепр, наб. Ленина 40, кв. 101", "8375162907"),
        ("Днепр, Площадь Ленина 3 кв 7", "4100000001"),
        ("Днепр, пл. Ленина 3 кв 7", "4100000001"),
        ("Днепр, ул. Бульварная 9 кв 2", "4100000002"),
    ],
)
def test_alias_whose_name_starts_with_a_type_word(text: str, expected: str) -> None:
    """An old name led by a type word ("Набережная Ленина") matches its alias however the type is written."""
    assert match(text, index=TYPE_WORD_INDEX).account_id == expected


def test_get() -> None:
    """get returns the registry record of an account, or None."""
    record = INDEX.get("0011055495")
    assert record is not None and record.street == "вул. Князя Ярослава Мудрого"
    assert INDEX.get("0000000000") is None


def test_match_is_fast() -> None:
    """Matching one e-mail takes well under a millisecond (median over a few shapes)."""
    inputs = [(find_addresses(t), [account(a) for a in acc], [phone(p) for p in ph])
              for t, acc, ph in [("г. Днепропетровск, пр. Карла Маркса, д. 101, кв. 45", (), ()),
                                 ("Днепр, ул. Мандрыковкая 51 кв 203", (), ()),
                                 ("Рабочая 23 кв 1", ("1443620168",), ("+380688626751",))]]
    timings = []
    for _ in range(50):
        for addresses, accounts, phones in inputs:
            start = time.perf_counter()
            INDEX.match(addresses, accounts, phones)
            timings.append(time.perf_counter() - start)
    assert statistics.median(timings) < 0.001


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.lists(st.text(max_size=14), max_size=3), st.lists(st.text(max_size=16), max_size=3))
def test_match_never_raises(text: str, accounts: list[str], phones: list[str]) -> None:
    """Any parsed text and any account or phone strings give a result, never an exception."""
    result = INDEX.match(find_addresses(text), [account(a) for a in accounts], [phone(p) for p in phones])
    assert (result.account_id is None) == bool(result.reasons)
    if result.account_id is not None:
        assert INDEX.get(result.account_id) is not None
