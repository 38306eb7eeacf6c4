"""One SQL implementation per catalog :class:`~segdsl.catalog.Kind`.

Each kind turns a field into a *term*: the SQL for its value plus the condition under which
it is present (``None`` = never missing). Predicates (``predicates.py``) work on terms only,
so a new kind is one function and one entry in :data:`KINDS`.

- :class:`Num` is an exact fraction ``num / (den * 10**scale)``; money is kept as integer
  minor units so comparisons cross-multiply instead of dividing.
- :class:`Day` is a date, :class:`Text` a text value, :class:`ItemSet` a set of texts over the
  items of a customer's selected orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from sqlglot import exp

from segdsl.backends.sql.scope import AGG, CUSTOMERS, RFM, SELECTED, STORE, Scope, col
from segdsl.catalog import Field, FieldType, Kind


@dataclass(frozen=True)
class Num:
    num: exp.Expr
    den: exp.Expr | None = None  # positive whenever the term is present
    scale: int = 0
    present: exp.Expr | None = None
    exact: bool = True  # False for custom numbers (stored as DOUBLE)
    literal: Decimal | None = None  # set for constants, to compare natively with doubles
    last_date: exp.Expr | None = None  # days_since_last_order: counts from this date


@dataclass(frozen=True)
class Day:
    expr: exp.Expr
    present: exp.Expr | None


@dataclass(frozen=True)
class Text:
    expr: exp.Expr  # lowered
    present: exp.Expr


@dataclass(frozen=True)
class ItemSet:
    source: exp.Select  # SELECT customer_id FROM selected orders JOIN items ... (no WHERE yet)
    element: exp.Expr  # the raw element column


Term = Num | Day | Text | ItemSet

# The compiler builds its tree with copy=False, so a node may be placed in it only once: each
# expression of a term is used once per comparison, and a predicate that compares a field more
# than once (BETWEEN, IN) builds its term again for every further comparison.


def not_null(e: exp.Expr) -> exp.Expr:
    """``NOT e IS NULL``; ``e`` becomes part of the result (pass a node used nowhere else)."""
    return exp.not_(exp.Is(this=e, expression=exp.Null()), copy=False)


def _agg(name: str) -> exp.Column:
    return col(name, AGG)


def order_count(f: Field, s: Scope) -> Term:
    return Num(exp.Coalesce(this=_agg("orders"), expressions=[exp.Literal.number(0)]))


def amount_spent(f: Field, s: Scope) -> Term:
    return Num(exp.Coalesce(this=_agg("sum_minor"), expressions=[exp.Literal.number(0)]),
               scale=s.money_scale)


def aov(f: Field, s: Scope) -> Term:
    # AGG has a row only for customers with orders, so a non-null count means orders > 0.
    return Num(_agg("sum_minor"), _agg("orders"), s.money_scale, not_null(_agg("orders")))


def store_aov(f: Field, s: Scope) -> Term:
    s.uses_store = True
    return Num(col("sum_minor", STORE), col("n", STORE), s.money_scale,
               exp.GT(this=col("n", STORE), expression=exp.Literal.number(0)))


def first_order_date(f: Field, s: Scope) -> Term:
    return Day(_agg("first_date"), not_null(_agg("first_date")))


def last_order_date(f: Field, s: Scope) -> Term:
    return Day(_agg("last_date"), not_null(_agg("last_date")))


def days_since_last_order(f: Field, s: Scope) -> Term:
    last = _agg("last_date")
    return Num(s.rules.days_between(s.ctx.as_of, last), present=not_null(_agg("last_date")),
               last_date=_agg("last_date"))


def customer_text(f: Field, s: Scope) -> Term:
    assert f.column is not None
    name = f.column

    def c() -> exp.Column:
        return s.column("customers", name, CUSTOMERS)

    return Text(s.rules.lower(c()), not_null(c()))


def custom(f: Field, s: Scope) -> Term:
    assert f.column is not None
    name = f.column  # the real column name: custom attributes are not mapped
    if f.type is FieldType.NUMBER:
        return Num(col(name, CUSTOMERS), present=not_null(col(name, CUSTOMERS)), exact=False)
    if f.type is FieldType.DATE:
        return Day(col(name, CUSTOMERS), not_null(col(name, CUSTOMERS)))
    return Text(s.rules.lower(col(name, CUSTOMERS)), not_null(col(name, CUSTOMERS)))


def item_set(f: Field, s: Scope) -> Term:
    assert f.column is not None and f.table is not None
    items = s.table("order_items", "i")
    source = (exp.select(col("customer_id", "o"), copy=False).from_(exp.Table(
        this=exp.to_identifier(SELECTED, quoted=True),
        alias=exp.TableAlias(this=exp.to_identifier("o", quoted=True))), copy=False)
        .join(items, on=exp.EQ(this=s.column("order_items", "order_id", "i"),
                               expression=col("order_id", "o")), copy=False))
    # The attribute's table joins on product_id whether it is products or product_collections.
    source = source.join(s.table(f.table, "p"), on=exp.EQ(
        this=s.column(f.table, "product_id", "p"),
        expression=s.column("order_items", "product_id", "i")), copy=False)
    return ItemSet(source, s.column(f.table, f.column, "p"))


def rfm_score(f: Field, s: Scope) -> Term:
    # A row of RFM (LEFT JOINed) exists exactly for the customers with an order in the window.
    assert f.column is not None
    s.uses_rfm = True
    return Num(col(f.column, RFM), present=not_null(col(f.column, RFM)))


KINDS: dict[Kind, Callable[[Field, Scope], Term]] = {
    Kind.CUSTOMER_TEXT: customer_text,
    Kind.ORDER_COUNT: order_count,
    Kind.AMOUNT_SPENT: amount_spent,
    Kind.AOV: aov,
    Kind.STORE_AOV: store_aov,
    Kind.FIRST_ORDER_DATE: first_order_date,
    Kind.LAST_ORDER_DATE: last_order_date,
    Kind.DAYS_SINCE_LAST_ORDER: days_since_last_order,
    Kind.ITEM_SET: item_set,
    Kind.CUSTOM: custom,
    Kind.RFM_SCORE: rfm_score,
}


def term(f: Field, s: Scope) -> Term:
    return KINDS[f.kind](f, s)
