"""Regexes rewritten to start with their first character find exactly what their original form finds."""

from __future__ import annotations

import random
import re

import pytest

from parsers import accounts, phones, readings
from parsers.reading_words import KEYWORD

PIECES = ["+", "+38", " ", "\u00a0", "(", ")", "-", "\u2010", "\u2013", "\t", "0", "1", "12", "067", "123", "45",
          "67", "8", "380", "0671234567", "1234567890", "12345678901", "а", "a", "_", ".", ",", "\n", "тел", "Т", "№",
          "12 345", "1 234 567", "0,5", "3.14", "x", "показания", "Показник", "ПОКАЗ.", "pokazaniya", "Readings",
          "дані лічильника", "данные счётчика", "покази", "опоказ", "показанiя"]
PAIRS = [(phones._RUN_SOURCE, phones._RUN), (accounts._BARE_SOURCE, accounts._BARE),
         (readings._TOKEN_SOURCE, readings._TOKEN), (KEYWORD.pattern, readings._KEYWORD.plain),
         (KEYWORD.pattern, readings._KEYWORD.folding)]


def _groups(pattern: re.Pattern[str], text: str, pos: int, endpos: int) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(match.span(g) for g in range(pattern.groups + 1)) for match in pattern.finditer(text, pos, endpos)]


def _assert_same_matches(original: re.Pattern[str], fast: re.Pattern[str], pieces: list[str], seed: str,
                         longest: int) -> None:
    """``fast`` finds what ``original`` finds (every group's span) over 20,000 random texts made of ``pieces``."""
    rng = random.Random(seed)
    matched = 0
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, longest)))
        start = rng.randint(0, len(text))
        for pos, endpos in ((0, len(text)), (start, rng.randint(start, len(text)))):
            found = _groups(original, text, pos, endpos)
            assert _groups(fast, text, pos, endpos) == found, (text, pos, endpos)
            matched += bool(found)
    assert matched > 500


@pytest.mark.parametrize(("source", "fast"), PAIRS)
def test_same_matches(source: str, fast: re.Pattern[str]) -> None:
    """Each fast form of a claim pattern finds what its source finds."""
    _assert_same_matches(re.compile(source, fast.flags & re.IGNORECASE), fast, PIECES, source, 16)


CUE_PIECES = [
    "показания", "пример", "например", "приклад", "образец", "зразок", "e.g.", "ваш", "ваши", "принят", "прийнято",
    "зарегистрированы", "учтены", "враховано", "правильные", "вірні", "верные", "исправленные", "уточнен", "уточнён",
    "корректные", "те же", "такие же", "ті ж", "такі же", "не изменились", "без змін", "за", "прошлые", "было",
    "стало", "новые показания", "ошибся", "неправильно", "вірна", "опечатка", "Т", "П", "В", "З", "У", "Б", "Н", "О",
    "Е", " ", "  ", "\n", ",", ".", "-", "_", "1", "12345", "a", "ы", "ї"]


@pytest.mark.parametrize("name", ["_EXAMPLE_CUE", "_YOUR", "_ACCEPTED", "_RIGHT_CUE", "_SAME_CUE", "_CUE",
                                  "_CORRECTION_CUE", "_REGISTER_BEFORE", "_SLASHED"])
def test_caseless_regex_hoisted_form(name: str) -> None:
    """The compiled (hoisted) forms of the readings' cue regexes find what their sources find."""
    regex = getattr(readings, name)
    source = regex.source
    rng = random.Random(name)
    for _ in range(4000):
        text = "".join(rng.choice(CUE_PIECES) for _ in range(rng.randint(1, 10)))
        text = rng.choice([text, text.upper(), text.capitalize()])
        start = rng.randint(0, len(text))
        for pos, endpos in ((0, len(text)), (start, rng.randint(start, len(text)))):
            assert _groups(regex.folding, text, pos, endpos) == _groups(re.compile(source, re.I), text, pos, endpos)
            lowered = text.lower()
            assert _groups(regex.plain, lowered, pos, endpos) == _groups(re.compile(source), lowered, pos, endpos)


ACCOUNT_PIECES = ["л/с", "л / сч.", "л.с.", "лс", "лицевой счет", "лиц. сч", "лиц.сч.", "особовий рахунок", "о/р",
                  "ос. рах.", "ос/р", "номер рахунку", "номер счета", "account", "account no.", "acc.", "счет",
                  "счётчик", "рахунку", "№", "n", "no", "номер", ":", "-", "#", " ", "\u00a0", "\n", "a", "ы", "_",
                  "1", "0123456789", "123456789", "12 34", "1-2", "0", "б", "ол", "по"]


def test_account_labels_hoisted_form() -> None:
    """The labelled-account regex grouped by first letters finds what its source finds (on lower case)."""
    _assert_same_matches(re.compile(accounts._LABELLED_SOURCE), accounts._LABELLED, ACCOUNT_PIECES, "accounts", 12)
