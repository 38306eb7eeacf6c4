"""Engines: load the sample store (tests/conftest.py) into each database and run segments.

Expected ids are worked out by hand from the sample store's docstring; as-of is 2024-03-31.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from conftest import require_driver
from test_sql_compile import CONDITIONS

from segdsl.backends.sql import to_sql
from segdsl.check import check_condition
from segdsl.check.typed import Const, Window
from segdsl.context import RunContext
from segdsl.engines import Engine, connect
from segdsl.errors import EngineError, UsageError
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping
from segdsl.store.model import Store

CTX = RunContext(as_of=date(2024, 3, 31), timezone="Europe/London")

# (condition, expected customer ids in code-point order)
CASES = [
    ("aov > 10.33", ["c1", "c4"]),  # 31/3 = 10.333.. is above 10.33
    ("aov = 10.33", ["c5"]),
    ("aov >= 10.333", ["c1", "c4"]),
    ("aov < 10.34 and aov > 10.333", ["c1"]),
    ("not aov > 10.33", ["C1", "c2", "c3", "c5"]),  # no orders: aov missing, NOT makes it match
    ("amount_spent = 0.3", ["c2"]),  # 0.10 + 0.20
    ("amount_spent = 0", ["C1", "c3"]),
    ("orders = 0", ["C1", "c3"]),  # C1's only order is after the as-of day
    ("orders >= 3", ["c1"]),
    ("orders > 2.5", ["c1"]),
    ("orders in (1, 2)", ["c2", "c4", "c5"]),
    ("aov > store_aov", ["c4"]),  # store: 141.63 / 7 = 20.23..
    ("amount_spent > aov", ["c1", "c2"]),
    ("aov is null", ["C1", "c3"]),
    ("aov between 10 and 10.33", ["c5"]),
    ('name contains "100%"', ["c2"]),
    ('name contains "%"', ["c2"]),
    ('email starts with "a_b"', ["c5"]),  # `_` is not a wildcard (c1 is axb@)
    ('email contains "a_b"', ["c2", "c5"]),
    ('name = "resume"', ["c5"]),  # accents count
    ('name = "RÉSUMÉ"', ["c4"]),  # Unicode case folding
    ('name ends with "é"', ["c4"]),
    ('name starts with "zoe"', []),  # Zoë: no accent folding
    ('name starts with "zoë"', ["c1"]),
    ('custom.tier = "gold"', ["c1", "c5"]),  # "gold " has a trailing space
    ('custom.tier ends with " "', ["c2"]),
    ('custom.tier in ("silver", "gold ")', ["c2", "c4"]),
    ('country = "GB"', ["c1", "c5"]),
    ('country = "United Kingdom"', ["c1", "c5"]),
    ('not country = "GB"', ["C1", "c2", "c3", "c4"]),
    ("name is null", ["c3"]),
    ("not name is null", ["C1", "c1", "c2", "c4", "c5"]),
    ('product_type = "shirt"', ["c1"]),
    ('not product_type = "shirt"', ["C1", "c2", "c3", "c4", "c5"]),
    ("product_type is null", ["C1", "c3", "c5"]),  # c5's product has no type
    ('product_type contains "_"', ["c4"]),
    ('collection = "sale"', ["c1", "c2"]),
    ('collection contains "%"', ["c4"]),
    ('collection starts with "100% c"', ["c4"]),
    ("days_since_last_order <= 28", ["c1", "c5"]),
    ("days_since_last_order > 27.5", ["c1", "c2", "c4"]),
    ("days_since_last_order = 28", ["c1"]),
    ("days_since_last_order = 28.5", []),
    ("days_since_last_order between 1 and 90", ["c1", "c2"]),
    ("days_since_last_order in (0, 91)", ["c4", "c5"]),
    ("days_since_last_order > orders", ["c1", "c2", "c4"]),
    ("not days_since_last_order > 1000000000000", ["C1", "c1", "c2", "c3", "c4", "c5"]),
    ("last_order_date = 2024-03-03", ["c1"]),
    ("first_order_date < 2024-01-01", ["c4"]),
    ("last_order_date >= -0d", ["c5"]),
    ("last_order_date in (2024-01-11, 2024-03-31)", ["c2", "c5"]),
    ("first_order_date < last_order_date", ["c1", "c2"]),
    ("custom.score > 2", ["c1", "c2"]),
    ("custom.score = 0.57", ["c4"]),
    ("custom.score < orders", ["c4", "c5"]),
    ("amount_spent > store_aov", ["c1", "c4"]),
    ("custom.joined < 2024-01-01", ["c1", "c4"]),
    ("custom.joined is null", ["C1", "c2", "c3"]),
    # Left to right: ((orders >= 1 AND spent > 50) OR name = resume) AND tier = gold
    ('orders >= 1 and amount_spent > 50 or name = "resume" and custom.tier = "gold"', ["c5"]),
    ('orders >= 1 and (amount_spent > 50 or (name = "resume" and custom.tier = "gold"))',
     ["c4", "c5"]),
]


def run(engine: Engine, text: str, *, window: Window | None = None,
        mapping: TableMapping = DEFAULT_MAPPING) -> list[str]:
    info = engine.describe(mapping)
    result = check_condition(text, schema=info.schema())
    assert result.ok, result.diagnostics
    segment = result.segments[0]
    if window is not None:
        segment = dataclasses.replace(segment, window=window)
    sql = to_sql(segment, CTX, dialect=engine.dialect, mapping=mapping,
                 money_scale=info.money_scale)
    return [row[0] for row in engine.query(sql)]


def check_all_cases(engine: Engine) -> None:
    failures = []
    for text, expected in CASES:
        got = run(engine, text)
        if got != expected:
            failures.append(f"{text}: expected {expected}, got {got}")
    assert not failures, "\n".join(failures)


def rename(engine: Engine) -> None:
    """Move the store to tables `order` and `group`, with ordered_at called `created`."""
    q = engine.quote
    engine.query(f"CREATE TABLE {q('order')} AS SELECT {q('order_id')}, {q('customer_id')}, "
                 f"{q('ordered_at')} AS {q('created')}, {q('total')} FROM {q('orders')}")
    engine.query(f"CREATE TABLE {q('group')} AS SELECT * FROM {q('customers')}")
    engine.query(f"DROP TABLE {q('orders')}")
    engine.query(f"DROP TABLE {q('customers')}")


RENAMED = TableMapping(tables={"orders": "order", "customers": "group"},
                       columns={"orders": {"ordered_at": "created"}})


def full_check(engine: Engine, store: Store,
               rename: Callable[[Engine], None] | None = rename) -> None:
    """Everything an engine must do; ``rename=None`` for a store whose tables only segdsl can
    write (an in-memory Spark store), which skips the renamed-tables part."""
    engine.load(store)
    info = engine.describe()
    assert info.tables == store.tables
    assert dict(info.custom) == {k: c.type for k, c in store.customers.custom.items()}
    assert (info.money_scale, info.timezone) == (2, "Europe/London")
    assert engine.ignored_orders() == 2
    check_all_cases(engine)
    for text in CONDITIONS:  # every operator on every type at least runs here
        run(engine, text)
    # a window: only March; then 2 March (an order at 23:59:59) to 3 March
    march = Window(Const(date(2024, 3, 1)), None)
    assert run(engine, "orders >= 1", window=march) == ["c1", "c5"]
    assert run(engine, "orders = 2", window=Window(Const(date(2024, 3, 2)),
                                                   Const(date(2024, 3, 3)))) == ["c1"]
    with pytest.raises(UsageError, match="replace"):
        engine.load(store)
    if rename is not None:
        rename(engine)
        assert run(engine, "aov > 10.33", mapping=RENAMED) == ["c1", "c4"]
        assert engine.ignored_orders(RENAMED) == 2
        assert engine.describe(RENAMED).tables == store.tables
    # reload a store without the item tables: the old ones (and `order`/`group`?) are dropped
    small = dataclasses.replace(store, order_items=None, products=None,
                                product_collections=None)
    engine.load(small, replace=True)
    assert engine.describe().tables == frozenset({"customers", "orders"})
    assert run(engine, "aov > 10.33") == ["c1", "c4"]


@pytest.fixture
def duckdb_engine(tmp_path: Path) -> Iterator[Engine]:
    with connect(f"duckdb:///{tmp_path / 'store.duckdb'}") as engine:
        yield engine


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    with connect(f"sqlite:///{tmp_path / 'store.sqlite'}") as engine:
        yield engine


def test_duckdb(duckdb_engine: Engine, store: Store) -> None:
    full_check(duckdb_engine, store)


def test_sqlite(sqlite_engine: Engine, store: Store) -> None:
    full_check(sqlite_engine, store)


@pytest.mark.postgres
def test_postgres(postgres_url: str, store: Store) -> None:
    with connect(postgres_url) as engine:
        full_check(engine, store)


@pytest.mark.mysql
def test_mysql(mysql_url: str, store: Store) -> None:
    with connect(mysql_url) as engine:
        full_check(engine, store)


@pytest.mark.spark
def test_spark_folder(spark_url: str, store: Store) -> None:
    with connect(spark_url) as engine:
        full_check(engine, store, rename=rename_parquet)


@pytest.mark.spark
def test_spark_memory(spark_started: None, store: Store) -> None:
    """``spark:///:memory:``: the store is DataFrames of the engine's own session, which no
    other engine sees and which are gone when it closes."""
    url = "spark:///:memory:?master=local[2]"
    with connect(url) as engine:
        full_check(engine, store, rename=None)
        with connect(url) as other:
            assert other.describe().tables == frozenset()
    with connect(url) as engine:
        assert engine.describe().tables == frozenset()


@pytest.mark.spark
def test_spark_catalog(spark_started: None, store: Store) -> None:
    """The tables of a catalog database, renamed in SQL as on the other databases; every
    sixth case (test_spark_folder runs them all on the same SQL)."""
    database = f"segdsl_test_{uuid.uuid4().hex[:12]}"
    with connect(f"spark:///?database={database}&master=local[2]") as engine:
        try:
            engine.load(store)
            info = engine.describe()
            assert info.tables == store.tables and info.money_scale == 2
            assert dict(info.custom) == {k: c.type for k, c in store.customers.custom.items()}
            assert engine.ignored_orders() == 2
            for text, expected in CASES[::6]:
                assert run(engine, text) == expected, text
            rename(engine)
            assert run(engine, "aov > 10.33", mapping=RENAMED) == ["c1", "c4"]
            assert engine.describe(RENAMED).tables == store.tables
            small = dataclasses.replace(store, order_items=None, products=None,
                                        product_collections=None)
            engine.load(small, replace=True)
            assert engine.describe().tables == frozenset({"customers", "orders"})
            assert run(engine, "aov > 10.33") == ["c1", "c4"]
        finally:
            engine.query(f"DROP DATABASE IF EXISTS `{database}` CASCADE")


def rename_parquet(engine: Engine) -> None:
    """A folder whose tables the user wrote with other tools: `order` and `group` written by
    pyarrow (Spark reads its naive timestamps as TIMESTAMP_NTZ), `orders` and `customers` gone.
    The engine sees the folder's tables anew when it next lists them."""
    import pyarrow.parquet as pq

    from segdsl.engines.spark import SparkEngine

    assert isinstance(engine, SparkEngine) and engine.where.folder
    folder, session = Path(engine.where.folder), engine.session
    orders = session.table("orders").withColumnRenamed("ordered_at", "created").toArrow()
    (folder / "order").mkdir()
    pq.write_table(orders, folder / "order" / "part-0.parquet")
    (folder / "group").mkdir()
    pq.write_table(session.table("customers").toArrow(), folder / "group" / "part-0.parquet")
    shutil.rmtree(folder / "orders")
    shutil.rmtree(folder / "customers")


