"""Compile speed: segdsl (parse, check, SQL for one dialect) vs the prqlc Python package
compiling the equivalent PRQL query, measured side by side in one run.

Two PRQL queries are timed: the bare filter over a table that already has the fields, and the
query that computes them from orders like segdsl's SQL does (the fair comparison; the target
is segdsl <= 1/3 of its time).

    python benchmarks/compile_vs_prqlc.py [--repeat 2000] [--dialect duckdb]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import date

import prqlc

from segdsl.backends.sql import to_sql
from segdsl.check import check_condition
from segdsl.context import RunContext

SEGMENT = 'orders >= 3 AND aov > 50 OR country = "IN"'

PRQL_FILTER = """
from customers
filter ((orders >= 3 && aov > 50) || country == "IN")
select {customer_id}
"""

PRQL_EQUIVALENT = """
from o = orders
filter (o.ordered_at <= @2024-03-31)
group {o.customer_id} (aggregate {n = count o.order_id, spent = sum o.total})
derive {aov = spent / n}
join side:right c = customers (==customer_id)
filter (((n ?? 0) >= 3 && aov > 50) || c.country == "IN")
select {c.customer_id}
sort {c.customer_id}
"""


def per_call(fn: Callable[[], object], repeat: int) -> float:
    """Median seconds per call over 5 rounds of ``repeat`` calls (after a warm-up)."""
    for _ in range(min(50, repeat)):
        fn()
    rounds = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(repeat):
            fn()
        rounds.append((time.perf_counter() - start) / repeat)
    return statistics.median(rounds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1000)
    ap.add_argument("--dialect", default="duckdb")
    args = ap.parse_args()
    ctx = RunContext(as_of=date(2024, 3, 31))

    def segdsl_compile() -> str:
        seg = check_condition(SEGMENT).segments[0]
        return to_sql(seg, ctx, dialect=args.dialect)

    options = prqlc.CompileOptions(target=f"sql.{args.dialect}", signature_comment=False)
    t_seg = per_call(segdsl_compile, args.repeat)
    t_filter = per_call(lambda: prqlc.compile(PRQL_FILTER, options), args.repeat)
    t_equiv = per_call(lambda: prqlc.compile(PRQL_EQUIVALENT, options), args.repeat)
    print(f"segment: {SEGMENT}   dialect: {args.dialect}   calls per round: {args.repeat}")
    print(f"{'compiler':<40}{'µs per compile':>16}{'segdsl / it':>14}")
    print(f"{'segdsl (parse + check + SQL)':<40}{t_seg * 1e6:>16.1f}{1.0:>14.2f}")
    print(f"{'prqlc, equivalent query (aggregates)':<40}{t_equiv * 1e6:>16.1f}"
          f"{t_seg / t_equiv:>14.2f}")
    print(f"{'prqlc, bare filter':<40}{t_filter * 1e6:>16.1f}{t_seg / t_filter:>14.2f}")
    verdict = "meets" if t_seg <= t_equiv / 3 else "MISSES"
    print(f"target: segdsl <= 1/3 of prqlc on the equivalent query: {verdict} "
          f"(ratio {t_seg / t_equiv:.2f})")


if __name__ == "__main__":
    main()
