"""Shared pytest fixtures. Each section belongs to one part of the test suite."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import numpy as np
import pytest

from segdsl.catalog import FieldType
from segdsl.store.model import (
    CustomColumn,
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)

# =============================================================================================
# Engines: database servers (tests/test_engines*.py, tests/test_sql_*.py)
#
# Tests marked `postgres` / `mysql` get a URL to a fresh schema (PostgreSQL) or database
# (MySQL/MariaDB) of their own, dropped afterwards, so concurrent runs never collide. When the
# server is unreachable they are skipped with the reason, unless SEGDSL_REQUIRE_SERVERS=1, in
# which case they fail.
# =============================================================================================

POSTGRES_URL = os.environ.get("SEGDSL_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
MYSQL_URL = os.environ.get("SEGDSL_MYSQL_URL", "mysql://root@127.0.0.1:3306/test")


def _unavailable(reason: str) -> None:
    if os.environ.get("SEGDSL_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (SEGDSL_REQUIRE_SERVERS=1)")
    pytest.skip(reason)


def _fresh_name() -> str:
    return f"segdsl_test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a new, empty schema."""
    try:
        import psycopg

        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except Exception as err:  # noqa: BLE001 - missing driver or unreachable server
        _unavailable(f"PostgreSQL is not reachable at {POSTGRES_URL}: {err}")
        return
    schema = _fresh_name()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options={quote(f'-c search_path={schema}')}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture
def mysql_url() -> Iterator[str]:
    """A MySQL/MariaDB URL naming a new, empty database."""
    from urllib.parse import urlsplit

    parts = urlsplit(MYSQL_URL)
    try:
        import pymysql

        admin = pymysql.connect(host=parts.hostname or "127.0.0.1", port=parts.port or 3306,
                                user=parts.username or "root", password=parts.password or "",
                                autocommit=True, connect_timeout=3)
    except Exception as err:  # noqa: BLE001 - missing driver or unreachable server
        _unavailable(f"MySQL/MariaDB is not reachable at {MYSQL_URL}: {err}")
        return
    database = _fresh_name()
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
    try:
        yield parts._replace(path=f"/{database}").geturl()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE `{database}`")
        admin.close()


# Spark: tests marked `spark` share one local[2] SparkContext for the whole run (the engine
# keeps one per process: its JVM takes seconds to start), each test with a folder of its own.
SPARK_MASTER = "local[2]"


