"""Engines: load a store into a database and run compiled segments there.

``connect(url)`` picks the engine from the URL scheme:

- ``duckdb:///path/to.db`` or ``duckdb:///:memory:``
- ``sqlite:///path/to.db`` or ``sqlite:///:memory:``
- ``postgresql://user@host:port/db`` (also ``postgres://``), needs ``segdsl[postgres]``
- ``mysql://user[:password]@host:port/db`` (MySQL or MariaDB), needs ``segdsl[mysql]``
- ``chdb:///path/to/folder`` or ``chdb:///:memory:`` (ClickHouse in-process) and
  ``clickhouse://user[:password]@host:port/db`` (a server), need ``segdsl[clickhouse]``
- ``spark:///path/to/folder`` (Parquet tables), ``spark:///?database=NAME`` (a catalog's
  tables), ``spark://host:7077/...`` (a cluster), needs ``segdsl[spark]``; see
  :mod:`segdsl.engines.spark_session`

>>> from segdsl.store.model import Store, Customers, Orders
>>> import numpy as np
>>> store = Store(Customers(["a", "b"], [None, None], [None, None], [None, None], [None, None]),
...               Orders(["o1"], ["a"], np.array(["2024-01-02T10:00"], dtype="datetime64[s]"),
...                      np.array([1050])))
>>> with connect("sqlite:///:memory:") as engine:
...     engine.load(store)
...     sorted(engine.describe().tables), engine.query("SELECT total FROM orders")
(['customers', 'orders'], [(10.5,)])
"""

from __future__ import annotations

from pathlib import Path

from segdsl.engines.base import Engine, StoreInfo
from segdsl.engines.urls import in_memory, local_path
from segdsl.errors import UsageError

SCHEMES = ("duckdb", "sqlite", "postgresql", "postgres", "mysql", "chdb", "clickhouse", "spark")


def _path(url: str, scheme: str, create: bool) -> str:
    path = local_path(url, scheme, scheme, "file")
    if path == ":memory:":
        return path
    if not create and not Path(path).is_file():
        # Opening a missing file would create an empty database and then fail on its tables.
        raise UsageError(f"{url}: no such database file ({Path(path).resolve()}); load a store "
                         "into it with `segdsl load`")
    return path


def missing_file(url: str) -> Path | None:
    """The database file a ``duckdb:///``/``sqlite:///`` URL names, when it does not exist."""
    for scheme in ("duckdb", "sqlite"):
        prefix = f"{scheme}:///"
        path = url[len(prefix):] if url.startswith(prefix) else None
        if path not in (None, "", ":memory:") and not Path(str(path)).is_file():
            return Path(str(path)).resolve()
    return None


def connect(url: str, *, create: bool = True) -> Engine:
    """The engine for ``url``; raises UsageError for an unknown scheme, EngineError when the
    database cannot be reached. With ``create=False`` a database file must already exist."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "duckdb":
        from segdsl.engines.duckdb import DuckDBEngine

        return DuckDBEngine(_path(url, "duckdb", create))
    if scheme == "sqlite":
        from segdsl.engines.sqlite import SQLiteEngine

        return SQLiteEngine(_path(url, "sqlite", create))
    if scheme in ("postgresql", "postgres"):
        from segdsl.engines.postgres import PostgresEngine

        return PostgresEngine(url)
    if scheme in ("mysql", "mariadb"):
        from segdsl.engines.mysql import MySQLEngine

        return MySQLEngine(url)
    if scheme in ("chdb", "clickhouse"):
        from segdsl.engines import clickhouse

        return clickhouse.connect_chdb(url, create) if scheme == "chdb" else \
            clickhouse.connect_server(url)
    if scheme == "spark":
        from segdsl.engines.spark import SparkEngine

        return SparkEngine(url, create=create)
    raise UsageError(f"unknown database URL {url!r}; the supported schemes are duckdb:///, "
                     "sqlite:///, postgresql:// (or postgres://), mysql://, chdb:///, "
                     "clickhouse:// and spark://")


__all__ = ["SCHEMES", "Engine", "StoreInfo", "connect", "in_memory"]
