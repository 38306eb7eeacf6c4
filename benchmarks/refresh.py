"""Refreshing a workspace's segments vs computing the customer fields once, on the full data.

The store refreshes every segment sharing a window with one query (the orders and the
per-customer aggregate are computed once; each segment adds a CASE WHEN flag), so refreshing
the 8 SYSTEM + 20 CUSTOM segments of one window should cost at most about twice computing the
customer fields once on the same engine.

"The customer fields once" is, for the baseline, one query through the same engine (connect,
query, fetch every row, close) returning per customer of the store **every field of the
catalog** over the window: name, email, phone, country; orders, amount_spent, aov,
first_order_date, last_order_date, days_since_last_order; store_aov; recency_score,
frequency_score, monetary_score (the RFM window functions); and the sets product_type and
collection (the distinct values over the order lines of the window, aggregated per customer:
they read order_items, products and product_collections). It reuses the CTEs the segment
queries use (segdsl_orders, segdsl_agg, segdsl_store, segdsl_rank/segdsl_rfm), so it is what a
segment language has to compute to know a customer. The earlier, narrower baseline
(``to_sql(..., with_fields=True)``: only the aggregate fields, no scores, no sets, no store
values) is printed too.

Prints: both baselines, the first refresh (every segment new: every member written), the
steady refresh (median of ``--repeat`` ``refresh --all`` runs on unchanged data: only the
counts, history and last changes are written), the ratios, the cost per segment and the peak
memory (max RSS of the process, which also holds the imported data).

    python benchmarks/refresh.py [--source online_retail.csv.gz] [--repeat 5]

Skips with a message when the full Online Retail file is absent.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlglot import exp, parse_one

from segdsl.backends.sql import to_sql
from segdsl.backends.sql.batch import _customer_joins, _window_ctes
from segdsl.backends.sql.dialects import rules_for
from segdsl.backends.sql.query import _alias, _fields, _query
from segdsl.backends.sql.scope import CUSTOMERS, RFM, SELECTED, STORE, Scope, col, ident
from segdsl.check.checker import check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.engines import connect
from segdsl.store import importer
from segdsl.store.mapping import DEFAULT_MAPPING
from segdsl.workspace import init_workspace
from segdsl.workspace.example import AS_OF
from segdsl.workspace.refresh import refresh

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "online-retail" / "online_retail.csv.gz"
CUSTOM = [
    "orders >= 10", "orders = 1", "aov > 500", "aov > store_aov", "amount_spent >= 5000",
    "amount_spent between 100 and 1000", 'country = "France"', 'country != "United Kingdom"',
    'product_type = "mug"', 'collection = "christmas"', "days_since_last_order <= 30",
    "days_since_last_order > 180", "first_order_date >= -3m", "last_order_date < -6m",
    'product_type in ("candle", "holder", "lantern") and not collection = "christmas"',
    "orders >= 3 and aov < 100", 'country in ("Germany", "France", "Spain")',
    "amount_spent > 10000 or orders > 50", 'name is null and country = "EIRE"',
    "orders between 2 and 5 and days_since_last_order <= 90",
]


def best(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def all_fields_sql(segment: CheckedSegment, ctx: RunContext, money_scale: int) -> str:
    """Every catalog field of every customer over ``segment``'s window, in one DuckDB query."""
    s = Scope(rules_for("duckdb"), DEFAULT_MAPPING, ctx, money_scale)
    s.uses_store = s.uses_rfm = True

    def cust(name: str) -> exp.Column:
        return s.column("customers", name, CUSTOMERS)

    def item_set(name: str, table: str, column: str) -> tuple[str, exp.Select]:
        return name, parse_one(
            f"SELECT o.customer_id AS customer_id, ARRAY_AGG(DISTINCT p.{column}) AS {column} "
            f"FROM {SELECTED} AS o JOIN order_items AS i ON i.order_id = o.order_id "
            f"JOIN {table} AS p ON p.product_id = i.product_id "
            f"WHERE p.{column} IS NOT NULL GROUP BY o.customer_id",
            read="duckdb", into=exp.Select)

    sets = [item_set("segdsl_types", "products", "product_type"),
            item_set("segdsl_collections", "product_collections", "collection")]
    store_aov = exp.Div(this=exp.cast(col("sum_minor", STORE), exp.DataType.Type.DOUBLE),
                        expression=exp.paren(exp.Mul(this=col("n", STORE), expression=(
                            exp.Literal.number(10 ** money_scale)))))
    columns = [_alias(cust("customer_id"), "customer_id"),
               *(_alias(cust(n), n) for n in ("name", "email", "phone", "country")),
               *_fields(s), _alias(store_aov, "store_aov"),
               *(_alias(col(c, RFM), f"{c}_score")
                 for c in ("recency", "frequency", "monetary")),
               _alias(col("product_type", "segdsl_types"), "product_type"),
               _alias(col("collection", "segdsl_collections"), "collection")]
    joins = _customer_joins(s) + [
        exp.Join(this=exp.Table(this=ident(name)), side="LEFT",
                 on=exp.EQ(this=col("customer_id", name), expression=cust("customer_id")))
        for name, _ in sets]
    select = _query(columns, s.table("customers", CUSTOMERS), joins=joins,
                    ctes=_window_ctes(segment, s) + sets)
    return select.sql(dialect="duckdb")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if not args.source.is_file():
        print(f"skipped: the full Online Retail file is not at {args.source}")
        return 0
    store = importer.import_line_items(args.source, importer.PRESETS["online-retail"]).store
    root = Path(tempfile.mkdtemp(prefix="segdsl-bench-"))
    ws = init_workspace(root, as_of=AS_OF)
    with connect(ws.url) as engine:
        engine.load(store)
    (root / "segments" / "bench.seg").write_text("".join(
        f'segment custom_{i} "Custom {i}"\n  window from -1y\n  where {text}\n\n'
        for i, text in enumerate(CUSTOM)), encoding="utf-8")
    print(f"store: {len(store.customers):,} customers, {len(store.orders):,} orders; "
          f"DuckDB file {ws.url}")

    # The baselines: the customer fields of the same window, once, through the same engine.
    windowed = check_file('segment f "F"\n  window from -1y\n  where orders >= 0\n')
    assert windowed.ok
    segment = windowed.segments[0]
    with connect(ws.url) as engine:
        money_scale = engine.describe(ws.config.mapping).money_scale
    narrow_sql = to_sql(segment, ws.context(), dialect="duckdb", with_fields=True,
                        money_scale=money_scale)
    fields_sql = all_fields_sql(segment, ws.context(), money_scale)
    del store

    def once(sql: str) -> Callable[[], list[tuple[Any, ...]]]:
        def run() -> list[tuple[Any, ...]]:
            with connect(ws.url) as engine:
                return engine.query(sql)
        return run

    start = time.perf_counter()
    first = refresh(ws, all_=True)
    first_time = time.perf_counter() - start
    n = len(first.refreshed)
    assert first.windows == 1, "the segments were meant to share one window"
    assert len(once(fields_sql)()) == len(once(narrow_sql)())
    fields_best, fields_median = best(once(fields_sql), args.repeat)
    narrow_best, narrow_median = best(once(narrow_sql), args.repeat)
    refresh_best, refresh_median = best(lambda: refresh(ws, all_=True), args.repeat)
    ratio = refresh_median / fields_median
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def ms(median: float, least: float) -> str:
        return f"{median * 1000:8.1f} ms (best {least * 1000:.1f})"

    print(f"customer fields once, all fields:    {ms(fields_median, fields_best)}")
    print(f"customer fields once, narrow:        {ms(narrow_median, narrow_best)} "
          "(aggregates only: no scores, sets, store)")
    print(f"first refresh, {n} segments new:      {first_time * 1000:8.1f} ms "
          f"(every member written, tables created)")
    print(f"refresh {n} segments:                 {ms(refresh_median, refresh_best)}, "
          f"{first.windows} query")
    print(f"ratio refresh / all fields:          {ratio:8.2f}x (target <= 2x)")
    print(f"ratio refresh / narrow fields:       {refresh_median / narrow_median:8.2f}x")
    print(f"per segment:                         {refresh_median / n * 1000:8.2f} ms "
          f"(beyond the all-fields query: "
          f"{(refresh_median - fields_median) / n * 1000:.2f} ms)")
    print(f"peak memory (max RSS):               {peak_mb:8.0f} MB")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
