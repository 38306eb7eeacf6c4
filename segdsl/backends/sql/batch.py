"""Many segments sharing a window → one query, and the per-member export query.

The orders of a window and the per-customer aggregate (the CTEs of :mod:`query`) are what a
segment costs; the conditions on top are cheap. So the segment store refreshes every segment
of a window with one query returning a 0/1 flag per segment::

    WITH segdsl_orders AS (...), segdsl_agg AS (...)[, segdsl_store AS (...)]
    SELECT * FROM (SELECT c.customer_id, CASE WHEN <cond 0> THEN 1 ELSE 0 END AS s_0, ...)
    WHERE s_0 = 1 OR s_1 = 1 ...

The CTEs and joins are those of :func:`query.build` (kept in step with it: STORE, RFM).
The outer filter keeps the result to customers in at least one segment without repeating the
conditions.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from segdsl.backends.sql import _release, rfm
from segdsl.backends.sql.dialects import rules_for
from segdsl.backends.sql.predicates import condition
from segdsl.backends.sql.query import _aggregate, _alias, _query, _selected, _store
from segdsl.backends.sql.scope import AGG, CUSTOMERS, RFM, SELECTED, STORE, Scope, col, ident
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping

FLAGGED = "segdsl_flags"


def flag_column(k: int) -> str:
    return f"s_{k}"


def _sql(select: exp.Select, dialect: str) -> str:
    try:
        return rules_for(dialect).finish(select).sql(dialect=dialect, copy=False)
    finally:
        _release(select)


def _window_ctes(first: CheckedSegment, s: Scope) -> list[tuple[str, exp.Select]]:
    ctes = [(SELECTED, _selected(first, s)), (AGG, _aggregate())]
    if s.uses_store:
        ctes.append((STORE, _store()))
    if s.uses_rfm:
        ctes += rfm.ctes()
    return ctes + s.hoisted  # built after the conditions: IN SEGMENT's CTEs, for T-SQL


def _customer_joins(s: Scope) -> list[exp.Join]:
    joins = [exp.Join(this=exp.Table(this=ident(AGG)), side="LEFT",
                      on=exp.EQ(this=col("customer_id", AGG),
                                expression=s.column("customers", "customer_id", CUSTOMERS)))]
    if s.uses_store:
        joins.append(exp.Join(this=exp.Table(this=ident(STORE)), kind="CROSS"))
    if s.uses_rfm:
        joins.append(exp.Join(this=exp.Table(this=ident(RFM)), side="LEFT", on=exp.EQ(
            this=col("customer_id", RFM),
            expression=s.column("customers", "customer_id", CUSTOMERS))))
    return joins


def batch_sql(segments: Sequence[CheckedSegment], ctx: RunContext, *, dialect: str = "duckdb",
              mapping: TableMapping = DEFAULT_MAPPING, money_scale: int = 2) -> str:
    """One query flagging the members of every segment; all must share one window (as
    resolved by ``ctx``). Rows: ``customer_id, s_0, s_1, ...`` for customers in any segment."""
    if not segments:
        raise ValueError("no segments")
    bounds = {ctx.window_bounds(seg.window) for seg in segments}
    if len(bounds) != 1:
        raise ValueError("batch_sql needs segments that share one window")
    s = Scope(rules_for(dialect), mapping, ctx, money_scale)
    flags: list[exp.Expr] = [_alias(s.column("customers", "customer_id", CUSTOMERS),
                                    "customer_id")]
    for k, seg in enumerate(segments):
        case = exp.Case(ifs=[exp.If(this=condition(seg.condition, s),
                                    true=exp.Literal.number(1))],
                        default=exp.Literal.number(0))
        flags.append(_alias(case, flag_column(k)))
    inner = _query(flags, s.table("customers", CUSTOMERS), joins=_customer_joins(s))
    any_flag = exp.or_(*(exp.EQ(this=col(flag_column(k), FLAGGED),
                                expression=exp.Literal.number(1))
                         for k in range(len(segments))), copy=False)
    outer = _query([exp.Star()], exp.Subquery(this=inner, alias=exp.TableAlias(
        this=ident(FLAGGED))), where=any_flag, ctes=_window_ctes(segments[0], s))
    return _sql(outer, dialect)


def export_sql(segment: CheckedSegment, ctx: RunContext, *, members_table: str,
               dialect: str = "duckdb", mapping: TableMapping = DEFAULT_MAPPING,
               money_scale: int = 2) -> str:
    """The stored members of ``segment`` with what an export shows, over its window:
    ``customer_id, name, email, phone, orders, sum_minor, last_date, store_sum_minor,
    store_orders`` (money in integer minor units, so the caller divides exactly)."""
    s = Scope(rules_for(dialect), mapping, ctx, money_scale)
    s.uses_store = True

    def cust(name: str) -> exp.Column:
        return s.column("customers", name, CUSTOMERS)

    def zero_if_null(e: exp.Expr) -> exp.Expr:
        return exp.Coalesce(this=e, expressions=[exp.Literal.number(0)])

    member = exp.and_(
        exp.EQ(this=col("customer_id", "m"), expression=cust("customer_id")),
        exp.EQ(this=col("segment", "m"), expression=exp.Literal.string(segment.name)),
        copy=False)
    joins = [exp.Join(this=exp.Table(this=ident(members_table),
                                     alias=exp.TableAlias(this=ident("m"))), on=member),
             *_customer_joins(s)]
    columns = [_alias(cust("customer_id"), "customer_id"), _alias(cust("name"), "name"),
               _alias(cust("email"), "email"), _alias(cust("phone"), "phone"),
               _alias(zero_if_null(col("orders", AGG)), "orders"),
               _alias(zero_if_null(col("sum_minor", AGG)), "sum_minor"),
               _alias(col("last_date", AGG), "last_date"),
               _alias(zero_if_null(col("sum_minor", STORE)), "store_sum_minor"),
               _alias(col("n", STORE), "store_orders")]
    select = _query(columns, s.table("customers", CUSTOMERS), joins=joins,
                    order=s.rules.key(cust("customer_id")), ctes=_window_ctes(segment, s))
    return _sql(select, dialect)


def product_types_sql(segment: CheckedSegment, ctx: RunContext, *, members_table: str,
                      dialect: str = "duckdb", mapping: TableMapping = DEFAULT_MAPPING) -> str:
    """``customer_id, product_type`` pairs (distinct) bought by the members in the window."""
    s = Scope(rules_for(dialect), mapping, ctx, 2)
    items = exp.Join(this=s.table("order_items", "i"), on=exp.EQ(
        this=s.column("order_items", "order_id", "i"), expression=col("order_id", SELECTED)))
    products = exp.Join(this=s.table("products", "p"), on=exp.EQ(
        this=s.column("products", "product_id", "p"),
        expression=s.column("order_items", "product_id", "i")))
    members = exp.Join(this=exp.Table(this=ident(members_table),
                                      alias=exp.TableAlias(this=ident("m"))),
                       on=exp.and_(exp.EQ(this=col("customer_id", "m"),
                                          expression=col("customer_id", SELECTED)),
                                   exp.EQ(this=col("segment", "m"),
                                          expression=exp.Literal.string(segment.name)),
                                   copy=False))
    ptype = s.column("products", "product_type", "p")
    select = _query([_alias(col("customer_id", SELECTED), "customer_id"),
                     _alias(ptype, "product_type")],
                    exp.Table(this=ident(SELECTED)), joins=[members, items, products],
                    where=exp.Not(this=exp.Is(this=ptype.copy(), expression=exp.Null())),
                    ctes=[(SELECTED, _selected(segment, s))])
    select.set("distinct", exp.Distinct())
    return _sql(select, dialect)
