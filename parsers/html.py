"""HTML mail bodies as readable plain text, with the standard library's ``html.parser``.

Block elements become line breaks, table cells are joined with `` | ``, entities are decoded,
``<style>``/``<script>``/``<title>`` and comments are dropped, and ``<blockquote>`` lines are
prefixed with ``> `` so that the quote splitter sees them as quoted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table", "thead", "tbody", "tfoot", "caption",
    "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "section", "article", "header", "footer", "address",
    "center", "form", "fieldset", "nav", "aside", "main", "figure", "figcaption", "details", "summary",
})  # fmt: skip
_CELL_TAGS = frozenset({"td", "th"})
_ROW_TAGS = frozenset({"tr", "table", "thead", "tbody", "tfoot"})
_SKIPPED_TAGS = frozenset({"style", "script", "title", "template"})
_CELL_SEPARATOR = " | "
_INLINE_SPACE_RE = re.compile(r"[ \t\r\n\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_TAG_RE = re.compile(
    r"<!--.*?-->|<(?:style|script|head)\b.*?</(?:style|script|head)\s*>|<[^>]*>", re.I | re.S
)
_BLOCK_TAG_RE = re.compile(r"<\s*/?\s*(?:br|p|div|li|tr|h[1-6]|table|blockquote)\b[^>]*>", re.I)
_BLANK_RUN_RE = re.compile(r"\n{3,}")


@dataclass(slots=True)
class _Line:
    """One output line: its blockquote depth, its text pieces, and whether any content reached it."""

    depth: int
    pieces: list[str] = field(default_factory=list)
    touched: bool = False


class _TextCollector(HTMLParser):
    """Collects text as lines, each with the blockquote depth it was written at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[_Line] = [_Line(0)]
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0
        self.cells_in_row = 0
        self.cell_depth = 0  # inside <td>/<th>: paragraphs and <br> (Word puts <p> in cells) do not break the row

    def _hard_break(self) -> None:
        """Ends the current line, even an empty one."""
        self.lines.append(_Line(self.quote_depth))

    def _soft_break(self) -> None:
        """Ends the current line unless nothing reached it yet; an untouched one takes the current depth."""
        if self.lines[-1].touched:
            self._hard_break()
        else:
            self.lines[-1].depth = self.quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip_depth += 1
        elif tag == "body":
            self.skip_depth = 0
        elif tag == "br":
            if not self._in_cell_space():
                self._hard_break()
        elif tag == "blockquote":
            self.quote_depth += 1
            self._soft_break()
        elif tag in _CELL_TAGS:
            if self.cells_in_row and self.lines[-1].touched:
                self.lines[-1].pieces.append(_CELL_SEPARATOR)
            self.cells_in_row += 1
            self.cell_depth += 1
        elif tag in _BLOCK_TAGS and tag not in _ROW_TAGS and self._in_cell_space():
            return
        elif tag in _BLOCK_TAGS:
            self.pre_depth += tag == "pre"
            self.cells_in_row = 0 if tag == "tr" else self.cells_in_row
            self._soft_break()

    def _in_cell_space(self) -> bool:
        """Inside a table cell, put a space where a line break would go; True when that happened."""
        if not self.cell_depth:
            return False
        self.lines[-1].pieces.append(" ")
        return True

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if not self._in_cell_space():
                self._hard_break()
        elif tag in _BLOCK_TAGS:
            self._soft_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif tag == "blockquote":
            self._soft_break()
            self.quote_depth = max(0, self.quote_depth - 1)
            self._soft_break()
        elif tag in _CELL_TAGS:
            self.cell_depth = max(0, self.cell_depth - 1)
        elif tag in _BLOCK_TAGS and tag not in _ROW_TAGS and self._in_cell_space():
            return
        elif tag in _BLOCK_TAGS:
            self.pre_depth = max(0, self.pre_depth - (tag == "pre"))
            self._soft_break()

    def handle_data(self, data: str) -> None:
        if self.skip_depth or not data:
            return
        if self.pre_depth:
            first, *rest = data.split("\n")
            self._append(first)
            for piece in rest:
                self._hard_break()
                self._append(piece)
        else:
            self._append(_INLINE_SPACE_RE.sub(" ", data) if data.strip() else " ", touch="\u00a0" in data)

    def _append(self, piece: str, touch: bool = False) -> None:
        """Adds text to the current line; visible text (or a non-breaking space) marks it touched."""
        self.lines[-1].pieces.append(piece)
        self.lines[-1].touched = self.lines[-1].touched or touch or bool(piece.strip())

    def text(self) -> str:
        """The collected lines, whitespace collapsed, quoted lines prefixed with ``> ``."""
        rendered: list[str] = []
        for line in self.lines:
            content = _INLINE_SPACE_RE.sub(" ", "".join(line.pieces)).strip()
            if content.endswith(_CELL_SEPARATOR.strip()):
                content = content[:-1].rstrip()
            if line.depth:
                content = ("> " * line.depth + content).rstrip()
            if content or line.touched or not rendered or rendered[-1]:
                rendered.append(content)
        return _tidy("\n".join(rendered))


def _tidy(text: str) -> str:
    """No more than one blank line in a row, and none at the start or end."""
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_RUN_RE.sub("\n\n", "\n".join(lines)).strip("\n")


def _fallback_text(markup: str) -> str:
    """Crude tag stripping for markup the parser could not handle."""
    with_breaks = _BLOCK_TAG_RE.sub("\n", markup)
    stripped = unescape(_TAG_RE.sub(" ", with_breaks))
    return _tidy("\n".join(_INLINE_SPACE_RE.sub(" ", line).strip() for line in stripped.split("\n")))


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment; never raises."""
    if not isinstance(html, str) or not html:
        return ""
    collector = _TextCollector()
    try:
        collector.feed(html)
        collector.close()
        return collector.text()
    except Exception:  # html.parser may fail on anything: fall back to stripping tags
        try:
            return _fallback_text(html)
        except Exception:
            return ""
