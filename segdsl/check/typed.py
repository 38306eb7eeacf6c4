"""The typed AST: what backends consume.

The checker lowers the syntax AST into these nodes: every field is resolved to its catalog
:class:`~segdsl.catalog.Field`, every literal is converted to its field's type, and the
negative forms are rewritten by definition (``a != v`` is ``NOT a = v``, ``NOT IN`` is
``NOT (IN)``, ``IS NOT NULL`` is ``NOT IS NULL``), so a backend implements only the positive
operators of :class:`Op` plus ``Not``/``And``/``Or``.

Text values are already folded (``str.lower``) and, on country fields, expanded to every
spelling of the country, so backends compare lowered text against a set.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date
from decimal import Decimal

from segdsl.catalog import Field
from segdsl.errors import Span


class Op(enum.StrEnum):
    EQ = "="  # numbers, money, dates; text against another field
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    BETWEEN = "between"  # args: low, high (inclusive)
    IN = "in"  # numbers/dates: args are the values; text: args are folded strings (any match)
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    IS_NULL = "is null"  # sets: the set is empty


ORDERING = {Op.LT, Op.LE, Op.GT, Op.GE}


@dataclass(frozen=True)
class Const:
    value: Decimal | str | date


@dataclass(frozen=True)
class RelativeDate:
    """``amount`` units back from the as-of day (``today`` is 0 days)."""

    amount: int
    unit: str  # d, w, m, y


@dataclass(frozen=True)
class FieldRef:
    field: Field


Value = Const | RelativeDate | FieldRef


@dataclass(frozen=True)
class Predicate:
    field: Field
    op: Op
    args: tuple[Value, ...]
    # Where it was written is not part of its meaning, so it takes no part in equality.
    span: Span | None = dataclass_field(default=None, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Condition


@dataclass(frozen=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True)
class InSegment:
    """Membership in another segment: true for exactly the customers ``segment`` selects,
    evaluated with that segment's own window (and the same as-of day). Two-valued like every
    condition. The referenced segment is held checked, so a backend needs nothing else."""

    segment: CheckedSegment
    span: Span | None = dataclass_field(default=None, compare=False)


Condition = Predicate | InSegment | Not | And | Or


@dataclass(frozen=True)
class Window:
    """Inclusive bounds on the store-local order date; None is open."""

    start: Const | RelativeDate | None = None
    end: Const | RelativeDate | None = None


@dataclass(frozen=True)
class CheckedSegment:
    name: str
    title: str
    description: str | None
    window: Window
    condition: Condition
    span: Span | None = None
    source: str = ""

    @property
    def fields(self) -> frozenset[Field]:
        """Every field the condition reads (also fields used as right-hand sides).

        Fields read by referenced segments (``IN SEGMENT``) are not included: they are read
        over those segments' own windows; see :attr:`references`."""
        return frozenset(_fields(self.condition))

    @property
    def references(self) -> list[CheckedSegment]:
        """The segments this one refers to directly (``IN SEGMENT``), left to right."""
        return [r.segment for r in _references(self.condition)]


def _references(cond: Condition) -> list[InSegment]:
    match cond:
        case InSegment():
            return [cond]
        case Not(operand=o):
            return _references(o)
        case And(left=lhs, right=rhs) | Or(left=lhs, right=rhs):
            return _references(lhs) + _references(rhs)
    return []


def _fields(cond: Condition) -> set[Field]:
    match cond:
        case Predicate(field=f, args=args):
            return {f} | {a.field for a in args if isinstance(a, FieldRef)}
        case Not(operand=o):
            return _fields(o)
        case And(left=lhs, right=rhs) | Or(left=lhs, right=rhs):
            return _fields(lhs) | _fields(rhs)
    return set()


def walk(cond: Condition) -> list[Predicate]:
    """The predicates of a condition, left to right.

    Referenced segments are not entered: their predicates are about another window, so
    mixing them in would misdescribe this condition (use ``CheckedSegment.references``)."""
    match cond:
        case Predicate():
            return [cond]
        case Not(operand=o):
            return walk(o)
        case And(left=lhs, right=rhs) | Or(left=lhs, right=rhs):
            return walk(lhs) + walk(rhs)
    return []


__all__ = ["And", "CheckedSegment", "Condition", "Const", "FieldRef", "InSegment", "Not", "Op",
           "Or", "Predicate", "RelativeDate", "Value", "Window", "walk"]