@pytest.mark.clickhouse
def test_clickhouse(chdb_url: str, store: Store) -> None:
    with connect(chdb_url) as engine:
        full_check(engine, store)


@pytest.mark.clickhouse
def test_a_chdb_folder_in_use_by_another_process_is_said_in_one_line(chdb_url: str,
                                                                     store: Store) -> None:
    with connect(chdb_url) as engine:
        engine.load(store)
        ran = subprocess.run([str(Path(sys.executable).with_name("segdsl")), "run", "--db",
                              chdb_url, "--expr", "orders > 1"], capture_output=True, text=True,
                             timeout=120)
    assert ran.returncode == 1
    assert ran.stderr.strip().splitlines() == [
        f"error: clickhouse: the chDB folder {chdb_url.removeprefix('chdb:///')} is in use by "
        "another process (chDB opens a folder in one process at a time); try again when it "
        "is done"]


WITH_FIELDS_URLS = ["duckdb:///:memory:", "sqlite:///:memory:", "chdb:///:memory:",
                    pytest.param("spark", marks=pytest.mark.spark)]


@pytest.mark.parametrize("url", WITH_FIELDS_URLS)
def test_with_fields(url: str, store: Store, request: pytest.FixtureRequest) -> None:
    if url == "spark":
        url = request.getfixturevalue("spark_url")
    require_driver(url)
    with connect(url) as engine:
        engine.load(store)
        seg = check_condition("orders > 0").segments[0]
        rows = engine.query(to_sql(seg, CTX, dialect=engine.dialect, with_fields=True))
    by_id = {r[0]: r[1:] for r in rows}
    assert list(by_id) == ["c1", "c2", "c4", "c5"]
    orders, spent, aov, first, last, days = by_id["c2"]
    assert (orders, Decimal(str(spent)), days) == (2, Decimal("0.30"), 80)
    assert str(first) == "2024-01-10" and str(last) == "2024-01-11"
    assert aov == pytest.approx(0.15)


