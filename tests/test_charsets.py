"""Charset decoding: declared first, repaired when it lies, never raising."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mailworker.charsets import codec_for, decode_bytes, implausible, repair_mojibake

RU = "Добрый день, прошу принять показания счетчика электроэнергии"
UK = "Доброго дня! Прошу прийняти показники лічильника за грудень, особовий рахунок"


@pytest.mark.parametrize(
    ("text", "actual", "declared"),
    [
        (RU, "cp1251", "windows-1251"),
        (RU, "koi8_r", "koi8-r"),
        (UK, "koi8_u", "koi8-u"),
        (RU, "utf-8", "utf-8"),
        (RU, "cp1251", "koi8-r"),
        (RU, "koi8_r", "windows-1251"),
        (UK, "koi8_u", "windows-1251"),
        (UK, "mac_cyrillic", "utf-8"),
        (RU, "utf-8", "iso-8859-1"),
        (RU, "cp1251", "X-UNKNOWN"),
        (RU, "cp1251", ""),
        (RU, "cp1251", None),
        (UK, "iso8859_5", "us-ascii"),
        (RU, "utf-8", '"utf-8"'),
    ],
)
def test_cyrillic_text_survives_any_declared_charset(text: str, actual: str, declared: str | None) -> None:
    """Text encoded in ``actual`` decodes back exactly even when the declared charset is wrong or unknown."""
    decoded, _ = decode_bytes(text.encode(actual), declared)
    assert decoded == text


@pytest.mark.parametrize("name", ["X-UNKNOWN", "", None, "utf-99", "charset=foo", "\x00"])
def test_unknown_charset_names_do_not_raise(name: str | None) -> None:
    """Unknown or empty charset names map to None instead of raising LookupError."""
    assert codec_for(name) is None


def test_latin_text_is_left_alone() -> None:
    """German text in ISO-8859-1 is not 'repaired' into Cyrillic."""
    text = "Grüße aus München, schöne Grüße"
    assert decode_bytes(text.encode("latin-1"), "iso-8859-1")[0] == text


def test_mojibake_detection_and_repair() -> None:
    """UTF-8 read as Latin-1 is recognised as implausible and repaired."""
    broken = RU.encode("utf-8").decode("latin-1")
    assert implausible(broken)
    assert repair_mojibake(broken) == RU
    assert not implausible(RU)


@given(st.binary(max_size=400), st.sampled_from(["utf-8", "koi8-r", None, "bogus", "windows-1251", "ascii"]))
def test_decode_never_raises(data: bytes, declared: str | None) -> None:
    """Any bytes with any declared charset decode to some text."""
    text, codec = decode_bytes(data, declared)
    assert isinstance(text, str)
    assert codec
