"""The query: selected orders → per-customer aggregate → (store aggregate) → customers.

::

    WITH segdsl_orders AS (orders of known customers in the window, local date, minor units),
         segdsl_agg    AS (per customer: orders, sum_minor, first_date, last_date),
         segdsl_store  AS (sum_minor, n over all selected orders; only when store_aov is read)
         segdsl_rank, segdsl_rfm AS (the RFM scores; only when a score is read, see rfm.py)
    SELECT c.customer_id FROM customers AS c LEFT JOIN segdsl_agg ... WHERE <condition>

Items are never joined into the aggregate, so an order with several items counts once.
"""

from __future__ import annotations

from sqlglot import exp

from segdsl.backends.sql import rfm
from segdsl.backends.sql.dialects import num
from segdsl.backends.sql.predicates import condition
from segdsl.backends.sql.scope import AGG, CUSTOMERS, RFM, SELECTED, STORE, Scope, col, ident
from segdsl.check.typed import CheckedSegment


def _alias(e: exp.Expr, name: str) -> exp.Expr:
    """``e AS "name"``: what ``exp.alias_(e, name, quoted=True)`` builds for an expression
    without an alias slot of its own (a column, a cast, a function, arithmetic)."""
    assert "alias" not in e.arg_types, e
    return exp.Alias(this=e, alias=ident(name))


def _query(columns: list[exp.Expr], source: exp.Expr, *, joins: list[exp.Join] | None = None,
           where: exp.Expr | None = None, group: exp.Expr | None = None,
           order: exp.Expr | None = None,
           ctes: list[tuple[str, exp.Select]] | None = None) -> exp.Select:
    """``WITH ctes SELECT columns FROM source joins WHERE .. GROUP BY .. ORDER BY ..``: the
    nodes that sqlglot's builders (``select().from_().join().where()...``) make, built directly.

    The tree is built once and owned by the caller, so nothing is copied: every node passed in
    must be placed in the tree only once (a column used twice is built twice).
    """
    args: dict[str, exp.Expr | list[exp.Expr]] = {"expressions": columns,
                                                  "from_": exp.From(this=source)}
    if joins:
        args["joins"] = list(joins)
    if where is not None:
        args["where"] = exp.Where(this=where)
    if group is not None:
        args["group"] = exp.Group(expressions=[group])
    if order is not None:
        args["order"] = exp.Order(expressions=[order])
    if ctes:
        args["with_"] = exp.With(expressions=[exp.CTE(this=q, alias=ident(name))
                                              for name, q in ctes])
    return exp.Select(**args)


def _selected(segment: CheckedSegment, s: Scope) -> exp.Select:
    def local_date() -> exp.Expr:
        return s.rules.to_date(s.column("orders", "ordered_at", "o"))

    total = s.column("orders", "total", "o")
    # ROUND before the cast: a REAL 0.1 * 100 is 10.000000000000002, DECIMAL is already exact.
    # ROUND(x, 0): T-SQL requires the second argument.
    minor = exp.cast(exp.Round(this=exp.Mul(this=total, expression=num(10 ** s.money_scale)),
                               decimals=num(0)), exp.DataType.Type.BIGINT, copy=False)
    known = exp.In(this=s.column("orders", "customer_id", "o"), query=exp.Subquery(
        this=_query([s.column("customers", "customer_id", "k")], s.table("customers", "k"))))
    start, end = s.ctx.window_bounds(segment.window)
    where: list[exp.Expr] = [known]
    if start is not None:
        where.append(exp.GTE(this=local_date(), expression=s.rules.day_literal(start)))
    where.append(exp.LTE(this=local_date(), expression=s.rules.day_literal(end)))
    return _query([_alias(s.column("orders", "order_id", "o"), "order_id"),
                   _alias(s.column("orders", "customer_id", "o"), "customer_id"),
                   _alias(local_date(), "local_date"), _alias(minor, "total_minor")],
                  s.table("orders", "o"), where=exp.and_(*where, copy=False))


def _aggregate() -> exp.Select:
    src = SELECTED
    return _query([_alias(col("customer_id", src), "customer_id"),
                   _alias(exp.Count(this=exp.Distinct(expressions=[col("order_id", src)])),
                          "orders"),
                   _alias(exp.Sum(this=col("total_minor", src)), "sum_minor"),
                   _alias(exp.Min(this=col("local_date", src)), "first_date"),
                   _alias(exp.Max(this=col("local_date", src)), "last_date")],
                  exp.Table(this=ident(src)), group=col("customer_id", src))


def _store() -> exp.Select:
    return _query([_alias(exp.Sum(this=col("total_minor", SELECTED)), "sum_minor"),
                   _alias(exp.Count(this=exp.Star()), "n")], exp.Table(this=ident(SELECTED)))


def _fields(s: Scope) -> list[exp.Expr]:
    # Every column is built afresh for each place it appears: no node is shared in the tree.
    def zero() -> exp.Expr:
        return exp.Literal.number(0)

    # Shown, not compared: a rounded value is fine here (comparisons never divide).
    aov = exp.Div(this=exp.cast(col("sum_minor", AGG), exp.DataType.Type.DOUBLE, copy=False),
                  expression=exp.paren(exp.Mul(this=col("orders", AGG),
                                               expression=num(10 ** s.money_scale)), copy=False))
    return [_alias(exp.Coalesce(this=col("orders", AGG), expressions=[zero()]), "orders"),
            _alias(s.rules.money(exp.Coalesce(this=col("sum_minor", AGG), expressions=[zero()]),
                                 s.money_scale), "amount_spent"),
            _alias(aov, "aov"),
            _alias(col("first_date", AGG), "first_order_date"),
            _alias(col("last_date", AGG), "last_order_date"),
            _alias(s.rules.days_between(s.ctx.as_of, col("last_date", AGG)),
                   "days_since_last_order")]


def build(segment: CheckedSegment, s: Scope, with_fields: bool) -> exp.Select:
    """The whole query (see :func:`_query`: no node may appear twice)."""
    where = condition(segment.condition, s)  # first: it records whether STORE/RFM are needed

    def customer_id() -> exp.Column:
        return s.column("customers", "customer_id", CUSTOMERS)

    joins = [exp.Join(this=exp.Table(this=ident(AGG)), side="LEFT",
                      on=exp.EQ(this=col("customer_id", AGG), expression=customer_id()))]
    if s.uses_store:
        joins.append(exp.Join(this=exp.Table(this=ident(STORE)), kind="CROSS"))
    if s.uses_rfm:
        joins.append(exp.Join(this=exp.Table(this=ident(RFM)), side="LEFT",
                              on=exp.EQ(this=col("customer_id", RFM), expression=customer_id())))
    columns = [_alias(customer_id(), "customer_id")]
    if with_fields:
        columns += _fields(s)
    ctes = [(SELECTED, _selected(segment, s)), (AGG, _aggregate())]
    if s.uses_store:
        ctes.append((STORE, _store()))
    if s.uses_rfm:
        ctes += rfm.ctes()
    if s.depth == 0:
        ctes += s.hoisted  # IN SEGMENT's CTEs where they cannot stay nested (compose.py)
    select = _query(columns, s.table("customers", CUSTOMERS), joins=joins, where=where,
                    order=s.rules.key(customer_id()), ctes=ctes)
    return s.rules.finish(select) if s.depth == 0 else select
