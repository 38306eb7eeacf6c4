"""The SQL backend: a checked segment → one sqlglot ``SELECT`` for any supported dialect.

The query returns the ``customer_id`` of every matching customer, in order; with
``with_fields=True`` also the computed fields. Money is compared exactly (integer minor units,
cross-multiplied, never divided), every predicate is two-valued (so ``NOT`` is exact) and text
matching never uses ``LIKE``. See docs/dialects.md for what each dialect needs.

>>> from datetime import date
>>> from segdsl.check import check_condition
>>> from segdsl.context import RunContext
>>> seg = check_condition('aov > 10.33').segments[0]
>>> sql = to_sql(seg, RunContext(as_of=date(2024, 3, 31)), dialect="duckdb")
>>> '"sum_minor" > CAST("segdsl_agg"."orders" AS DECIMAL(38, 0)) * 1033' in sql
True
>>> import duckdb
>>> con = duckdb.connect()
>>> _ = con.execute("CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, email VARCHAR,"
...                 " phone VARCHAR, country VARCHAR)")
>>> _ = con.execute("INSERT INTO customers VALUES ('a', NULL, NULL, NULL, NULL), "
...                 "('b', NULL, NULL, NULL, NULL)")
>>> _ = con.execute("CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, "
...                 "ordered_at TIMESTAMP, total DECIMAL(38, 2))")
>>> _ = con.execute("INSERT INTO orders VALUES ('1', 'a', '2024-03-01 10:00', 10), "
...                 "('2', 'a', '2024-03-02', 10), ('3', 'a', '2024-03-03', 11)")
>>> con.execute(sql).fetchall()  # 31/3 = 10.333... > 10.33
[('a',)]
"""

from __future__ import annotations

from sqlglot import exp

from segdsl.backends.sql.dialects import DIALECTS, EXECUTED, GENERATED, rules_for
from segdsl.backends.sql.query import build
from segdsl.backends.sql.scope import Scope
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping

FIELD_COLUMNS = ("orders", "amount_spent", "aov", "first_order_date", "last_order_date",
                 "days_since_last_order")


def compile_segment(segment: CheckedSegment, ctx: RunContext, *, dialect: str = "duckdb",
                    mapping: TableMapping = DEFAULT_MAPPING, money_scale: int = 2,
                    with_fields: bool = False) -> exp.Select:
    """The query selecting the customers of ``segment`` as of ``ctx``, for ``dialect``."""
    scope = Scope(rules_for(dialect), mapping, ctx, money_scale)
    return build(segment, scope, with_fields)


def to_sql(segment: CheckedSegment, ctx: RunContext, *, dialect: str = "duckdb",
           mapping: TableMapping = DEFAULT_MAPPING, money_scale: int = 2,
           with_fields: bool = False, pretty: bool = False) -> str:
    """:func:`compile_segment` printed for ``dialect``."""
    select = compile_segment(segment, ctx, dialect=dialect, mapping=mapping,
                             money_scale=money_scale, with_fields=with_fields)
    try:
        # The tree is new and not kept: let the generator work on it instead of on a deep copy.
        return select.sql(dialect=dialect, pretty=pretty, copy=False)
    finally:
        _release(select)


def _release(root: exp.Expr) -> None:
    """Unlink a tree that is no longer needed, so that reference counting frees it at once.

    sqlglot nodes point to their parent, so every tree is a web of reference cycles that only
    the cycle collector frees; for a compile of a few hundred nodes that collection costs more
    than this walk."""
    stack: list[object] = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        if isinstance(node, exp.Expr):  # args also hold strings, flags and None: skipped here
            node.parent = None
            for value in node.args.values():
                if type(value) is list:
                    extend(value)
                else:
                    push(value)


__all__ = ["DIALECTS", "EXECUTED", "FIELD_COLUMNS", "GENERATED", "compile_segment", "to_sql"]
