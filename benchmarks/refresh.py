"""Refreshing a workspace's segments vs computing the customer fields once, on the full data.

The store refreshes every segment sharing a window with one query (the orders and the
per-customer aggregate are computed once; each segment adds a CASE WHEN flag), so refreshing
the 8 SYSTEM + 20 CUSTOM segments of one window should cost at most about twice computing the
customer fields once on the same engine. Prints both times, the ratio, the cost per segment and
the peak memory.

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

from segdsl.backends.sql import to_sql
from segdsl.check import check_condition
from segdsl.engines import connect
from segdsl.store import importer
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

    # The baseline: the customer fields of the same window, once, through the same engine.
    everyone = check_condition("orders >= 0", schema=store.schema(),
                               window=None).segments[0]
    from segdsl.check.checker import check_file

    windowed = check_file('segment f "F"\n  window from -1y\n  where orders >= 0\n')
    fields_sql = to_sql(windowed.segments[0] if windowed.ok else everyone, ws.context(),
                        dialect="duckdb", with_fields=True)
    del store

    def fields_once() -> None:
        with connect(ws.url) as engine:
            engine.query(fields_sql)

    first = refresh(ws, all_=True)
    n = len(first.refreshed)
    assert first.windows == 1, "the segments were meant to share one window"
    fields_best, fields_median = best(fields_once, args.repeat)
    refresh_best, refresh_median = best(lambda: refresh(ws, all_=True), args.repeat)
    ratio = refresh_median / fields_median
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"customer fields once:      {fields_median * 1000:8.1f} ms (best "
          f"{fields_best * 1000:.1f})")
    print(f"refresh {n} segments:      {refresh_median * 1000:8.1f} ms (best "
          f"{refresh_best * 1000:.1f}), {first.windows} query")
    print(f"ratio refresh / fields:    {ratio:8.2f}x (target <= 2x)")
    print(f"per segment:               {refresh_median / n * 1000:8.2f} ms "
          f"(beyond the fields: {(refresh_median - fields_median) / n * 1000:.2f} ms)")
    print(f"peak memory (max RSS):     {peak_mb:8.0f} MB")
    return 0 if ratio <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