def test_sqlite_lower_is_unicode() -> None:
    with connect("sqlite:///:memory:") as engine:
        assert engine.query("SELECT lower('ÉÀÖ'), lower(NULL)") == [("éàö", None)]


def test_unknown_scheme() -> None:
    with pytest.raises(UsageError, match="duckdb:///.*sqlite:///.*postgresql://"):
        connect("oracle://x")


def test_connection_errors(tmp_path: Path) -> None:
    (tmp_path / "not_a_db").write_text("hello, this is not a database file at all" * 100)
    with pytest.raises(EngineError, match="sqlite"):
        connect(f"sqlite:///{tmp_path / 'not_a_db'}")
    with pytest.raises(EngineError, match="postgres: cannot connect"):
        connect("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")
    with pytest.raises(EngineError, match="mysql: cannot connect"):
        connect("mysql://nobody@127.0.0.1:1/none")


def test_query_errors_are_engine_errors() -> None:
    with connect("duckdb:///:memory:") as engine, pytest.raises(EngineError, match="query"):
        engine.query("SELECT * FROM no_such_table")


def test_describe_without_meta(tmp_path: Path) -> None:
    """A database segdsl did not load: custom types and money scale come from column types."""
    with connect(f"duckdb:///{tmp_path / 'x.duckdb'}") as engine:
        engine.query("CREATE TABLE customers (customer_id VARCHAR, name VARCHAR, "
                     "budget DOUBLE, since DATE, note VARCHAR)")
        engine.query("CREATE TABLE orders (order_id VARCHAR, customer_id VARCHAR, "
                     "ordered_at TIMESTAMP, total DECIMAL(18, 3))")
        info = engine.describe()
    assert info.tables == frozenset({"customers", "orders"})
    assert {k: str(v) for k, v in info.custom.items()} == {
        "budget": "number", "since": "date", "note": "text"}
    assert (info.money_scale, info.timezone) == (3, None)


