"""The syntax AST: what the text says, with a span on every node, before any checking.

Names are as written (case folding of fields happens in the checker, which also owns every
judgement about meaning). The formatter and the language server work on these nodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from segdsl.errors import Span


@dataclass(frozen=True)
class FieldName:
    """``orders`` or ``custom.tier`` / ``custom."first name"``."""

    name: str
    span: Span
    namespace: str | None = None  # "custom" for custom.<column>
    quoted: bool = False  # the part after the dot was a string

    @property
    def display(self) -> str:
        if self.namespace is None:
            return self.name
        part = '"' + self.name.replace("\\", "\\\\").replace('"', '\\"') + '"' if self.quoted \
            else self.name
        return f"{self.namespace}.{part}"


@dataclass(frozen=True)
class NumberLit:
    value: Decimal
    text: str
    span: Span


@dataclass(frozen=True)
class StringLit:
    value: str
    span: Span


@dataclass(frozen=True)
class DateLit:
    """An ISO date as written; validity (``2024-02-30``) is judged by the checker."""

    text: str
    span: Span


@dataclass(frozen=True)
class RelativeDateLit:
    """``today`` (amount 0, unit "d"), ``yesterday`` (-1 d), ``-30d``, ``-4w``, ``-3m``, ``-1y``."""

    amount: int
    unit: str  # one of d, w, m, y
    text: str
    span: Span


Literal = NumberLit | StringLit | DateLit | RelativeDateLit
Operand = Literal | FieldName


@dataclass(frozen=True)
class Compare:
    field: FieldName
    op: str  # = != < <= > >=
    value: Operand
    span: Span
    op_span: Span


@dataclass(frozen=True)
class Between:
    field: FieldName
    low: Operand
    high: Operand
    span: Span


@dataclass(frozen=True)
class InList:
    field: FieldName
    values: tuple[Operand, ...]
    negated: bool
    span: Span


@dataclass(frozen=True)
class TextMatch:
    field: FieldName
    kind: str  # contains | starts_with | ends_with
    pattern: Operand
    span: Span


@dataclass(frozen=True)
class IsNull:
    field: FieldName
    negated: bool
    span: Span


@dataclass(frozen=True)
class InSegment:
    """``IN SEGMENT champions`` or ``IN SEGMENT "Can't Lose Them"``: membership in another
    segment, named by its name or its title (the checker resolves which)."""

    name: str  # as written, without the quotes of a string
    quoted: bool
    span: Span
    name_span: Span


@dataclass(frozen=True)
class Not:
    operand: Condition
    span: Span


@dataclass(frozen=True)
class Group:
    """A parenthesised condition, kept so that tools can see what the author grouped."""

    inner: Condition
    span: Span


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Condition
    right: Condition
    span: Span
    op_span: Span


Condition = Compare | Between | InList | TextMatch | IsNull | InSegment | Not | Group | BoolOp


@dataclass(frozen=True)
class Window:
    start: Operand | None
    end: Operand | None
    span: Span


@dataclass(frozen=True)
class Segment:
    name: str
    title: str
    description: str | None
    window: Window | None
    condition: Condition
    span: Span
    name_span: Span


@dataclass(frozen=True)
class SegmentFile:
    segments: tuple[Segment, ...]
