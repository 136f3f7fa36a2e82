"""Tests for parsers.readings: how far a previous/current cue reaches, and stated corrections."""

from __future__ import annotations

import pytest

from parsers.readings import find_readings

# text -> (current reading, conflicting)
CUE_SCOPE: list[tuple[str, dict[str, int] | None, bool]] = [
    # a cue about money does not make the next reading a previous one
    ("Сплатила 1 245,60 грн за травень, до сплати було 1 318,32 грн.\nПоказники лічильника 26 455 на 01.06.2025.",
     {"total": 26455}, False),
    ("Было начислено 450 грн, показания 12345", {"total": 12345}, False),
    ("Было 450 грн, показания 12345", {"total": 12345}, False),
    ("Прошлый счёт было 312,50 грн, показания 8841", {"total": 8841}, False),
    # a new sentence about the reading ends the cue's reach
    ("Передавала в прошлом месяце. Показания 12345", {"total": 12345}, False),
    ("Минулого разу подавала із запізненням. Показники 40212", {"total": 40212}, False),
    # a cue still labels the number it speaks of
    ("Было 12000, стало 12400", {"total": 12400}, False),
    ("Предыдущие показания 12000", None, False),
    ("Предыдущие показания:\n12000", None, False),
    ("Было: 12000. Стало: 12400.", {"total": 12400}, False),
    ("Прошлые показания 12000. Текущие показания 12400", {"total": 12400}, False),
    ("Было:\nпоказания 12000\nСтало:\nпоказания 12400", {"total": 12400}, False),
]


@pytest.mark.parametrize(("text", "current", "conflicting"), CUE_SCOPE)
def test_cue_reaches_only_its_own_number(text: str, current: dict[str, int] | None, conflicting: bool) -> None:
    """A previous/current cue applies to its own number, not past money or into a new reading sentence."""
    found = find_readings(text)
    assert (found.current, found.conflicting) == (current, conflicting)


# text -> (current reading, conflicting)
INSTEAD_OF: list[tuple[str, dict[str, int] | None, bool]] = [
    ("Правильные показания: 31 208 (а не 31 280).", {"total": 31208}, False),
    ("Показания 31208, а не 31280", {"total": 31208}, False),
    ("Показания 31208 (не 31280)", {"total": 31208}, False),
    ("Показники не 31280, а 31208", {"total": 31208}, False),
    ("Т1 12345 (а не 12354), Т2 5432", {"day": 12345, "night": 5432}, False),
    # without the "не" pairing both values stand, and a doubtful pairing stays a conflict
    ("Показания 31208 а 31280", None, True),
    ("день не 12354, а 12345, ночь 5432", None, True),
    ("Показания 31208 или 31280", None, True),
]


@pytest.mark.parametrize(("text", "current", "conflicting"), INSTEAD_OF)
def test_stated_correction_keeps_the_right_value(text: str, current: dict[str, int] | None,
                                                  conflicting: bool) -> None:
    """The forms "X (а не Y)" and "не Y, а X" keep X and set Y aside; other pairs of values still conflict."""
    found = find_readings(text)
    assert (found.current, found.conflicting) == (current, conflicting)


def test_rejected_value_is_superseded() -> None:
    """The value after "а не" is kept as a superseded candidate, so a reviewer still sees it."""
    roles = [(c.value, c.label) for c in find_readings("Показания 31 208 (а не 31 280)").candidates]
    assert roles == [({"total": 31208}, "current"), ({"total": 31280}, "superseded")]
