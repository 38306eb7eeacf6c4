"""Conditions → SQL boolean expressions that are always TRUE or FALSE, never NULL.

Every atomic predicate is ``<value present> AND <comparison>``: when the value is missing the
conjunction is FALSE (FALSE AND NULL is FALSE), and when it is present the comparison is not
NULL. So ``NOT`` means "does not match", as in the memory backend. Trees are built with
``exp.and_``/``exp.or_``/``exp.not_``, which parenthesise their operands as needed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlglot import exp

from segdsl.backends.sql.dialects import decimal_type, num
from segdsl.backends.sql.fields import Day, ItemSet, Num, Term, Text, not_null, term
from segdsl.backends.sql.scope import CUSTOMERS, Scope
from segdsl.check.typed import (
    And,
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

_COMPARE: dict[Op, type[exp.Binary]] = {Op.EQ: exp.EQ, Op.LT: exp.LT, Op.LE: exp.LTE,
                                         Op.GT: exp.GT, Op.GE: exp.GTE}


def condition(c: Condition, s: Scope) -> exp.Expr:
    match c:
        case Predicate():
            return predicate(c, s)
        case InSegment():
            # Imported here: compose builds whole queries, and the query module imports this.
            from segdsl.backends.sql.compose import membership

            return membership(c, s)
        case Not(operand=o):
            return exp.not_(exp.paren(condition(o, s), copy=False), copy=False)
        case And():
            return exp.and_(*[condition(o, s) for o in _run(c, And)], copy=False)
        case Or():
            return exp.or_(*[condition(o, s) for o in _run(c, Or)], copy=False)
    raise AssertionError(f"unknown condition {c!r}")


def _run(c: And | Or, kind: type[And] | type[Or]) -> list[Condition]:
    """The operands of a run of one connector, left to right: ``(a AND b) AND c`` is
    ``a AND b AND c`` (associative, and every predicate is two-valued). exp.and_/exp.or_
    parenthesise connector operands, so building the run pairwise would nest one level per
    comparison, which SQLite's parser cannot take past ~90 levels."""
    out: list[Condition] = []
    stack: list[Condition] = [c]
    while stack:
        node = stack.pop()
        if isinstance(node, kind):
            stack += [node.right, node.left]
        else:
            out.append(node)
    return out


def _guard(*parts: exp.Expr | None) -> exp.Expr:
    present = [p for p in parts if p is not None]
    return present[0] if len(present) == 1 else exp.and_(*present, copy=False)


def predicate(p: Predicate, s: Scope) -> exp.Expr:
    t = term(p.field, s)
    if isinstance(t, ItemSet):
        return _item_set(t, p, s)
    if p.op is Op.IS_NULL:
        return exp.not_(t.present, copy=False) if t.present is not None else exp.false()
    if isinstance(t, Text):
        return _text(t, p, s)
    # A term's nodes go into the tree as they are (no copies): each further comparison of the
    # same field gets a term of its own.
    if p.op is Op.BETWEEN:
        low, high = p.args
        return exp.and_(_compare(t, Op.GE, low, s), _compare(term(p.field, s), Op.LE, high, s),
                        copy=False)
    if p.op is Op.IN:
        if isinstance(t, Day) and not any(isinstance(v, FieldRef) for v in p.args):
            days = [s.rules.day_literal(s.ctx.resolve(v)) for v in p.args]  # type: ignore[arg-type]
            return _guard(t.present, exp.In(this=t.expr, expressions=days))
        terms = [t] + [term(p.field, s) for _ in p.args[1:]]
        return exp.or_(*[_compare(u, Op.EQ, v, s)
                         for u, v in zip(terms, p.args, strict=True)], copy=False)
    return _compare(t, p.op, p.args[0], s)


def _value(v: Value, s: Scope) -> Term:
    if isinstance(v, FieldRef):
        return term(v.field, s)
    if isinstance(v, Const) and isinstance(v.value, Decimal):
        p, d = split_decimal(v.value)
        return Num(num(p), scale=d, literal=v.value)
    return Day(s.rules.day_literal(s.ctx.resolve(v)), None)


def _compare(t: Term, op: Op, v: Value, s: Scope) -> exp.Expr:
    other = _value(v, s)
    if isinstance(t, Day) and isinstance(other, Day):
        return _guard(t.present, other.present, _COMPARE[op](this=t.expr, expression=other.expr))
    assert isinstance(t, Num) and isinstance(other, Num), (t, other)
    if t.last_date is not None and other.literal is not None:
        return _days_since(t, op, other.literal, s)
    return _guard(t.present, other.present, _cross(t, op, other, s))


def split_decimal(d: Decimal) -> tuple[int, int]:
    """``d == p / 10**e``: the integer p and the number of decimals e (exact, any size)."""
    sign, digits, exponent = d.as_tuple()
    p = int("".join(map(str, digits)) or "0") * (-1 if sign else 1)
    assert isinstance(exponent, int)
    return (p * 10 ** exponent, 0) if exponent >= 0 else (p, -exponent)


def _cross(a: Num, op: Op, b: Num, s: Scope) -> exp.Expr:
    """a op b as ``a.num * b.den * 10^.. op b.num * a.den * 10^..`` (denominators > 0)."""
    exact = a.exact and b.exact
    if not exact:  # a double is involved: compare constants natively, not as scaled integers
        a, b = _native(a), _native(b)
    e = max(a.scale, b.scale)
    left = _product(a, b.den, 10 ** (e - a.scale), exact, s)
    right = _product(b, a.den, 10 ** (e - b.scale), exact, s)
    return _COMPARE[op](this=left, expression=right)


