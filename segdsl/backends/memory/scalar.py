"""One customer at a time, in plain Python: the reference the vectorised path is tested against.

Nothing here shares code with the numpy path except the catalog and the typed AST: the
customer's fields are computed from their own orders with Python ints, Fractions and dates
(the RFM scores by counting, in a plain loop, the other customers who rank worse), and the
condition is walked directly. Money is ``Fraction`` (exact), numbers are ``int`` (or
``float`` for custom number attributes, as in SQL engines), dates are ``date``, text is
``str`` and text sets are ``set[str]``; missing is ``None``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from segdsl.catalog import Field, FieldType, Kind
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
from segdsl.errors import UsageError
from segdsl.store.model import Store

Scalar = int | float | Fraction | date | str | frozenset[str] | None

_CMP: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: operator.eq, Op.LT: operator.lt, Op.LE: operator.le, Op.GT: operator.gt,
    Op.GE: operator.ge}


@dataclass
class OneCustomer:
    """A customer's row and selected orders (order id, local date, total in minor units),
    with every known customer's selected orders grouped by customer (for the RFM ranks)."""

    store: Store
    row: int
    as_of: date
    orders: list[tuple[str, date, int]]
    store_sum: int
    store_count: int
    others: dict[str, list[tuple[date, int]]]  # customer id -> (local date, total) per order
    cache: dict[Field, Scalar] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, customer_id: str, bounds: tuple[date | None, date],
             as_of: date) -> OneCustomer:
        try:
            row = store.customers.customer_id.index(customer_id)
        except ValueError:
            raise UsageError(f"no customer `{customer_id}` in the store") from None
        known = set(store.customers.customer_id)
        start, end = bounds
        mine: list[tuple[str, date, int]] = []
        store_sum = store_count = 0
        others: dict[str, list[tuple[date, int]]] = {}
        o = store.orders
        for oid, cid, stamp, total in zip(o.order_id, o.customer_id, o.local_date.tolist(),
                                          o.total_minor.tolist(), strict=True):
            if cid is None or cid not in known or stamp > end or \
                    (start is not None and stamp < start):
                continue
            store_sum += total
            store_count += 1
            others.setdefault(cid, []).append((stamp, total))
            if cid == customer_id:
                mine.append((oid, stamp, total))
        return cls(store, row, as_of, mine, store_sum, store_count, others)

    def value(self, f: Field) -> Scalar:
        if f not in self.cache:
            try:
                impl = SCALAR_KINDS[f.kind]
            except KeyError:
                raise NotImplementedError(f"no scalar implementation of `{f.kind}`") from None
            self.cache[f] = impl(self, f)
        return self.cache[f]

    @property
    def unit(self) -> int:
        return int(10 ** self.store.money_scale)

    @property
    def spent(self) -> int:
        total: int = sum(t for _, _, t in self.orders)
        return total


def _customer_text(c: OneCustomer, f: Field) -> Scalar:
    return c.store.customers.text_column(str(f.column))[c.row]


def _order_count(c: OneCustomer, f: Field) -> Scalar:
    return len(c.orders)


def _amount_spent(c: OneCustomer, f: Field) -> Scalar:
    return Fraction(c.spent, c.unit)


def _aov(c: OneCustomer, f: Field) -> Scalar:
    return Fraction(c.spent, c.unit * len(c.orders)) if c.orders else None


def _store_aov(c: OneCustomer, f: Field) -> Scalar:
    return Fraction(c.store_sum, c.unit * c.store_count) if c.store_count else None


def _first_order_date(c: OneCustomer, f: Field) -> Scalar:
    return min((d for _, d, _ in c.orders), default=None)


def _last_order_date(c: OneCustomer, f: Field) -> Scalar:
    return max((d for _, d, _ in c.orders), default=None)


def _days_since_last_order(c: OneCustomer, f: Field) -> Scalar:
    last = _last_order_date(c, f)
    return (c.as_of - last).days if isinstance(last, date) else None


def _item_set(c: OneCustomer, f: Field) -> Scalar:
    s = c.store
    if s.order_items is None:
        return frozenset()
    mine = {oid for oid, _, _ in c.orders}
    bought = {p for o, p in zip(s.order_items.order_id, s.order_items.product_id, strict=True)
              if o in mine and p is not None}
    if f.column == "product_type":
        if s.products is None:
            return frozenset()
        return frozenset(t for p, t in zip(s.products.product_id, s.products.product_type,
                                           strict=True) if p in bought and t is not None)
    pc = s.product_collections
    if pc is None:
        return frozenset()
    return frozenset(name for p, name in zip(pc.product_id, pc.collection, strict=True)
                     if p in bought and name is not None)


def _rfm_value(column: str, orders: list[tuple[date, int]]) -> int:
    """What a score ranks, higher = better: last order day, order count, amount spent."""
    if column == "recency":
        return max(d for d, _ in orders).toordinal()
    if column == "frequency":
        return len(orders)
    return sum(t for _, t in orders)


