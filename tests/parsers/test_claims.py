"""The claim triggers only skip work: every match of a claim pattern holds a match of its trigger."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from mailworker.pipeline import Context, DecodeStage
from mailworker.stages.extract import split_texts
from parsers import claims
from parsers.reading_words import is_reading_word

# At least one example of every claim pattern, in the case people write it.
SAMPLES = [
    "01.12.2016, 1/2/16 и 1-12-2016; 2016-12-01; 12.2016 и 3/2017; на 1.12 или 1/12",
    "Сняты 1 декабря 2016, 5-го грудня, 3 янв. 2017; декабрь 2016, Листопад, 2016, December 2016",
    "Dec 5th, 2016 or jan 3 or 5 DEC 2016; с 1 по 5, від 26.12 до 9; на 1-е число, до 5 числа",
    "3-х раз, 12-й; в 10:15 и 10:15:30; 2016 г., 2017 року, 2016year",
    "150 грн, 12,50 коп, 100 UAH, 1 000 руб, 20$, 15 usd, 3 євро; ₴ 150, $20, грн. 30, uah 5",
    "Сумма 150, оплатила 300, долг 1 200,50, ціна 5; 50%, 3 процента, 5 відсотків",
    "Счетчик № 123, лічильник номер 5-6, прибор учета n 77; заводской номер 12345, зав. № 5, S/N 999, serial 5",
    "номер счетчика 123456, номер лічильника: 77; № 5, No. 7, nr 5/6, n° 3",
    "Расход 150 кВт, нараховано 412, різниця 33; 150 кВт за месяц, 200 квт за этот период",
    "50 мм, 3 месяца, 2 тарифа, 5 кварт., 12 квартир, 3 дня; 70x50, 3 х 4; НИК 2102, CE 101",
    "кв. 12, д.5, под'езд 2, секция 3, kv 4; ул. Рабочая 5, просп. Гагарина, 12/1, ж/м Тополь 2, Ш. 3 Победы 5",
    "индекс 49000, Індекс: 52000; https://x.example/a1, www.site.example/1, ivan12@mail.example; 49000, г. Днепр",
    "52005 Днепр, Титова 6, 78 (частный дом)\nД 9610\nН 4650\nПоказания 1#001952 2#000123",
]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "emails"


def _texts() -> list[str]:
    texts = list(SAMPLES) + [sample.upper() for sample in SAMPLES]
    for path in sorted(FIXTURES.glob("*.eml")):
        context = Context(raw=path.read_bytes())
        DecodeStage()(context)
        texts.extend(split_texts(context).values())
    return texts


def _every_pattern_mask(text: str) -> bytearray:
    """The mask with every claim pattern run over every window (no trigger skips any)."""
    mask = bytearray(len(text))
    windows = claims.digit_windows(text, claims.Lines(text))
    lowered = text.lower()
    folding = len(lowered) != len(text)
    for claim in claims._CLAIMS:
        pattern = claim.folding if claim.lowered and folding else claim.pattern
        subject = lowered if claim.lowered and not folding else text
        for start, end in windows:
            for match in pattern.finditer(subject, start, end):
                if not (claim.word_group and is_reading_word(match.group("w"))):
                    claims.mark(mask, *(match.span("n") if claim.number_group else match.span()))
    claims._release(mask, claims._letter_register_spans(text))
    return mask


@pytest.mark.parametrize("index", range(len(claims._CLAIMS)))
def test_trigger_occurs_in_every_match(index: int) -> None:
    """Wherever a pattern matches inside a window, its trigger matches from that start to the window's end."""
    claim = claims._CLAIMS[index]
    if claim.trigger is None:
        return
    matched = 0
    for text in _texts():
        subject = text.lower() if claim.lowered else text
        if len(subject) != len(text):
            continue
        for start, end in claims.digit_windows(text, claims.Lines(text)):
            for match in claim.pattern.finditer(subject, start, end):
                matched += 1
                assert claims._occurs(claim, subject, match.start(), end), (claim.pattern.pattern, match.group())
    assert matched, f"no sample for {claim.pattern.pattern}"


def test_mask_equals_running_every_pattern() -> None:
    for text in _texts():
        assert claims.claimed_mask(text, claims.Lines(text), (), False) == _every_pattern_mask(text)


def _random_texts(seed: str, count: int) -> list[str]:
    """Strings made of address words, capitals, digits and separators, in every case."""
    rng = random.Random(seed)
    pieces = ["кв", "кв.", "квартира", "к-ра", "д", "д.", "дом", "буд", "корп", "под'езд", "секция", "kv", "d", "dom",
              "ул", "ул.", "вул", "пр", "пр-т", "ш", "ж/м", "жм", "мкр", "ul", "vul", "pr", "Рабочая", "РАБОЧАЯ",
              "Сыровца", "НИК", "CE", "ДД", "Д", "Н", "Показания", "Тел", "8", "Марта", "12", "5", "123", "4567",
              "12/1", "22-41", "2-я", "Тополь-3", "A", "Ж", "-", "'", "’", ".", ",", " ", " ", "\n", "\t", "\u00a0",
              "№", "(", ")", "х", "ё", "Ї", "і", "ґ", "_", "a1", "б", "Бул"]
    texts = []
    for _ in range(count):
        text = "".join(rng.choice(pieces) + rng.choice(["", " ", "", ", "]) for _ in range(rng.randint(1, 14)))
        texts.append(rng.choice([text, text.upper(), text.lower(), text.title()]))
    return texts


@pytest.mark.parametrize("source", list(claims._FAST_FORMS))
def test_fast_form_finds_the_same(source: str) -> None:
    """A rewritten claim pattern finds exactly what its source finds, with any flags, window and case."""
    flags = next(f for s, f, _ in claims._CLAIM_SOURCES if s == source)
    fast = claims._FAST_FORMS[source]
    rng = random.Random(0)
    for variant in {flags, flags & ~re.IGNORECASE}:
        original, rewritten = re.compile(source, variant), re.compile(fast, variant)
        for text in _texts() + _random_texts(source, 3000):
            for pos, endpos in [(0, len(text)), *((rng.randint(0, len(text)), rng.randint(0, len(text)))
                                                 for _ in range(3))]:
                assert _groups(original, text, pos, endpos) == _groups(rewritten, text, pos, endpos), text


def _groups(pattern: re.Pattern[str], text: str, pos: int, endpos: int) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(match.span(g) for g in range(pattern.groups + 1)) for match in pattern.finditer(text, pos, endpos)]


def test_needed_spans_read_the_same() -> None:
    """With ``needed`` (and some of it excluded), every needed span is claimed exactly when it is without it."""
    from parsers.readings import _DIGITS, _TOKEN

    rng = random.Random(7)
    for text in _texts() + _random_texts("needed", 2000):
        lines = claims.Lines(text)
        needed = [m.span() for m in _TOKEN.finditer(text)] + [m.span() for m in _DIGITS.finditer(text)]
        exclude = [span for span in needed if rng.random() < 0.4]
        full = claims.claimed_mask(text, lines, exclude, False)
        lazy = claims.claimed_mask(text, lines, exclude, False, needed)
        assert [full.find(1, a, b) >= 0 for a, b in needed] == [lazy.find(1, a, b) >= 0 for a, b in needed], text


def test_tight_claims_consume_only_tight_characters() -> None:
    for text in _texts() + _random_texts("tight", 2000):
        for claim in claims._CLAIMS:
            if claim.tight:
                for match in claim.pattern.finditer(text.lower() if claim.lowered else text):
                    assert set(match.group()) <= claims._TIGHT_CHARS, (claim.pattern.pattern, match.group())
