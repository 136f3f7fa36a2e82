"""Types every parser returns: a value, how sure the parser is, and where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")

Span = tuple[int, int]
"""Half-open character offsets ``(start, end)`` into the text the parser was given."""


@dataclass(frozen=True, slots=True)
class Candidate(Generic[T]):
    """One possible value of a field found in a text.

    ``confidence`` is in [0, 1]; ``span`` locates the evidence in the parser's input;
    ``label`` is a short machine word saying how it was found (``"labelled"``,
    ``"sms_form"``, ``"bare_number"``, ...), ``notes`` anything a reviewer may want.
    """

    value: T
    confidence: float
    span: Span
    label: str = ""
    notes: tuple[str, ...] = field(default=())
