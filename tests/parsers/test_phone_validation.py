"""Phone validation asks ``phonenumbers`` for the number type once: the same answers as validating first."""

from __future__ import annotations

import random

import phonenumbers
from phonenumbers import PhoneNumberType

from parsers.phones import _PERSONAL_TYPES, _valid_e164


def _reference(national: str) -> tuple[str, bool] | None:
    """Validation as ``is_valid_number`` + ``number_type``."""
    try:
        number = phonenumbers.parse(national, "UA")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.number_type(number) in _PERSONAL_TYPES


def test_same_answers_as_is_valid_number() -> None:
    rng = random.Random(380)
    prefixes = [f"0{a}{b}" for a in range(10) for b in range(10)]  # every two-digit prefix after the trunk 0
    nationals = [p + "".join(rng.choice("0123456789") for _ in range(7)) for p in prefixes for _ in range(30)]
    valid = 0
    for national in nationals:
        expected = _reference(national)
        assert _valid_e164(national) == expected, national
        valid += expected is not None
    assert valid > 100 and PhoneNumberType.UNKNOWN not in _PERSONAL_TYPES
