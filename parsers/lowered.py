"""Cheap word checks before case-insensitive regexes.

A case-insensitive regex that needs a word ("было", "показ") cannot match a text whose lower case
lacks that word, so a parser can skip it.  That is only sure when lower-casing maps every character
to one character and none of the regex engine's extra case equivalences can occur (``ſ`` matches
``s``, the Kelvin sign ``k``, ``ᲀ`` ``в`` ...): every character outside ASCII and the Cyrillic block
must be caseless.  ``searchable(text)`` gives the lower case of such a text, else None; the checks
below then always answer "maybe" and the caller runs its regex as before.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator

__all__ = ["CaselessRegex", "Words", "hoisted_words", "searchable"]

_OTHER_SCRIPTS = re.compile(r"[^\x00-\x7f\u0400-\u04ff]+")


def searchable(text: str) -> str | None:
    """``text.lower()`` when word checks on it are sure (see the module docstring), else None."""
    lowered = text.lower()
    if len(lowered) != len(text):
        return None
    others = "".join(_OTHER_SCRIPTS.findall(text))
    if others and (others.lower() != others or others.upper() != others):
        return None
    return lowered


class Words:
    """Lower-case words looked for all at once: one regex search costs less than one ``in`` per word."""

    def __init__(self, *words: str) -> None:
        self.words = words
        self._regex = re.compile("|".join(re.escape(word) for word in words))

    def may_occur(self, lowered: str | None, start: int = 0, end: int = sys.maxsize) -> bool:
        """Whether one of the words may occur in ``lowered[start:end]`` (always when ``lowered`` is None)."""
        return lowered is None or self._regex.search(lowered, start, end) is not None


class CaselessRegex:
    """A case-insensitive regex written in lower case.

    It runs as a plain regex on the ``searchable`` lower case of a text when there is one (about twice as
    fast, and the same matches: lower-casing changes no offset and no character class of the source has
    an upper-case letter without its lower case), else with IGNORECASE on the text itself.
    """

    def __init__(self, source: str) -> None:
        self.folding = re.compile(source, re.IGNORECASE)
        self.plain = re.compile(source)

    def _pick(self, text: str, lowered: str | None) -> tuple[re.Pattern[str], str]:
        return (self.folding, text) if lowered is None else (self.plain, lowered)

    def search(self, text: str, lowered: str | None, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """``Pattern.search`` on ``text`` (through ``lowered`` when given)."""
        pattern, subject = self._pick(text, lowered)
        return pattern.search(subject, pos, endpos)

    def match(self, text: str, lowered: str | None, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """``Pattern.match`` on ``text`` (through ``lowered`` when given)."""
        pattern, subject = self._pick(text, lowered)
        return pattern.match(subject, pos, endpos)

    def finditer(self, text: str, lowered: str | None, pos: int = 0,
                 endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        """``Pattern.finditer`` on ``text`` (through ``lowered`` when given)."""
        pattern, subject = self._pick(text, lowered)
        return pattern.finditer(subject, pos, endpos)


def hoisted_words(guard: str, alternation: str) -> str:
    """``(?<!guard)(?:w1|w2|...)`` rewritten with the lookbehind behind each word's first letter.

    The words are grouped by that letter, keeping their order: at every position the same words are tried
    in the same order, so the matches are the same; but a regex that starts with letters (and not with an
    assertion) lets the regex engine skip to the positions that hold one.  ``guard`` is one character
    (a class); the first letters must be distinct lower-case letters, the words free of top-level "|".
    """
    assert alternation.startswith("(?:") and alternation.endswith(")")
    groups: dict[str, list[str]] = {}
    for word in alternation[3:-1].split("|"):
        assert word[0].isalpha() and word[0].islower(), word
        groups.setdefault(word[0], []).append(word[1:])
    return "(?:" + "|".join(f"{first}(?<!{guard}{first})(?:{'|'.join(rest)})" for first, rest in groups.items()) + ")"
