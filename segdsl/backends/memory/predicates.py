"""Evaluate a typed condition to one boolean per customer.

Two-valued logic: a comparison involving a missing value is False, and ``Not`` flips. The
checker already rewrote the negative forms (``!=``, ``NOT IN``, ``IS NOT NULL``) as ``Not``, so
only the positive operators are implemented here, dispatched on the column's class.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from typing import Any

import numpy as np

from segdsl.backends.memory.columns import (
    Column,
    Days,
    Exact,
    Floats,
    Mask,
    Texts,
    TextSets,
    align,
    mul,
)
from segdsl.backends.memory.fields import CustomerFields, shared_fields
from segdsl.backends.memory.prepare import BoolArray, day_number
from segdsl.check.typed import (
    And,
    CheckedSegment,
    Condition,
    Const,
    FieldRef,
    InSegment,
    Not,
    Op,
    Or,
    Predicate,
    Value,
)
from segdsl.context import RunContext

Compare = Callable[[Any, Any], Any]
Arg = Column | Decimal | int | str

_CMP: dict[Op, Compare] = {Op.EQ: operator.eq, Op.LT: operator.lt, Op.LE: operator.le,
                           Op.GT: operator.gt, Op.GE: operator.ge}


def text_test(op: Op, args: list[str]) -> Callable[[str], bool]:
    """The test a (lowered) text value must pass; patterns are plain text, so ``%`` and ``_``
    are literal characters.

    >>> text_test(Op.CONTAINS, ["50%"])("save 50% now"), text_test(Op.IN, ["gb"])("fr")
    (True, False)
    """
    if op is Op.IN:
        wanted = frozenset(args)
        return wanted.__contains__
    pattern = args[0]
    if op is Op.CONTAINS:
        return lambda s: pattern in s
    if op is Op.STARTS_WITH:
        return lambda s: s.startswith(pattern)
    if op is Op.ENDS_WITH:
        return lambda s: s.endswith(pattern)
    raise AssertionError(f"{op} does not apply to text")


def _vocab_match(vocab: list[str], op: Op, args: list[Arg]) -> BoolArray:
    """The test run once per distinct value, with a trailing False so that code -1
    (missing) gathers False."""
    test = text_test(op, [str(a) for a in args])
    found = np.fromiter((test(v) for v in vocab), dtype=bool, count=len(vocab))
    return np.append(found, False)


class Evaluator:
    def __init__(self, fields: CustomerFields, ctx: RunContext):
        self.fields = fields
        self.ctx = ctx

    def mask(self, cond: Condition) -> BoolArray:
        match cond:
            case Predicate():
                return self.full(self.predicate(cond))
            case InSegment(segment=ref):
                return self.membership(ref)
            case Not(operand=inner):
                return ~self.mask(inner)
            case And(left=lhs, right=rhs):
                return self.mask(lhs) & self.mask(rhs)
            case Or(left=lhs, right=rhs):
                return self.mask(lhs) | self.mask(rhs)
        raise AssertionError(f"unknown condition {cond!r}")

    def membership(self, ref: CheckedSegment) -> BoolArray:
        """Who is in ``ref``, over ref's own window: this window's fields when they agree,
        else the store's cached fields for that window (``shared_fields``)."""
        fields = self.fields
        if self.ctx.window_bounds(ref.window) != fields.bounds:
            fields = shared_fields(fields.ms, ref.window, self.ctx)
        return Evaluator(fields, self.ctx).mask(ref.condition)

    def full(self, m: Mask) -> BoolArray:
        """A per-customer mask from a result that may be one bool (store_aov is shared)."""
        if np.ndim(m) == 0:
            return np.full(self.fields.n, bool(m))
        assert isinstance(m, np.ndarray)
        return m

    def arg(self, v: Value) -> Arg:
        if isinstance(v, FieldRef):
            return self.fields.column(v.field)
        if isinstance(v, Const):
            return day_number(v.value) if isinstance(v.value, date) else v.value
        return day_number(self.ctx.resolve(v))

    def predicate(self, p: Predicate) -> Mask:
        col = self.fields.column(p.field)
        args = [self.arg(a) for a in p.args]
        if isinstance(col, Texts):
            return _texts(col, p.op, args)
        if isinstance(col, TextSets):
            return _text_sets(col, p.op, args, self.fields.n)
        compare = _ORDERED[type(col)]
        if p.op is Op.IS_NULL:
            return np.logical_not(col.present)
        if p.op is Op.BETWEEN:
            return compare(col, operator.ge, args[0]) & compare(col, operator.le, args[1])
        if p.op is Op.IN:
            return reduce(operator.or_, (compare(col, operator.eq, a) for a in args))
        return compare(col, _CMP[p.op], args[0])