@pytest.fixture(scope="session")
def spark_started(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Start the process's Spark session once (warehouse in a temporary folder), or skip."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        # An optional extra: skipped without it, except where SEGDSL_REQUIRE_SPARK=1 (.ci/run)
        # makes a missing PySpark a failure.
        reason = "PySpark is not installed (pip install 'segdsl[spark]')"
        if os.environ.get("SEGDSL_REQUIRE_SPARK") == "1":
            pytest.fail(f"{reason} (SEGDSL_REQUIRE_SPARK=1)")
        pytest.skip(reason)
        return
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        _unavailable("Spark needs Java 17 or later: no java on PATH and no JAVA_HOME")
        return
    from segdsl.engines.spark_session import parse_url, session_for

    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    try:
        session_for(parse_url(f"spark:///?database=default&master={SPARK_MASTER}"
                              f"&spark.sql.warehouse.dir={warehouse}"))
    except Exception as err:  # noqa: BLE001 - no JVM, a broken installation
        _unavailable(f"Spark cannot start: {err}")


@pytest.fixture
def spark_url(spark_started: None, tmp_path: Path) -> str:
    """A Spark URL naming a new, empty folder of Parquet tables."""
    return f"spark:///{tmp_path / 'spark-store'}?master={SPARK_MASTER}"



@pytest.fixture
def chdb_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A chDB (ClickHouse in-process) URL naming a new, empty data folder."""
    require_driver("chdb://")
    return f"chdb:///{tmp_path_factory.mktemp('chdb') / 'store'}"


def require_driver(url: str) -> None:
    """Skip (or fail, see `_unavailable`) when the optional extra that ``url`` needs is
    missing; for tests whose URL is a parameter rather than a fixture."""
    if url.startswith("chdb:"):
        try:
            import chdb  # noqa: F401
            import clickhouse_connect  # noqa: F401
        except ImportError as err:
            _unavailable(f"chDB is not installed (pip install 'segdsl[clickhouse]'): {err}")


def sample_store() -> Store:
    """A small store full of traps; tests/test_engines.py works out the expected ids by hand.

    - c1: 3 orders 10 + 10 + 11 = 31.00 (aov 31/3 = 10.333..), o1 has two items
    - c2: 0.10 + 0.20 (amount 0.30 exactly), a mug in two collections
    - c3: every value missing, no orders; C1: only an order after the as-of day (2024-03-31)
    - c4: one order of 100.00 on 2023-12-31, a "T_Shirt" in the "100% Cotton" collection
    - c5: one order of 10.33 on the as-of day, an item whose product has no type
    - o7 names an unknown customer and o8 none: both ignored
    """
    def d(text: str) -> date:
        return date.fromisoformat(text)

    ids = ["c1", "c2", "c3", "c4", "c5", "C1"]
    customers = Customers(
        ids,
        name=["Zoë Martin", "ANNA 100%", None, "Résumé", "resume", "Big"],
        email=["axb@example.com", "anna_b@x.org", None, "resume@x.org", "a_b@x.org", None],
        phone=[None, None, None, None, None, "+1 555"],
        country=["GB", "France", None, "DE", "gb", "US"],
        custom={
            "tier": CustomColumn(FieldType.TEXT, ["Gold", "gold ", None, "silver", "GOLD", None]),
            "score": CustomColumn(FieldType.NUMBER, [Decimal("10"), Decimal("2.5"), None,
                                                     Decimal("0.57"), Decimal("-1"), None]),
            "joined": CustomColumn(FieldType.DATE, [d("2020-01-01"), None, None,
                                                    d("2023-06-15"), d("2024-03-01"), None]),
        })
    orders = [("o1", "c1", "2024-03-01T10:00:00", 1000), ("o2", "c1", "2024-03-02T23:59:59", 1000),
              ("o3", "c1", "2024-03-03T00:00:00", 1100), ("o4", "c2", "2024-01-10T09:00:00", 10),
              ("o5", "c2", "2024-01-11T09:00:00", 20), ("o6", "c4", "2023-12-31T12:00:00", 10000),
              ("o7", "zz", "2024-03-05T00:00:00", 100000), ("o8", None, "2024-03-05T00:00:00",
                                                            50000),
              ("o9", "C1", "2024-04-01T00:00:00", 5000), ("o10", "c5", "2024-03-31T08:00:00", 1033)]
    items = [("o1", "p1"), ("o1", "p2"), ("o2", "p1"), ("o4", "p3"), ("o6", "p4"), ("o10", "p6"),
             ("o7", "p2")]
    return Store(
        customers=customers,
        orders=Orders([o[0] for o in orders], [o[1] for o in orders],
                      np.array([o[2] for o in orders], dtype="datetime64[s]"),
                      np.array([o[3] for o in orders], dtype=np.int64)),
        order_items=OrderItems([i[0] for i in items], [i[1] for i in items],
                               [Decimal(1)] * len(items), [None] * len(items)),
        products=Products(["p1", "p2", "p3", "p4", "p5", "p6"],
                          ["Shirt", "Hat", "Mug", "Tee", "Spare", "Thing"],
                          ["Shirt", "Hat", "Mug", "T_Shirt", "Shirt", None]),
        product_collections=ProductCollections(["p1", "p1", "p3", "p3", "p4"],
                                               ["Summer", "Sale", "Kitchen", "Sale",
                                                "100% Cotton"]),
        timezone="Europe/London",
    )


@pytest.fixture
def store() -> Store:
    return sample_store()


# ============================================================================ end of engines ===
