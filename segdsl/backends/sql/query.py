"""The query: selected orders → per-customer aggregate → (store aggregate) → customers.

::

    WITH segdsl_orders AS (orders of known customers in the window, local date, minor units),
         segdsl_agg    AS (per customer: orders, sum_minor, first_date, last_date),
         segdsl_store  AS (sum_minor, n over all selected orders; only when store_aov is read)
    SELECT c.customer_id FROM customers AS c LEFT JOIN segdsl_agg ... WHERE <condition>

Items are never joined into the aggregate, so an order with several items counts once.
"""

from __future__ import annotations

from sqlglot import exp

from segdsl.backends.sql.dialects import date_lit, num
from segdsl.backends.sql.predicates import condition
from segdsl.backends.sql.scope import AGG, CUSTOMERS, SELECTED, STORE, Scope, col, ident
from segdsl.check.typed import CheckedSegment


def _alias(e: exp.Expr, name: str) -> exp.Expr:
    return exp.alias_(e, ident(name), copy=False)


def _selected(segment: CheckedSegment, s: Scope) -> exp.Select:
    ordered_at = s.column("orders", "ordered_at", "o")
    local_date = exp.cast(ordered_at, exp.DataType.Type.DATE)
    total = s.column("orders", "total", "o")
    # ROUND before the cast: a REAL 0.1 * 100 is 10.000000000000002, DECIMAL is already exact.
    # ROUND(x, 0): T-SQL requires the second argument.
    minor = exp.cast(exp.Round(this=exp.Mul(this=total, expression=num(10 ** s.money_scale)),
                               decimals=num(0)), exp.DataType.Type.BIGINT)
    known = exp.In(this=s.column("orders", "customer_id", "o"),
                   query=exp.select(s.column("customers", "customer_id", "k"))
                   .from_(s.table("customers", "k")).subquery())
    start, end = s.ctx.window_bounds(segment.window)
    where: list[exp.Expr] = [known]
    if start is not None:
        where.append(exp.GTE(this=local_date.copy(), expression=date_lit(start)))
    where.append(exp.LTE(this=local_date.copy(), expression=date_lit(end)))
    return (exp.select(_alias(s.column("orders", "order_id", "o"), "order_id"),
                       _alias(s.column("orders", "customer_id", "o"), "customer_id"),
                       _alias(local_date, "local_date"), _alias(minor, "total_minor"))
            .from_(s.table("orders", "o")).where(exp.and_(*where, copy=False)))


def _aggregate() -> exp.Select:
    src = SELECTED
    return (exp.select(_alias(col("customer_id", src), "customer_id"),
                       _alias(exp.Count(this=exp.Distinct(expressions=[col("order_id", src)])),
                              "orders"),
                       _alias(exp.Sum(this=col("total_minor", src)), "sum_minor"),
                       _alias(exp.Min(this=col("local_date", src)), "first_date"),
                       _alias(exp.Max(this=col("local_date", src)), "last_date"))
            .from_(exp.Table(this=ident(src))).group_by(col("customer_id", src)))


def _store() -> exp.Select:
    return (exp.select(_alias(exp.Sum(this=col("total_minor", SELECTED)), "sum_minor"),
                       _alias(exp.Count(this=exp.Star()), "n"))
            .from_(exp.Table(this=ident(SELECTED))))


def _fields(s: Scope) -> list[exp.Expr]:
    orders, minor = col("orders", AGG), col("sum_minor", AGG)
    zero = exp.Literal.number(0)
    # Shown, not compared: a rounded value is fine here (comparisons never divide).
    aov = exp.Div(this=exp.cast(minor.copy(), exp.DataType.Type.DOUBLE),
                  expression=exp.paren(exp.Mul(this=orders.copy(),
                                               expression=num(10 ** s.money_scale))))
    last = col("last_date", AGG)
    return [_alias(exp.Coalesce(this=orders, expressions=[zero]), "orders"),
            _alias(s.rules.money(exp.Coalesce(this=minor, expressions=[zero.copy()]),
                                 s.money_scale), "amount_spent"),
            _alias(aov, "aov"),
            _alias(col("first_date", AGG), "first_order_date"),
            _alias(last, "last_order_date"),
            _alias(s.rules.days_between(s.ctx.as_of, last.copy()), "days_since_last_order")]


def build(segment: CheckedSegment, s: Scope, with_fields: bool) -> exp.Select:
    where = condition(segment.condition, s)  # first: it records whether STORE is needed
    customer_id = s.column("customers", "customer_id", CUSTOMERS)
    select = (exp.select(_alias(customer_id, "customer_id"))
              .from_(s.table("customers", CUSTOMERS))
              .join(exp.Table(this=ident(AGG)), join_type="left",
                    on=exp.EQ(this=col("customer_id", AGG), expression=customer_id.copy())))
    if s.uses_store:
        select = select.join(exp.Table(this=ident(STORE)), join_type="cross")
    if with_fields:
        select = select.select(*_fields(s))
    select = select.where(where).order_by(s.rules.key(customer_id.copy()))
    select = select.with_(ident(SELECTED), as_=_selected(segment, s))
    select = select.with_(ident(AGG), as_=_aggregate())
    if s.uses_store:
        select = select.with_(ident(STORE), as_=_store())
    return select