def _native(n: Num) -> Num:
    if n.literal is None:
        return n
    return Num(exp.Literal.number(format(n.literal, "f")), exact=False)


def _product(n: Num, den: exp.Expr | None, factor: int, exact: bool,
             s: Scope) -> exp.Expr:
    factors: list[exp.Expr] = []
    if n.literal is not None and exact:
        factor *= split_decimal(n.literal)[0]  # fold constants in Python: exact integers
    else:
        factors.append(n.num)
    if den is not None:
        factors.append(den)
    if not factors:
        return _integer(factor, s)
    if factor != 1:
        factors.append(_integer(factor, s))
    if len(factors) > 1 and exact and s.rules.decimal:
        # Integer products can exceed BIGINT (sum of cents * order count * 10^k).
        factors[0] = exp.cast(factors[0], decimal_type(38, 0), copy=False)
    out = factors[0]
    for f in factors[1:]:
        out = exp.Mul(this=out, expression=f)
    return out


def _integer(value: int, s: Scope) -> exp.Expr:
    """An integer constant of a comparison. One beyond BIGINT is written as text cast to
    ``DECIMAL(38, 0)`` (exact everywhere): not every dialect reads such a number literal as
    an exact number (BigQuery refuses an integer literal outside INT64)."""
    if s.rules.decimal and 2 ** 63 <= abs(value) < 10 ** 38:
        return exp.cast(exp.Literal.string(str(value)), decimal_type(38, 0), copy=False)
    return num(value)


def _days_since(t: Num, op: Op, n: Decimal, s: Scope) -> exp.Expr:
    """``days_since_last_order op n`` as a comparison of last_order_date with a day.

    Days are whole numbers ``as_of - last``; ``days >= k`` is ``last <= as_of - k`` and
    ``days <= k`` is ``last >= as_of - k``. Fractions round to the equivalent whole bound.
    """
    assert t.last_date is not None
    floor, ceil = int(n.to_integral_value("ROUND_FLOOR")), int(n.to_integral_value("ROUND_CEILING"))
    if op is Op.EQ:
        if floor != ceil:
            return exp.false()
        return _guard(t.present, _days_bound(t.last_date, "eq", floor, s))
    kind, k = {Op.GT: ("ge", floor + 1), Op.GE: ("ge", ceil), Op.LT: ("le", ceil - 1),
               Op.LE: ("le", floor)}[op]
    return _guard(t.present, _days_bound(t.last_date, kind, k, s))


def _days_bound(last: exp.Expr, kind: str, k: int, s: Scope) -> exp.Expr:
    as_of = s.ctx.as_of
    try:
        day = as_of - timedelta(days=k)
    except OverflowError:
        # Beyond the calendar: "at least k days" is impossible for huge k, certain for very
        # negative k (and the other way round for "at most").
        certain = (kind == "ge") == (k < 0)
        return exp.true() if certain and kind != "eq" else exp.false()
    cmp = {"ge": exp.LTE, "le": exp.GTE, "eq": exp.EQ}[kind]
    return cmp(this=last, expression=s.rules.day_literal(day))


def _text(t: Text, p: Predicate, s: Scope) -> exp.Expr:
    if p.op is Op.EQ:
        other = _value(p.args[0], s)
        assert isinstance(other, Text)
        return _guard(t.present, other.present, s.rules.eq(t.expr, other.expr))
    return _guard(t.present, _text_match(t.expr, p, s))


def _text_match(e: exp.Expr, p: Predicate, s: Scope) -> exp.Expr | None:
    """The match of lowered text ``e`` against the predicate's (lowered) values; None when
    any present value matches (an empty pattern)."""
    values = [str(v.value) for v in p.args if isinstance(v, Const)]
    if p.op is Op.IN:
        return s.rules.eq_in(e, values)
    pattern = values[0]
    if pattern == "":
        return None
    match p.op:
        case Op.CONTAINS:
            return s.rules.contains(e, pattern)
        case Op.STARTS_WITH:
            return s.rules.starts(e, pattern)
        case Op.ENDS_WITH:
            return s.rules.ends(e, pattern)
    raise AssertionError(f"{p.op} on text")


def _item_set(t: ItemSet, p: Predicate, s: Scope) -> exp.Expr:
    """Some element matches: an uncorrelated semi-join on customer ids. The subquery reads
    only selected orders, whose customer ids are known customers, so it yields no NULL and
    ``NOT (id IN (...))`` stays two-valued."""
    customer = s.column("customers", "customer_id", CUSTOMERS)
    if p.op is Op.IS_NULL:
        return exp.not_(exp.In(this=customer, query=_where(t.source, not_null(t.element))),
                        copy=False)
    match = _text_match(s.rules.lower(t.element), p, s)
    # No match expression (an empty pattern): the element went into a discarded LOWER().
    where = match if match is not None else not_null(t.element.copy())
    return exp.In(this=customer, query=_where(t.source, where))


def _where(source: exp.Select, where: exp.Expr) -> exp.Subquery:
    return source.where(where, copy=False).subquery(copy=False)
