"""Offsets (code points, as the core's spans count them) ↔ LSP positions.

LSP splits lines on ``\\r\\n``, ``\\n`` and ``\\r`` only, and counts characters in the
negotiated encoding: UTF-16 code units by default, or UTF-8 bytes / UTF-32 code points.

>>> index = LineIndex("é😀x\\r\\ny")
>>> index.position(2, "utf-16"), index.position(2, "utf-8"), index.position(2, "utf-32")
((0, 3), (0, 6), (0, 2))
>>> index.position(5, "utf-16"), index.offset(1, 0, "utf-16"), index.offset(0, 3, "utf-16")
((1, 0), 5, 2)
"""

from __future__ import annotations

import bisect
import functools
import re

from lsprotocol import types

from segdsl.errors import Span

UTF8, UTF16, UTF32 = "utf-8", "utf-16", "utf-32"
_BREAK = re.compile(r"\r\n|\n|\r")


def units(text: str, encoding: str) -> int:
    if encoding == UTF32:
        return len(text)
    if encoding == UTF8:
        return len(text.encode("utf-8"))
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class LineIndex:
    """The line starts of a text, to convert between offsets and (line, character)."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _BREAK.finditer(text)]

    def line_end(self, line: int) -> int:
        """The offset just past line ``line``'s text (before its line break)."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1]
            brk = self.text[end - 2:end]
            return end - (2 if brk == "\r\n" else 1)
        return len(self.text)

    def position(self, offset: int, encoding: str = UTF16) -> tuple[int, int]:
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        offset = min(offset, self.line_end(line)) if offset < len(self.text) else offset
        return line, units(self.text[start:offset], encoding)

    def offset(self, line: int, character: int, encoding: str = UTF16) -> int:
        """The offset of a client position (clamped to the line, as LSP asks)."""
        if line >= len(self.starts):
            return len(self.text)
        start, end = self.starts[line], self.line_end(line)
        counted = 0
        for i in range(start, end):
            if counted >= character:
                return i
            counted += units(self.text[i], encoding)
        return end

    def lsp_position(self, offset: int, encoding: str = UTF16) -> types.Position:
        line, character = self.position(offset, encoding)
        return types.Position(line=line, character=character)

    def lsp_range(self, start: int, end: int, encoding: str = UTF16) -> types.Range:
        return types.Range(start=self.lsp_position(start, encoding),
                           end=self.lsp_position(end, encoding))

    def span_range(self, span: Span | None, encoding: str = UTF16) -> types.Range:
        if span is None:
            return self.lsp_range(0, 0, encoding)
        return self.lsp_range(span.start, span.end, encoding)


@functools.lru_cache(maxsize=8)
def line_index(text: str) -> LineIndex:
    """The line index of ``text``, kept for the few texts being edited."""
    return LineIndex(text)


def encoding_name(kind: object) -> str:
    """The negotiated ``PositionEncodingKind`` as one of UTF8, UTF16, UTF32."""
    value = getattr(kind, "value", kind)
    return value if value in (UTF8, UTF16, UTF32) else UTF16