def _as_float(col: Exact) -> Floats:
    # Only NUMBER fields meet custom numbers, and those are integers over 1: exact in float64
    # up to 2**53, which is how an SQL engine compares BIGINT with DOUBLE too.
    values = np.asarray(col.num, dtype=np.float64) / np.asarray(col.den, dtype=np.float64)
    return Floats(values, col.present)


def _exact(col: Any, op: Compare, other: Arg) -> Mask:
    if isinstance(other, Floats):
        return _floats(_as_float(col), op, other)
    if isinstance(other, Exact):
        lhs, rhs = mul(col.num, other.den), mul(other.num, col.den)
        present = np.logical_and(col.present, other.present)
    else:
        assert isinstance(other, Decimal)
        value = Fraction(other)
        lhs, rhs = mul(col.num, value.denominator), mul(value.numerator, col.den)
        present = col.present
    lhs, rhs = align(lhs, rhs)
    return np.logical_and(op(lhs, rhs), present)  # type: ignore[no-any-return]


def _floats(col: Any, op: Compare, other: Arg) -> Mask:
    if isinstance(other, Exact):
        other = _as_float(other)
    if isinstance(other, Floats):
        both = np.logical_and(col.present, other.present)
        return np.logical_and(op(col.values, other.values), both)  # type: ignore[no-any-return]
    assert isinstance(other, Decimal)
    return np.logical_and(op(col.values, float(other)), col.present)  # type: ignore[no-any-return]


def _days(col: Any, op: Compare, other: Arg) -> Mask:
    if isinstance(other, Days):
        both = np.logical_and(col.present, other.present)
        return np.logical_and(op(col.values, other.values), both)  # type: ignore[no-any-return]
    assert isinstance(other, int)
    return np.logical_and(op(col.values, other), col.present)  # type: ignore[no-any-return]


_ORDERED: dict[type, Callable[[Any, Compare, Arg], Mask]] = {
    Exact: _exact, Floats: _floats, Days: _days}


def _texts(col: Texts, op: Op, args: list[Arg]) -> Mask:
    if op is Op.IS_NULL:
        return col.codes < 0
    if op is Op.EQ:
        other = args[0]
        assert isinstance(other, Texts)
        return _same_text(col, other)
    return _vocab_match(col.vocab, op, args)[col.codes]


def _same_text(a: Texts, b: Texts) -> BoolArray:
    """``a.lower() == b.lower()``, both present: both vocabularies are mapped onto one."""
    joint: dict[str, int] = {}
    map_a = np.array([joint.setdefault(v, len(joint)) for v in a.vocab] + [-1], dtype=np.int64)
    map_b = np.array([joint.setdefault(v, len(joint)) for v in b.vocab] + [-2], dtype=np.int64)
    return map_a[a.codes] == map_b[b.codes]  # type: ignore[no-any-return]


def _text_sets(col: TextSets, op: Op, args: list[Arg], n: int) -> Mask:
    out = np.zeros(n, dtype=bool)
    if op is Op.IS_NULL:
        out[col.who] = True
        return ~out
    hit = _vocab_match(col.vocab, op, args)[col.code]
    out[col.who[hit]] = True  # some element matches
    return out


def evaluate_condition(cond: Condition, fields: CustomerFields, ctx: RunContext) -> BoolArray:
    return Evaluator(fields, ctx).mask(cond)
