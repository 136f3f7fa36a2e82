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

__all__ = ["CaselessRegex", "Words", "hoisted_boundaries", "hoisted_words", "searchable"]

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
    an upper-case letter without its lower case), else with IGNORECASE on the text itself.  A source that
    starts with a one-character lookbehind and words is compiled in its ``hoisted`` form.
    """

    def __init__(self, source: str) -> None:
        self.source = source
        fast = hoisted(source)
        self.folding = re.compile(fast, re.IGNORECASE)
        self.plain = re.compile(fast)

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
    (a class); the first letters must be distinct lower-case letters.
    """
    assert alternation.startswith("(?:") and alternation.endswith(")")
    return _hoisted_branches(guard, _branches(alternation[3:-1]))


def _hoisted_branches(guard: str, branches: list[str]) -> str:
    groups: dict[str, list[str]] = {}
    for branch in branches:
        assert branch[:1].isalpha() and branch[0].islower(), branch
        groups.setdefault(branch[0], []).append(branch[1:])
    return "(?:" + "|".join(f"{first}(?<!{guard}{first})(?:{'|'.join(rest)})" for first, rest in groups.items()) + ")"


def hoisted_boundaries(alternation: str) -> str:
    r"""``(?:\bw1|w2|...)`` rewritten so that every branch starts with its first character.

    A leading ``\b`` (before a word character) becomes ``(?<!\wX)`` behind that character ``X``, and the
    branches are grouped by it, keeping their order: at every position the same branches are tried in the
    same order, so the matches are the same, but the regex engine can skip to the positions that hold one
    of the first characters.  Every branch must start with a plain, unquantified character.
    """
    assert alternation.startswith("(?:") and alternation.endswith(")")
    groups: dict[str, list[str]] = {}
    for branch in _branches(alternation[3:-1]):
        bounded = branch.startswith(r"\b")
        body = branch.removeprefix(r"\b")
        first = body[:1]
        assert first and first not in "\\[](){}|.^$?*+" and body[1:2] not in ("?", "*", "+", "{"), branch
        assert not bounded or re.fullmatch(r"\w", first), branch
        groups.setdefault(first, []).append((rf"(?<!\w{first})" if bounded else "") + body[1:])
    hoisted = (first + (f"(?:{'|'.join(rest)})" if any(rest) else "") for first, rest in groups.items())
    return "(?:" + "|".join(hoisted) + ")"


_GUARD = re.compile(r"\(\?<!(\\w|\[[^\]\\]+\])\)")  # (?<!\w) or (?<![...]) at the start of a source


def hoisted(source: str) -> str:
    """``source`` with a leading ``(?<!guard)`` moved behind the first letter (see ``hoisted_words``) when it
    is followed by words (``(?:w1|w2...)`` or one word); else ``source`` unchanged."""
    guard = _GUARD.match(source)
    if guard is None:
        return source
    rest = source[guard.end():]
    if rest.startswith("(?:"):
        end = _group_end(rest)
        branches, suffix = _branches(rest[3:end - 1]), rest[end:]
    else:
        branches, suffix = [rest], ""
    firsts = {branch[:1] for branch in branches}
    if not all(first.isalpha() and first.islower() for first in firsts) or len({f.upper() for f in firsts}) != len(
            firsts):  # every branch must start with a letter, and no two letters may be one letter in another case
        return source
    return _hoisted_branches(guard.group(1), branches) + suffix


def _group_end(source: str) -> int:
    """Index just past the group that opens ``source``."""
    depth, index = 0, 0
    while True:
        index, char = _skip(source, index)
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index


def _branches(alternation: str) -> list[str]:
    """The top-level branches of an alternation (escapes, classes and groups respected)."""
    branches, depth, start, index = [], 0, 0, 0
    while index < len(alternation):
        next_index, char = _skip(alternation, index)
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            branches.append(alternation[start:index])
            start = next_index
        index = next_index
    branches.append(alternation[start:])
    return branches


def _skip(source: str, index: int) -> tuple[int, str]:
    """The index after the element at ``index`` (an escape or a whole class counts as one) and its first char."""
    char = source[index]
    if char == "\\":
        return index + 2, ""
    if char == "[":
        end = index + 2 if source[index + 1:index + 2] in ("]", "^") else index + 1
        while source[end] != "]":
            end += 2 if source[end] == "\\" else 1
        return end + 1, ""
    return index + 1, char
