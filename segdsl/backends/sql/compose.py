"""``IN SEGMENT x`` in SQL: membership in the customers of x's own, complete query.

::

    c.customer_id IN (SELECT m.customer_id
                      FROM (WITH segdsl_orders_1 AS (...), segdsl_agg_1 AS (...)
                            SELECT c_1.customer_id FROM customers AS c_1 ... WHERE <x>)
                           AS segdsl_in_1
                      WHERE m.customer_id IS NOT NULL)

The subquery is uncorrelated, so engines run it once. It is x's query exactly as if x ran on
its own (its own window, the same as-of day), built by the same compiler; only its CTE names
and its customers alias get the suffix of their nesting level, so that no name it defines can
be mistaken for one of the enclosing query's, whatever an engine's scoping rules. The
``IS NOT NULL`` keeps the membership two-valued (``NOT IN`` over a NULL would be unknown).

Where a derived table cannot hold ``WITH`` (``Rules.nested_with``: T-SQL, and Spark, whose
printer would move them up itself), x's CTEs move to the top of the statement, after the
enclosing query's own, and the nested queries are numbered through the statement (``_1``,
``_2``, ...) instead of by level, so that two references side by side keep distinct names
there.
"""

from __future__ import annotations

from sqlglot import exp

from segdsl.backends.sql.scope import CUSTOMERS, Scope, col, ident
from segdsl.check.typed import InSegment


def membership(ref: InSegment, s: Scope) -> exp.Expr:
    """``customer_id IN (<the customers of ref.segment>)``, always TRUE or FALSE."""
    from segdsl.backends.sql.query import build  # query imports predicates, which import us

    inner_scope = Scope(s.rules, s.mapping, s.ctx, s.money_scale, depth=s.depth + 1,
                        hoisted=s.hoisted, numbers=s.numbers)
    hoist = not s.rules.nested_with
    # CTEs hoisted to the top of the statement need names unique in all of it, not only
    # along one path of nesting: number the nested queries instead.
    level = next(s.numbers) if hoist else inner_scope.depth
    inner = build(ref.segment, inner_scope, with_fields=False)
    # Row order means nothing inside IN, and T-SQL refuses ORDER BY in a derived table.
    inner.set("order", None)
    rename_nested(inner, f"_{level}")
    if hoist:
        with_ = inner.args["with_"]
        inner.set("with_", None)
        s.hoisted.extend((cte.alias, cte.this) for cte in with_.expressions)
    alias = f"segdsl_in_{level}"
    members = exp.Select(
        expressions=[col("customer_id", alias)],
        from_=exp.From(this=exp.Subquery(this=inner, alias=exp.TableAlias(this=ident(alias)))),
        where=exp.Where(this=exp.not_(exp.Is(this=col("customer_id", alias),
                                             expression=exp.Null()), copy=False)))
    return exp.In(this=s.column("customers", "customer_id", CUSTOMERS),
                  query=exp.Subquery(this=members))


def rename_nested(select: exp.Select, suffix: str) -> None:
    """Append ``suffix`` to the names ``select`` defines for its own use: its CTEs (whatever
    kinds of field added them) and the customers alias, where they are defined and used.

    Only table positions are touched (a CTE's name, a table reference without a schema, a
    table alias, a column's table qualifier), so a column that happens to share a name is
    left alone; queries nested deeper were renamed with their own suffix when they were built.
    """
    with_ = select.args.get("with_")
    ctes = {cte.alias for cte in with_.expressions} if with_ is not None else set()
    for node in select.walk():
        if not isinstance(node, exp.Identifier):
            continue
        name, parent, key = node.this, node.parent, node.arg_key
        if name in ctes or name == CUSTOMERS:
            is_table = (isinstance(parent, exp.Column) and key == "table") or \
                (isinstance(parent, exp.TableAlias) and key == "this")
            if name in ctes:
                # A user's table in the position of a CTE reference would be schema-qualified
                # or differently named: segdsl_ names are reserved for these CTEs.
                is_table = is_table or (isinstance(parent, exp.CTE) and key == "alias") or \
                    (isinstance(parent, exp.Table) and key == "this" and not parent.args.get("db"))
            if is_table:
                node.set("this", name + suffix)
