"""The full UCI Online Retail data on every executed engine: the same customers, side by side.

Imports the real line-item file with segdsl's importer, then runs the example segments (and a
few more) in memory, in DuckDB, SQLite and ClickHouse (chDB; in-process), and in PostgreSQL and
MySQL (a fresh schema / database of their own, dropped afterwards). Prints each segment's count
per engine, whether every engine selected exactly the same ids, and each engine's time.

With ``--system`` it also runs the eight SYSTEM segments (segdsl/system, RFM over the last
12 months) and prints, per engine, whether they partition the customers with an order in that
window: the counts add up to that number and every such customer is in exactly one.

    python benchmarks/online_retail_engines.py [--source online_retail.csv.gz]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--mysql mysql://root@127.0.0.1:3306/test] [--clickhouse chdb:///:memory:]
        [--as-of 2011-12-09] [--system]
"""

from __future__ import annotations

import argparse
import contextlib
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from urllib.parse import quote, urlsplit

from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.runner import MemorySession, Session, SqlSession
from segdsl.store import importer
from segdsl.store.model import Store
from segdsl.syntax.parser import parse_window
from segdsl.system import system_segments

BUYERS = "system buyers: orders >= 1, window from -1y"

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "online-retail" / "online_retail.csv.gz"
EXTRA = [
    "orders >= 10",
    'country = "France" OR country = "DEU"',
    'product_type = "mug" AND NOT collection CONTAINS "christmas"',
    "aov > store_aov AND last_order_date >= -3m",
    "amount_spent BETWEEN 1000 AND 5000.5 OR orders = 1 AND aov < 100",
    'country NOT IN ("GB") AND days_since_last_order <= 30',
    "first_order_date < 2011-01-01 AND last_order_date > 2011-11-01",
    "orders = 0",
]


def with_system(segs: list[CheckedSegment]) -> list[CheckedSegment]:
    """``segs``, the SYSTEM segments, and the customers they must partition (same window)."""
    buyers = check_condition("orders >= 1", window=parse_window("from -1y"), name=BUYERS)
    buyers.raise_for_errors()
    return segs + system_segments() + buyers.segments


def partition_report(answers: dict[str, dict[str, list[str]]]) -> int:
    """Per engine: do the SYSTEM segments partition the buyers? Returns the failures."""
    names = [s.name for s in system_segments()]
    print(f"\nSYSTEM segments (window from -1y){'':<24}" + "".join(f"{e:>11}" for e in answers))
    for name in names:
        print(f"{name:<58}" + "".join(f"{len(a[name]):>11,}" for a in answers.values()))
    failures = 0
    sums, buyers, exact = [], [], []
    for a in answers.values():
        members = [cid for name in names for cid in a[name]]
        sums.append(len(members))
        buyers.append(len(a[BUYERS]))
        ok = sorted(members) == sorted(a[BUYERS])  # each buyer once, and nobody else
        exact.append("yes" if ok else "NO")
        failures += not ok
    for label, row in (("sum of the 8", sums), ("customers with an order in the window",
                                                 buyers)):
        print(f"{label:<58}" + "".join(f"{v:>11,}" for v in row))
    print(f"{'each such customer in exactly one':<58}" + "".join(f"{v:>11}" for v in exact))
    return failures


def segments(store: Store) -> list[CheckedSegment]:
    result = check_file((ROOT / "examples" / "segments.seg").read_text("utf-8"),
                        schema=store.schema())
    result.raise_for_errors()
    out = list(result.segments)
    for i, text in enumerate(EXTRA):
        checked = check_condition(text, schema=store.schema(), name=f"extra_{i}: {text}")
        checked.raise_for_errors()
        out += checked.segments
    return out


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    import psycopg

    name = f"segdsl_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f'CREATE SCHEMA "{name}"')
        try:
            sep = "&" if "?" in url else "?"
            yield f"{url}{sep}options={quote(f'-c search_path={name}')}"
        finally:
            admin.execute(f'DROP SCHEMA "{name}" CASCADE')


