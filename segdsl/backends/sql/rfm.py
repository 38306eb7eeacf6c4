"""The RFM score CTEs, added to the query only when a score is read.

::

    segdsl_rank AS (per customer in segdsl_agg: recency, frequency, monetary = how many
                    customers rank strictly worse, and n = how many there are),
    segdsl_rfm  AS (per customer: each score, 1 + floor(5 * w / n), as one CASE)

``segdsl_agg`` has a row exactly for the customers with an order in the window, which are the
customers the scores rank. ``RANK() - 1`` counts the rows strictly before a row, so ties share
it. The floor is taken without dividing: ``5w >= kn`` for k = 4..1 are integer comparisons,
exact on every engine (and RANK()'s unsigned result on MySQL never goes below 0 here).
"""

from __future__ import annotations

from sqlglot import exp

from segdsl.backends.sql.dialects import num
from segdsl.backends.sql.scope import AGG, RANKS, RFM, col, ident

# Score column -> the aggregate column it ranks; ascending order puts "worse" first:
# an earlier last order, fewer orders, less spent.
RANKED = {"recency": "last_date", "frequency": "orders", "monetary": "sum_minor"}


def _select(columns: list[exp.Expr], source: str) -> exp.Select:
    return exp.Select(expressions=columns, from_=exp.From(this=exp.Table(this=ident(source))))


def _named(e: exp.Expr, name: str) -> exp.Alias:
    return exp.Alias(this=e, alias=ident(name))


def ranks() -> exp.Select:
    columns: list[exp.Expr] = [_named(col("customer_id", AGG), "customer_id")]
    for score, value in RANKED.items():
        rank = exp.Window(this=exp.Rank(), over="OVER", order=exp.Order(
            # The values are never NULL; saying where NULLs go (where sqlglot's default reader
            # puts them) keeps it from spelling out a NULL ordering for some dialects.
            expressions=[exp.Ordered(this=col(value, AGG), nulls_first=True)]))
        columns.append(_named(exp.Sub(this=rank, expression=num(1)), score))
    columns.append(_named(exp.Window(this=exp.Count(this=exp.Star()), over="OVER"), "n"))
    return _select(columns, AGG)


def _times(k: int, e: exp.Expr) -> exp.Expr:
    return e if k == 1 else exp.Mul(this=num(k), expression=e)


def _score(w: str) -> exp.Expr:
    """``1 + floor(5 * w / n)`` as ``CASE WHEN 5w >= 4n THEN 5 ... ELSE 1 END``."""
    case = exp.Case(ifs=[
        exp.If(this=exp.GTE(this=_times(5, col(w, RANKS)), expression=_times(k, col("n", RANKS))),
               true=num(k + 1))
        for k in (4, 3, 2, 1)], default=num(1))
    return _named(case, w)


def scores() -> exp.Select:
    return _select([_named(col("customer_id", RANKS), "customer_id"),
                    *(_score(w) for w in RANKED)], RANKS)


def ctes() -> list[tuple[str, exp.Select]]:
    return [(RANKS, ranks()), (RFM, scores())]
