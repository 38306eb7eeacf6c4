"""Benchmark: segdsl's in-memory backend against DuckDB and the `rule-engine` package.

    .venv/bin/python benchmarks/memory_vs_duckdb.py [--customers 1000000] [--orders 10000000]
                                                    [--seed 7] [--repeat 5] [--items 0]

A seeded generator builds a Store directly from numpy arrays (no CSV), then, in one run:

(a) per-customer fields (orders, amount_spent, first/last order date): segdsl
    ``compute_fields`` vs a DuckDB ``GROUP BY`` over the same data, loaded into an in-process
    DuckDB connection beforehand (loading is not timed; neither is segdsl's ``prepare``,
    which is reported on its own line);
(a') the same fields cold, for the whole history: segdsl ``prepare`` + ``compute_fields``
    vs DuckDB (i) running the ``GROUP BY`` straight over the generator's arrays registered
    as Arrow (no load; customer ids already integers), (ii) loading them into native tables
    and then running it, (iii) starting from the Store's own columns, text ids and all
    (Python lists -> Arrow, then the ``GROUP BY`` over the orders of known customers);
(b) filtering ``orders >= 3 AND aov > 50 OR country = "IN"`` given those fields: segdsl
    ``evaluate_mask`` vs the equivalent DuckDB query materialising the matching customers;
(c) per-customer cost against `rule-engine` evaluating the same rule on dicts of the same
    fields (a sample of customers, scaled);
(d) peak memory: the process's max RSS, and tracemalloc's peak for one ``compute_fields``.

Times are the best of ``--repeat`` runs (``--cold-repeat`` for (a'); time.perf_counter).
Targets: (a) and (a') within 3x of DuckDB, (b) within 2x, (c) at least 100x faster per
customer.
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any, overload

import duckdb
import numpy as np
import pyarrow as pa
import rule_engine  # type: ignore[import-untyped]

from segdsl.backends.memory import compute_fields, evaluate_mask, prepare
from segdsl.check import check_condition
from segdsl.check.typed import RelativeDate, Window
from segdsl.context import RunContext
from segdsl.store.model import (
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)

AS_OF = date(2024, 12, 31)
CONDITION = 'orders >= 3 AND aov > 50 OR country = "IN"'
COUNTRIES = ["GB", "US", "IN", "FR", "DE", "India", "united kingdom", None]
TYPES = ["shirt", "hat", "bag", "shoes", "scarf", None]


class LazyIds(Sequence[str]):
    """``prefix0``, ``prefix1``...: text ids made on demand, so ten million order ids do not
    sit in memory as Python strings (the Store only needs them to join order items)."""

    def __init__(self, prefix: str, n: int):
        self.prefix, self.n = prefix, n

    def __len__(self) -> int:
        return self.n

    @overload
    def __getitem__(self, i: int) -> str: ...
    @overload
    def __getitem__(self, i: slice) -> Sequence[str]: ...

    def __getitem__(self, i: int | slice) -> str | Sequence[str]:
        if isinstance(i, slice):
            return [f"{self.prefix}{j}" for j in range(*i.indices(self.n))]
        if not -self.n <= i < self.n:
            raise IndexError(i)
        return f"{self.prefix}{i % self.n}"

    def __iter__(self) -> Iterator[str]:
        return (f"{self.prefix}{j}" for j in range(self.n))


def generate(n_customers: int, n_orders: int, n_items: int, seed: int) -> tuple[Store, Any]:
    """The Store, and the raw arrays DuckDB gets (customer index -1 = unknown customer)."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:07d}" for i in range(n_customers)]
    country_pick = rng.integers(0, len(COUNTRIES), n_customers)
    countries = [COUNTRIES[k] for k in country_pick.tolist()]
    # Skewed: low indexes order a lot, many high indexes never order.
    cust = (rng.random(n_orders) ** 2 * n_customers).astype(np.int64)
    cust[rng.random(n_orders) < 0.001] = -1  # orders of unknown customers: ignored
    owner = [ids[c] if c >= 0 else None for c in cust.tolist()]
    start = np.datetime64("2022-01-01T00:00:00", "s").astype(np.int64)
    span = 3 * 365 * 86400
    stamps = (start + rng.integers(0, span, n_orders)).astype("datetime64[s]")
    totals = np.maximum(rng.lognormal(np.log(4000), 0.8, n_orders), 1).astype(np.int64)
    nones: list[str | None] = [None] * n_customers
    store = Store(Customers(ids, nones, nones, nones, countries),
                  Orders(LazyIds("o", n_orders), owner, stamps, totals),  # type: ignore[arg-type]
                  money_scale=2, source="<generated>")
    if n_items:
        item_order = rng.integers(0, n_orders, n_items)
        n_products = 1000
        store.order_items = OrderItems([f"o{k}" for k in item_order.tolist()],
                                       [f"p{k}" for k in rng.integers(0, n_products, n_items)],
                                       [None] * n_items, [None] * n_items)
        product_ids = [f"p{k}" for k in range(n_products)]
        store.products = Products(product_ids, [None] * n_products,
                                  [TYPES[k] for k in rng.integers(0, len(TYPES), n_products)])
        store.product_collections = ProductCollections(product_ids[::2],
                                                       ["sale"] * (n_products // 2))
    raw = {"cust": cust, "day": stamps.astype("datetime64[D]"), "total": totals,
           "country": countries}
    return store, raw


def best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Best wall time of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def orders_arrow(raw: dict[str, Any]) -> pa.Table:
    return pa.table({"cust": raw["cust"], "day": pa.array(raw["day"]), "total": raw["total"]})


def duckdb_connection(raw: dict[str, Any], n_customers: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    orders = orders_arrow(raw)
    customers = pa.table({"cust": np.arange(n_customers, dtype=np.int64),
                          "country": pa.array(raw["country"], pa.string())})
    con.register("orders_arrow", orders)
    con.register("customers_arrow", customers)
    # Native tables: DuckDB scans its own storage faster than Arrow, so this is its best case.
    con.execute("CREATE TABLE orders AS SELECT * FROM orders_arrow")
    con.execute("CREATE TABLE customers AS SELECT * FROM customers_arrow")
    con.unregister("orders_arrow")
    con.unregister("customers_arrow")
    return con


def duck_fields_sql(start: date | None, end: date) -> str:
    where = f"cust >= 0 AND day <= DATE '{end}'"
    if start is not None:
        where += f" AND day >= DATE '{start}'"
    return ("CREATE OR REPLACE TABLE fields AS SELECT cust, count(*) AS n, sum(total) AS spent, "
            f"min(day) AS first_day, max(day) AS last_day FROM orders WHERE {where} "
            "GROUP BY cust")


def duck_cold_arrow(raw: dict[str, Any], sql: str) -> duckdb.DuckDBPyConnection:
    """(a') i: the GROUP BY straight over the arrays, registered as Arrow (a zero-copy view
    but for the dates, numpy days -> Arrow date32)."""
    con = duckdb.connect()
    con.register("orders", orders_arrow(raw))
    con.execute(sql)
    return con


def duck_cold_load(raw: dict[str, Any], n_customers: int, sql: str) -> duckdb.DuckDBPyConnection:
    """(a') ii: load into native tables (as for (a) and (b)), then the GROUP BY."""
    con = duckdb_connection(raw, n_customers)
    con.execute(sql)
    return con


def duck_cold_store(store: Store, end: date) -> duckdb.DuckDBPyConnection:
    """(a') iii: from the Store's own columns, as segdsl's prepare starts: text customer ids
    in Python lists become Arrow strings, and orders naming no known customer are dropped
    by a semi-join on the text id."""
    con = duckdb.connect()
    orders = pa.table({"customer_id": pa.array(store.orders.customer_id, pa.string()),
                       "ordered_at": pa.array(store.orders.ordered_at),
                       "total": pa.array(store.orders.total_minor)})
    customers = pa.table({"customer_id": pa.array(store.customers.customer_id, pa.string())})
    con.register("orders", orders)
    con.register("customers", customers)
    con.execute(
        "CREATE TABLE fields AS SELECT customer_id AS cust, count(*) AS n, sum(total) AS spent, "
        "min(CAST(ordered_at AS DATE)) AS first_day, max(CAST(ordered_at AS DATE)) AS last_day "
        f"FROM orders WHERE CAST(ordered_at AS DATE) <= DATE '{end}' "
        "AND customer_id IN (SELECT customer_id FROM customers) GROUP BY customer_id")
    return con


def duck_check(con: duckdb.DuckDBPyConnection, fields: Any) -> None:
    """DuckDB's fields table has the same customers, order count and total as segdsl's."""
    check = con.execute("SELECT count(*), sum(n), sum(spent) FROM fields").fetchone()
    assert check is not None
    assert (int(check[0]), int(check[1]), int(check[2])) == (
        int((fields.count > 0).sum()), int(fields.count.sum()), int(fields.spent.sum())), \
        "segdsl and DuckDB disagree on the fields"


DUCK_SEGMENT = (
    "CREATE OR REPLACE TABLE seg AS SELECT c.cust FROM customers c LEFT JOIN fields f "
    "USING (cust) WHERE (coalesce(f.n, 0) >= 3 AND f.n > 0 AND f.spent > 50 * 100 * f.n) "
    "OR lower(c.country) IN ({})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--customers", type=float, default=1e6)
    ap.add_argument("--orders", type=float, default=1e7)
    ap.add_argument("--items", type=float, default=0, help="order item rows (0: none)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cold-repeat", type=int, default=3,
                    help="runs of each cold (a') measure, best taken")
    ap.add_argument("--rule-sample", type=int, default=20_000)
    args = ap.parse_args()
    n_c, n_o, n_i = int(args.customers), int(args.orders), int(args.items)
    rows: list[tuple[str, str, str, str]] = []

    t0 = time.perf_counter()
    store, raw = generate(n_c, n_o, n_i, args.seed)
    print(f"generated {n_c:,} customers, {n_o:,} orders, {n_i:,} items in "
          f"{time.perf_counter() - t0:.1f}s (max RSS {maxrss_mb():,.0f} MB)")
    t0 = time.perf_counter()
    ms = prepare(store)
    t_prepare = time.perf_counter() - t0
    rss_prepared = maxrss_mb()
    t0 = time.perf_counter()
    con = duckdb_connection(raw, n_c)
    t_load = time.perf_counter() - t0
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    print(f"once per store, untimed in (a)-(d), timed in (a'): segdsl prepare {t_prepare:.2f}s "
          f"(map ids, sort orders by customer and day, factorise text); DuckDB "
          f"{duckdb.__version__} load "
          f"{t_load:.2f}s (Arrow -> native tables), threads={threads[0] if threads else '?'}")

    ctx = RunContext(as_of=AS_OF)
    t_fields_all = 0.0
    windows = [("all orders", Window()), ("last 365 days", Window(RelativeDate(-365, "d")))]
    for label, window in windows:
        start, end = ctx.window_bounds(window)
        t_mem, fields = best(partial(compute_fields, ms, window, ctx), args.repeat)
        if window == Window():
            t_fields_all = t_mem
        sql = duck_fields_sql(start, end)
        t_duck, _ = best(partial(con.execute, sql), args.repeat)
        duck_check(con, fields)
        rows.append((f"(a) fields, {label}", f"{t_mem * 1e3:,.1f} ms",
                     f"{t_duck * 1e3:,.1f} ms", f"{t_mem / t_duck:.2f}x (target <= 3x)"))

    # (a') cold: everything from the in-memory data to the fields, for the whole history.
    prepare_times: list[float] = []

    def cold_segdsl() -> Any:
        t0 = time.perf_counter()
        cold = prepare(store)
        prepare_times.append(time.perf_counter() - t0)
        return compute_fields(cold, Window(), ctx)

    start, end = ctx.window_bounds(Window())
    sql = duck_fields_sql(start, end).replace("CREATE OR REPLACE TABLE", "CREATE TABLE")
    t_cold, cold_fields = best(cold_segdsl, args.cold_repeat)
    t_prep = min(prepare_times)
    cold_label = f"{t_cold * 1e3:,.0f} ms (prepare {t_prep * 1e3:,.0f})"
    cold_duck: list[tuple[str, Callable[[], duckdb.DuckDBPyConnection], str]] = [
        ("scan of Arrow arrays", partial(duck_cold_arrow, raw, sql), "int ids, no load"),
        ("load + GROUP BY", partial(duck_cold_load, raw, n_c, sql), "int ids"),
        ("from the Store", partial(duck_cold_store, store, end), "text ids -> Arrow"),
    ]
    for label, run, note in cold_duck:
        t_duck, cold_con = best(run, args.cold_repeat)
        duck_check(cold_con, cold_fields)
        cold_con.close()
        rows.append((f"(a') cold fields: {label}", cold_label,
                     f"{t_duck * 1e3:,.0f} ms ({note})", f"{t_cold / t_duck:.2f}x (target <= 3x)"))
    del cold_fields

    segment = check_condition(CONDITION).segments[0]
    fields = compute_fields(ms, Window(), ctx)
    con.execute(duck_fields_sql(*ctx.window_bounds(Window())))
    spellings = sorted({"in", "ind", "india"})
    duck_segment = DUCK_SEGMENT.format(", ".join(f"'{s}'" for s in spellings))
    t_mem_f, mask = best(lambda: evaluate_mask(segment, ms, ctx, fields), args.repeat)
    t_duck_f, _ = best(lambda: con.execute(duck_segment), args.repeat)
    duck_count = con.execute("SELECT count(*) FROM seg").fetchone()
    assert duck_count is not None and int(duck_count[0]) == int(mask.sum()), \
        "segdsl and DuckDB disagree on the segment"
    rows.append(("(b) filter segment", f"{t_mem_f * 1e3:,.1f} ms", f"{t_duck_f * 1e3:,.1f} ms",
                 f"{t_mem_f / t_duck_f:.2f}x (target <= 2x)"))

    # (c) rule-engine on dicts of the same fields, for a sample of customers.
    rule = rule_engine.Rule(
        "orders >= 3 and aov > 50 or country in ['in', 'ind', 'india']")
    rng = np.random.default_rng(args.seed + 1)
    sample = rng.choice(n_c, size=min(args.rule_sample, n_c), replace=False)
    dicts = []
    for i in sample.tolist():
        n = int(fields.count[i])
        spent = int(fields.spent[i])
        country = store.customers.country[i]
        dicts.append({"orders": n, "aov": Decimal(spent) / (100 * n) if n else None,
                      "country": country.lower() if country else None})
    t_rule, verdicts = best(lambda: [rule.matches(d) for d in dicts], max(1, args.repeat // 2))
    assert verdicts == mask[sample].tolist(), "rule-engine and segdsl disagree"
    per_rule = t_rule / len(dicts)
    per_mem = t_mem_f / n_c
    rows.append(("(c) per customer: filter", f"{per_mem * 1e9:,.1f} ns",
                 f"{per_rule * 1e9:,.0f} ns (rule-engine)",
                 f"{per_rule / per_mem:,.0f}x faster (target >= 100x)"))
    per_all = (t_mem_f + t_fields_all) / n_c
    rows.append(("(c) per customer: fields+filter", f"{per_all * 1e9:,.1f} ns",
                 f"{per_rule * 1e9:,.0f} ns (rule-engine)",
                 f"{per_rule / per_all:,.0f}x faster"))

    # (d) memory
    gc.collect()
    tracemalloc.start()
    compute_fields(ms, Window(RelativeDate(-365, "d")), ctx)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rows.append(("(d) peak memory", f"{peak / 2**20:,.0f} MB per compute_fields",
                 f"{maxrss_mb():,.0f} MB max RSS (whole run)",
                 f"{rss_prepared:,.0f} MB RSS after generate+prepare"))

    print(f"\nsegment: {CONDITION}  ({int(mask.sum()):,} of {n_c:,} customers)")
    print(f"best of {args.repeat} ((a'): best of {args.cold_repeat}); as of {AS_OF}\n")
    header = ("measure", "segdsl memory", "DuckDB / other", "segdsl time / other time")
    widths = [max(len(r[k]) for r in [header, *rows]) for k in range(4)]
    for r in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))


if __name__ == "__main__":
    main()