def _rfm_score(c: OneCustomer, f: Field) -> Scalar:
    if not c.orders:
        return None
    column = str(f.column)
    values = [_rfm_value(column, orders) for orders in c.others.values()]
    mine = _rfm_value(column, [(d, t) for _, d, t in c.orders])
    worse = sum(1 for v in values if v < mine)
    return 1 + 5 * worse // len(values)


def _custom(c: OneCustomer, f: Field) -> Scalar:
    column = c.store.customers.custom.get(str(f.column))
    if column is None or column.type is not f.type:
        raise UsageError(f"custom attribute `{f.column}` is not {f.type} in this store")
    v = column.values[c.row]
    if isinstance(v, Decimal):
        return float(v)  # held as DOUBLE, as SQL engines do
    return v


# One entry per Kind, like the batch table in fields.py.
SCALAR_KINDS: dict[Kind, Callable[[OneCustomer, Field], Scalar]] = {
    Kind.CUSTOMER_TEXT: _customer_text,
    Kind.ORDER_COUNT: _order_count,
    Kind.AMOUNT_SPENT: _amount_spent,
    Kind.AOV: _aov,
    Kind.STORE_AOV: _store_aov,
    Kind.FIRST_ORDER_DATE: _first_order_date,
    Kind.LAST_ORDER_DATE: _last_order_date,
    Kind.DAYS_SINCE_LAST_ORDER: _days_since_last_order,
    Kind.ITEM_SET: _item_set,
    Kind.CUSTOM: _custom,
    Kind.RFM_SCORE: _rfm_score,
}


def _arg(c: OneCustomer, ctx: RunContext, v: Value, like: Scalar) -> Scalar:
    """A right-hand side as a value comparable with ``like`` (the left-hand value)."""
    if isinstance(v, FieldRef):
        return c.value(v.field)
    if isinstance(v, Const):
        x = v.value
        if isinstance(x, Decimal):
            return float(x) if isinstance(like, float) else Fraction(x)
        return x
    return ctx.resolve(v)


def _compare(op: Callable[[Any, Any], bool], a: Scalar, b: Scalar) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, float) or isinstance(b, float):  # custom numbers: compared as doubles
        return op(float(a), float(b))  # type: ignore[arg-type]
    return op(a, b)


def _text_ok(op: Op, value: str, args: list[str]) -> bool:
    low = value.lower()
    if op is Op.IN:
        return low in args
    if op is Op.CONTAINS:
        return args[0] in low
    if op is Op.STARTS_WITH:
        return low.startswith(args[0])
    if op is Op.ENDS_WITH:
        return low.endswith(args[0])
    raise AssertionError(f"{op} does not apply to text")


def _predicate(c: OneCustomer, ctx: RunContext, p: Predicate) -> bool:
    value = c.value(p.field)
    if p.op is Op.IS_NULL:
        return not value if p.field.type is FieldType.TEXT_SET else value is None
    if p.field.type.textual:
        if p.op is Op.EQ:
            other = _arg(c, ctx, p.args[0], value)
            return isinstance(value, str) and isinstance(other, str) and \
                value.lower() == other.lower()
        texts = [str(a.value) for a in p.args if isinstance(a, Const)]
        if isinstance(value, frozenset):
            return any(_text_ok(p.op, v, texts) for v in value)
        return value is not None and _text_ok(p.op, str(value), texts)
    args = [_arg(c, ctx, a, value) for a in p.args]
    if p.op is Op.BETWEEN:
        return _compare(operator.ge, value, args[0]) and _compare(operator.le, value, args[1])
    if p.op is Op.IN:
        return any(_compare(operator.eq, value, a) for a in args)
    return _compare(_CMP[p.op], value, args[0])


def _holds(c: OneCustomer, ctx: RunContext, cond: Condition) -> bool:
    match cond:
        case Predicate():
            return _predicate(c, ctx, cond)
        case InSegment(segment=ref):
            # The referenced segment sees the customer through its own window.
            return matches(ref, c.store, c.store.customers.customer_id[c.row], ctx)
        case Not(operand=inner):
            return not _holds(c, ctx, inner)
        case And(left=lhs, right=rhs):
            return _holds(c, ctx, lhs) and _holds(c, ctx, rhs)
        case Or(left=lhs, right=rhs):
            return _holds(c, ctx, lhs) or _holds(c, ctx, rhs)
    raise AssertionError(f"unknown condition {cond!r}")


def matches(segment: CheckedSegment, store: Store, customer_id: str, ctx: RunContext) -> bool:
    """Whether customer ``customer_id`` is in ``segment``, computed for that customer alone."""
    one = OneCustomer.load(store, customer_id, ctx.window_bounds(segment.window), ctx.as_of)
    return _holds(one, ctx, segment.condition)