@pytest.mark.spark
def test_spark_describes_parquet_it_did_not_write(spark_url: str) -> None:
    """Parquet files from another tool: custom types and money scale from the column types."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from segdsl.engines.spark_session import parse_url

    folder = Path(str(parse_url(spark_url).folder))
    customers = pa.table({"customer_id": ["a"], "name": ["x"], "budget": [1.5],
                          "since": pa.array([date(2020, 1, 2)]), "note": ["n"]})
    orders = pa.table({"order_id": ["1"], "customer_id": ["a"],
                       "ordered_at": pa.array([None], pa.timestamp("us")),
                       "total": pa.array([Decimal("1.250")], pa.decimal128(18, 3))})
    for name, table in (("customers", customers), ("orders", orders)):
        (folder / name).mkdir(parents=True)
        pq.write_table(table, folder / name / "part-0.parquet")
    with connect(spark_url, create=False) as engine:
        info = engine.describe()
    assert info.tables == frozenset({"customers", "orders"})
    assert {k: str(v) for k, v in info.custom.items()} == {
        "budget": "number", "since": "date", "note": "text"}
    assert (info.money_scale, info.timezone) == (3, None)


def test_failed_load_leaves_nothing(tmp_path: Path, store: Store) -> None:
    broken = dataclasses.replace(store)
    broken.orders = dataclasses.replace(store.orders, order_id=store.orders.order_id[:-1])
    with connect(f"duckdb:///{tmp_path / 'y.duckdb'}") as engine:
        with pytest.raises(Exception):  # noqa: B017 - whatever the column mismatch raises
            engine.load(broken)
        assert engine.describe().tables == frozenset()


# --- ClickHouse specifics --------------------------------------------------------------------

@pytest.mark.clickhouse
def test_clickhouse_column_types(chdb_url: str, store: Store) -> None:
    """Nullable exactly where a value is missing; exact money; pinned-zone timestamps."""
    with connect(chdb_url) as engine:
        engine.load(store)
        rows = engine.query("SELECT table, name, type FROM system.columns WHERE database = "
                            "currentDatabase() AND table IN ('customers', 'orders')")
    types = {(t, n): ty for t, n, ty in rows}
    assert types["customers", "customer_id"] == "String"
    assert types["customers", "name"] == "Nullable(String)"  # c3 has no name
    assert types["customers", "score"] == "Nullable(Float64)"
    assert types["customers", "joined"] == "Nullable(Date32)"
    assert types["orders", "customer_id"] == "Nullable(String)"  # o8 names no customer
    assert types["orders", "total"] == "Decimal(38, 2)"
    assert types["orders", "ordered_at"] == "DateTime64(0, 'UTC')"


@pytest.mark.clickhouse
def test_clickhouse_money_is_exact_and_dates_are_not_clipped(chdb_url: str,
                                                              store: Store) -> None:
    """``Date`` holds 1970..2149 only and a cast clips to it; ``decimal * 0.01`` is a float."""
    store.customers.custom["joined"].values[3] = date(1950, 6, 15)  # c4
    store.orders.ordered_at[5] = np.datetime64("1965-05-01T12:00:00")  # o6, c4's only order
    with connect(chdb_url) as engine:
        engine.load(store)
        assert run(engine, "custom.joined = 1950-06-15") == ["c4"]
        assert run(engine, "custom.joined > 1940-01-01 and custom.joined < 1951-01-01") == ["c4"]
        assert run(engine, "last_order_date = 1965-05-01") == ["c4"]
        assert run(engine, "orders >= 1", window=Window(Const(date(1965, 5, 1)),
                                                        Const(date(1965, 5, 1)))) == ["c4"]
        seg = check_condition("amount_spent = 0.3").segments[0]
        rows = engine.query(to_sql(seg, CTX, dialect=engine.dialect, with_fields=True))
    assert [r[0] for r in rows] == ["c2"]
    spent = rows[0][2]
    assert isinstance(spent, Decimal) and str(spent) == "0.30"


@pytest.mark.clickhouse
def test_clickhouse_data_folder_persists(chdb_url: str, store: Store) -> None:
    with connect(chdb_url) as engine:
        engine.load(store)
    with connect(chdb_url, create=False) as engine:
        assert run(engine, "aov > 10.33") == ["c1", "c4"]


def test_clickhouse_dates_do_not_depend_on_the_process_time_zone(tmp_path: Path) -> None:
    """A store-local 23:30 is that day in every zone the process may run in: the timestamp
    column pins UTC. (chDB takes the zone when it starts, hence a process per zone.)"""
    require_driver("chdb://")
    (tmp_path / "customers.csv").write_text("customer_id\na\nb\n")
    (tmp_path / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n"
                                         "o1,a,2024-03-02 23:30:00,10\n"
                                         "o2,b,2024-03-03 00:30:00,10\n")
    args = ["run", "--data", str(tmp_path), "--engine", "clickhouse", "--expr", "orders = 1",
            "--from", "2024-03-02", "--to", "2024-03-02", "--as-of", "2024-03-31"]
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        proc = subprocess.run([sys.executable, "-c", "from segdsl.cli.main import main; main()",
                               *args, "--format", "json"], capture_output=True, text=True,
                              timeout=120, env={**os.environ, "TZ": zone})
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["customer_ids"] == ["a"], zone


def test_clickhouse_urls(tmp_path: Path) -> None:
    require_driver("chdb://")
    with pytest.raises(UsageError, match="no such chDB folder"):
        connect(f"chdb:///{tmp_path / 'missing'}", create=False)
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        connect(f"chdb:///{tmp_path / 'file'}")
    with pytest.raises(UsageError, match="chdb:///path"):
        connect("chdb://relative")
    with pytest.raises(EngineError, match="clickhouse: cannot connect"):
        connect("clickhouse://nobody@127.0.0.1:1/none")


@pytest.mark.clickhouse
def test_clickhouse_workspace_is_refused_in_words(chdb_url: str) -> None:
    from segdsl.workspace.db import open_engine

    with pytest.raises(UsageError, match="transactions, which ClickHouse does not have"):
        open_engine(chdb_url)
