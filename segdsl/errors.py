"""Diagnostics and the small error hierarchy shared by every stage.

Every problem segdsl reports carries a stable code, a severity, a message written for a store
owner, and (for problems in segment text) the exact span it concerns. Stages collect
:class:`Diagnostic` objects; callers that want an exception get a :class:`SegdslError` subclass
holding them.

>>> d = Diagnostic("E201", Severity.ERROR, "unknown field `ordrs`", Span(0, 5, 1, 1, 1, 6),
...                hint="did you mean `orders`?")
>>> d.render("ordrs > 3", "<expr>").splitlines()[0]
'error[E201]: unknown field `ordrs`'
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Span:
    """A region of source text: 0-based character offsets, 1-based lines and columns.

    ``end`` and ``end_column`` point just past the last character, so a one-character span
    at column 3 has ``column=3, end_column=4``.
    """

    start: int
    end: int
    line: int
    column: int
    end_line: int
    end_column: int

    def to_json(self) -> dict[str, int]:
        return {
            "start": self.start,
            "end": self.end,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line,
            "end_column": self.end_column,
        }

    @staticmethod
    def cover(first: Span, last: Span) -> Span:
        """The span from the start of ``first`` to the end of ``last``."""
        return Span(first.start, last.end, first.line, first.column, last.end_line, last.end_column)


class Severity(enum.StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Fix:
    """A suggested edit: replace the text at ``span`` with ``replacement``."""

    span: Span
    replacement: str


# A piece of the user's text quoted in a message (`name`) is shown whole up to this length:
# an unknown field of a megabyte is not worth repeating.
QUOTED_CHARS = 80
_LONG_QUOTE = re.compile("`([^`]{" + str(QUOTED_CHARS + 1) + ",})`")


def _shorten_quotes(text: str) -> str:
    return _LONG_QUOTE.sub(lambda m: f"`{m.group(1)[:QUOTED_CHARS - 20]}…"
                           f"{m.group(1)[-10:]}` ({len(m.group(1)):,} characters)", text)


@dataclass(frozen=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    hint: str | None = None
    fix: Fix | None = None

    def __post_init__(self) -> None:
        if len(self.message) > QUOTED_CHARS:
            object.__setattr__(self, "message", _shorten_quotes(self.message))
        if self.hint is not None and len(self.hint) > QUOTED_CHARS:
            object.__setattr__(self, "hint", _shorten_quotes(self.hint))

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            "span": self.span.to_json() if self.span else None,
            "hint": self.hint,
        }
        if self.fix:
            out["fix"] = {"span": self.fix.span.to_json(), "replacement": self.fix.replacement}
        return out

    def render(self, source: str | None = None, origin: str = "<input>") -> str:
        """Human-readable form, rustc style, with the offending text underlined."""
        head = f"{self.severity}[{self.code}]: {self.message}"
        lines = [head]
        if self.span is not None:
            lines.append(f"  --> {origin}:{self.span.line}:{self.span.column}")
            if source is not None:
                src_lines = source.splitlines() or [""]
                if 1 <= self.span.line <= len(src_lines):
                    text = src_lines[self.span.line - 1]
                    width = len(str(self.span.line))
                    if self.span.end_line == self.span.line:
                        length = max(1, self.span.end_column - self.span.column)
                    else:
                        length = max(1, len(text) - self.span.column + 1)
                    text, start = _excerpt(text, self.span.column - 1)
                    length = min(length, len(text) - start + 1)
                    lines.append(f" {' ' * width} |")
                    lines.append(f" {self.span.line} | {text}")
                    lines.append(f" {' ' * width} | {' ' * start}{'^' * max(1, length)}")
        elif origin != "<input>":
            lines.append(f"  --> {origin}")
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


EXCERPT = 100  # characters of a long source line shown around the problem


def _excerpt(text: str, column: int) -> tuple[str, int]:
    """At most about EXCERPT characters of ``text`` around ``column`` (0-based), and where
    the column falls in them; a line of a megabyte is not worth printing whole."""
    text = "".join(ch if ch.isprintable() or ch == "\t" else "\N{REPLACEMENT CHARACTER}"
                   for ch in text[max(0, column - EXCERPT):column + EXCERPT])
    if column <= EXCERPT:
        return (text if len(text) < 2 * EXCERPT else text + "…"), column
    return "…" + text + ("…" if len(text) >= 2 * EXCERPT else ""), EXCERPT + 1


class SegdslError(Exception):
    """Base of every error segdsl raises on purpose. ``exit_code`` is what the CLI returns."""

    exit_code = 1


class InputError(SegdslError):
    """The user's input was refused (syntax, types, data, usage): exit code 2."""

    exit_code = 2


class SegmentError(InputError):
    """Segment text that does not parse or check; holds the diagnostics."""

    def __init__(self, diagnostics: list[Diagnostic], source: str = "", origin: str = "<expr>"):
        self.diagnostics = diagnostics
        self.source = source
        self.origin = origin
        errors = [d for d in diagnostics if d.is_error]
        super().__init__(errors[0].message if errors else "invalid segment")

    def render(self) -> str:
        return "\n".join(d.render(self.source, self.origin) for d in self.diagnostics)


class DataError(InputError):
    """Store data that cannot be read: names the file (or table), the line and the value."""

    def __init__(self, message: str, *, where: str | None = None, row: int | None = None,
                 value: str | None = None):
        self.where = where
        self.row = row
        self.value = value
        parts = []
        if where:
            parts.append(where)
        if row is not None:
            # CSV files are read by line (what an editor shows); Parquet files by row.
            unit = "row" if where and where.endswith(".parquet") else "line"
            parts.append(f"{unit} {row}")
        prefix = ", ".join(parts)
        text = f"{prefix}: {message}" if prefix else message
        if value is not None:
            text += f" (value: {value!r})"
        super().__init__(text)


class UsageError(InputError):
    """A request that cannot be served as asked (missing table, bad option combination)."""


class EngineError(SegdslError):
    """A database failed while running a query (connection lost, server error): exit code 1."""
