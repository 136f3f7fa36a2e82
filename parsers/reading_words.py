"""Words that label meter readings: reading keywords and register names.

Shared by ``parsers.readings`` (which finds the labelled numbers) and ``parsers.claims`` (which must not
claim a number written after such a word as a street or a model number).
"""

from __future__ import annotations

import re

__all__ = ["KEYWORD", "REGISTER_ALT", "REGISTER_ONLY", "REGISTER_PLAIN", "REGISTER_WORDS", "is_reading_word"]

KEYWORD = re.compile(
    r"(?<!\w)(?:показани\w*|показанн\w*|показанi\w*|показанія\w*|показаня|показник\w*|показател\w*|покази\b"
    r"|показ\.|pokazan\w*|pokazn\w*|readings?\b|данн\w+\s+сч[её]тчика|дані\s+лічильника)", re.IGNORECASE)
"""A reading word: ``показания``, ``показники``, ``дані лічильника`` ..."""

REGISTER_WORDS = (
    ("half_peak", r"полупик\w*|полу-пик\w*|напівпік\w*|напівпик\w*|polupik\w*|napivpik\w*"),
    ("peak", r"пик\w*|пік\w*|peak|pik\b"),
    ("day", r"день|дн[её]м|дневн\w*|денн\w*|вдень|дн\b\.?|day|den\b|dnem\b|dnevn\w*"),
    ("night", r"ночь|ночью|ночн\w*|ніч|нічн\w*|вночі|ноч\b\.?|night|noch\b|nochyu\b|nochn\w*|nich\b|nichn\w*"),
    ("t0", r"[тt]\s?0"), ("t1", r"[тt]\s?1"), ("t2", r"[тt]\s?2"), ("t3", r"[тt]\s?3"),
    ("total_word", r"общ\w*|загальн\w*|сумарн\w*|всего|усього|разом|итого"),
)
"""(register key, regex of its words), tried in this order; Latin transliterations ("den", "noch") too."""

REGISTER_ALT = "|".join(f"(?P<{key}>{words})" for key, words in REGISTER_WORDS)
REGISTER_PLAIN = "|".join(words for _, words in REGISTER_WORDS)
REGISTER_ONLY = re.compile(rf"(?:{REGISTER_ALT})", re.IGNORECASE)


def is_reading_word(word: str) -> bool:
    """Whether a capitalised word before a number is a reading or register word (so not a street/model)."""
    return bool(KEYWORD.match(word) or REGISTER_ONLY.fullmatch(word))