@contextlib.contextmanager
def mysql_database(url: str) -> Iterator[str]:
    import pymysql

    parts = urlsplit(url)
    name = f"segdsl_bench_{uuid.uuid4().hex[:8]}"
    admin = pymysql.connect(host=parts.hostname, port=parts.port or 3306,
                            user=parts.username or "root", password=parts.password or "",
                            autocommit=True)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
    try:
        yield parts._replace(path=f"/{name}").geturl()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE `{name}`")
        admin.close()


def run_engine(name: str, session: Session, segs: list[CheckedSegment], as_of: date
               ) -> tuple[dict[str, list[str]], float]:
    ctx = RunContext(as_of=as_of, timezone=session.timezone)
    start = time.perf_counter()
    out = {s.name: session.customer_ids(s, ctx) for s in segs}
    return out, time.perf_counter() - start


def sql_session(url: str, store: Store) -> tuple[SqlSession, float]:
    """Loads the store (in the session's own connection, so :memory: works) and times it."""
    start = time.perf_counter()
    session = SqlSession(url, store=store)
    return session, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    ap.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    ap.add_argument("--mysql", default="mysql://root@127.0.0.1:3306/test")
    ap.add_argument("--clickhouse", default="chdb:///:memory:",
                    help="chdb:///... or clickhouse://user@host:port/db")
    ap.add_argument("--as-of", default="2011-12-09")
    ap.add_argument("--system", action="store_true",
                    help="also check that the SYSTEM segments partition the buyers")
    args = ap.parse_args()
    as_of = date.fromisoformat(args.as_of)

    start = time.perf_counter()
    result = importer.import_line_items(args.source, importer.PRESETS["online-retail"])
    store = result.store
    print(f"imported {args.source.name} in {time.perf_counter() - start:.1f} s: "
          f"{len(store.customers):,} customers, {len(store.orders):,} orders")
    segs = segments(store)
    if args.system:
        segs = with_system(segs)

    answers: dict[str, dict[str, list[str]]] = {}
    timings: dict[str, tuple[float, float]] = {}
    t0 = time.perf_counter()
    memory = MemorySession(store)
    answers["memory"], run_s = run_engine("memory", memory, segs, as_of)
    timings["memory"] = (time.perf_counter() - t0 - run_s, run_s)
    with contextlib.ExitStack() as stack:
        urls = {"duckdb": "duckdb:///:memory:", "sqlite": "sqlite:///:memory:",
                "postgres": stack.enter_context(postgres_schema(args.postgres)),
                "mysql": stack.enter_context(mysql_database(args.mysql)),
                "clickhouse": args.clickhouse}
        for name, url in urls.items():
            session, load_s = sql_session(url, store)
            with session:
                answers[name], run_s = run_engine(name, session, segs, as_of)
            timings[name] = (load_s, run_s)

    engines = list(answers)
    print(f"\n{'segment':<58}" + "".join(f"{e:>11}" for e in engines) + "  same ids")
    disagreements = 0
    for seg in segs:
        ids = [answers[e][seg.name] for e in engines]
        same = all(i == ids[0] for i in ids)
        disagreements += not same
        label = seg.name if len(seg.name) <= 56 else seg.name[:53] + "..."
        print(f"{label:<58}" + "".join(f"{len(i):>11,}" for i in ids) + ("  yes" if same
                                                                         else "  NO"))
    print(f"\n{'engine':<10}{'load/prepare s':>16}{'run all s':>12}")
    for e in engines:
        print(f"{e:<10}{timings[e][0]:>16.2f}{timings[e][1]:>12.2f}")
    print(f"\n{len(segs)} segments x {len(engines)} engines: {disagreements} disagreement(s)")
    failures = partition_report(answers) if args.system else 0
    raise SystemExit(1 if disagreements or failures else 0)


if __name__ == "__main__":
    main()
