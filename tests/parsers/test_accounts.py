"""Tests for parsers.accounts: personal account numbers, labelled, padded or bare."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parsers.accounts import find_accounts, find_labelled_accounts

# text -> [(value, label)] in order
ACCOUNTS: list[tuple[str, list[tuple[str, str]]]] = [
    ("Лицевой счет 0992981635. Показания 32447", [("0992981635", "labelled")]),
    ("Лицевой счет 7281268426", [("7281268426", "labelled")]),
    ("лицевой счёт: 1234567890", [("1234567890", "labelled")]),
    ("лиц. счет 1234567890", [("1234567890", "labelled")]),
    ("лиц.сч. 1234567890", [("1234567890", "labelled")]),
    ("л/с 0123456789", [("0123456789", "labelled")]),
    ("л/сч: 0123456789", [("0123456789", "labelled")]),
    ("л.с. 0123456789", [("0123456789", "labelled")]),
    ("ЛС 0123456789", [("0123456789", "labelled")]),
    ("Особовий рахунок: 5819340333", [("5819340333", "labelled")]),
    ("Особовий рахунок 7661934542", [("7661934542", "labelled")]),
    ("за особовим рахунком 6957515822 прийнято", [("6957515822", "labelled")]),
    ("о/р 0123456789", [("0123456789", "labelled")]),
    ("ос. рах. 0123456789", [("0123456789", "labelled")]),
    ("номер рахунку 1234567890", [("1234567890", "labelled")]),
    ("номер счета: 1234567890", [("1234567890", "labelled")]),
    ("account 0123456789", [("0123456789", "labelled")]),
    ("Account No. 0123456789", [("0123456789", "labelled")]),
    ("л/с № 0123456789", [("0123456789", "labelled")]),
    ("л/с 0123 456 789", [("0123456789", "labelled")]),
    ("л/с 0123-456-789", [("0123456789", "labelled")]),
    ("№ 0123456789", [("0123456789", "labelled")]),
    ("рахунок 1234567890", [("1234567890", "labelled")]),
    ("счет 0123456789", [("0123456789", "labelled")]),
    ("ЛИЦЕВОЙ СЧЕТ 0123456789", [("0123456789", "labelled")]),
    # written without leading zeros
    ("л/с 11055495", [("0011055495", "padded")]),
    ("л/с 123456789", [("0123456789", "padded")]),
    ("о/р 123456789", [("0123456789", "padded")]),
    ("лиц. счет 1234567", [("0001234567", "padded")]),
    ("особовий рахунок 12345678", [("0012345678", "padded")]),
    # bare
    ("9879937850\n1 # 001952", [("9879937850", "bare")]),
    ("ИНН 1234567890", [("1234567890", "bare")]),
    ("0957731842", [("0957731842", "bare_phone_like")]),
    ("Лысенко В.А. 0503321190", [("0503321190", "bare_phone_like")]),
    # not accounts
    ("л/с 12345", []),
    ("л/с 12345678901", []),
    ("рахунок 123456789", []),
    ("счет 1234567", []),
    ("Счет на оплату № 3487", []),
    ("Тел. 0677410025", []),
    ("телефон 0671234567", []),
    ("Счетчик № 0123456789", []),
    ("счетчик 0123456789", []),
    ("заводской номер: 0123456789", []),
    ("+380671234567", []),
    ("80671234567", []),
    ("12345678901", []),
    ("Показания 12345", []),
    ("01.12.2016", []),
    ("", []),
]


@pytest.mark.parametrize(("text", "expected"), ACCOUNTS)
def test_find_accounts(text: str, expected: list[tuple[str, str]]) -> None:
    """Each written form of an account yields its 10-digit value and the right label."""
    assert [(candidate.value, candidate.label) for candidate in find_accounts(text)] == expected


def test_several_accounts_in_order_without_duplicates() -> None:
    """Accounts come in text order and a repeated one is returned once."""
    text = "л/с 0123456789, второй л/с 1111111111, снова 0123456789"
    assert [candidate.value for candidate in find_accounts(text)] == ["0123456789", "1111111111"]


def test_confidence_orders_labels() -> None:
    """Labelled beats padded beats bare beats phone-like."""
    confidences = [find_accounts(text)[0].confidence
                   for text in ("л/с 0123456789", "л/с 123456789", "1234567890", "0671234567")]
    assert confidences == sorted(confidences, reverse=True)
    assert len(set(confidences)) == 4


def test_span_is_the_number() -> None:
    """The span covers the digits of the account, not its label."""
    text = "Особовий рахунок: 5819340333."
    candidate = find_accounts(text)[0]
    assert text[candidate.span[0] : candidate.span[1]] == "5819340333"


def test_labelled_only_skips_bare_numbers() -> None:
    """``find_labelled_accounts`` keeps labelled and padded accounts and leaves bare numbers out."""
    text = "9879937850, л/с 123456789"
    assert [candidate.value for candidate in find_labelled_accounts(text)] == ["0123456789"]


TEXTS = st.one_of(
    st.text(),
    st.lists(st.sampled_from(["0", "123", "4567890", "л/с", "лицевой счет", "№", " ", "-", "тел.", "\n",
                              "0671234567", "счетчик"]), max_size=30).map("".join),
)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_never_raises_and_digits_come_from_the_input(text: str) -> None:
    """Any input is accepted; values are 10 digits whose significant digits are under the span."""
    for candidate in find_accounts(text):
        assert re.fullmatch(r"[0-9]{10}", candidate.value)
        written = re.sub(r"[^0-9]", "", text[candidate.span[0] : candidate.span[1]])
        assert written.lstrip("0") == candidate.value.lstrip("0")


@pytest.mark.parametrize("value", [None, 1234567890, b"0123456789"])
def test_non_text_gives_nothing(value: object) -> None:
    """A value that is not a string yields no accounts instead of an error."""
    assert find_accounts(value) == []  # type: ignore[arg-type]
