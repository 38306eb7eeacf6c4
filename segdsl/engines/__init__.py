"""Engines: load a store into a database and run compiled segments there.

``connect(url)`` picks the engine from the URL scheme:

- ``duckdb:///path/to.db`` or ``duckdb:///:memory:``
- ``sqlite:///path/to.db`` or ``sqlite:///:memory:``
- ``postgresql://user@host:port/db`` (also ``postgres://``), needs ``segdsl[postgres]``
- ``mysql://user[:password]@host:port/db`` (MySQL or MariaDB), needs ``segdsl[mysql]``

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

from segdsl.engines.base import Engine, StoreInfo
from segdsl.errors import UsageError

SCHEMES = ("duckdb", "sqlite", "postgresql", "postgres", "mysql")


def _path(url: str, scheme: str) -> str:
    prefix = f"{scheme}:///"
    if not url.startswith(prefix):
        raise UsageError(f"a {scheme} URL is written {scheme}:///path/to/file or "
                         f"{scheme}:///:memory:, not {url!r}")
    path = url[len(prefix):]
    return ":memory:" if path in ("", ":memory:") else path


def connect(url: str) -> Engine:
    """The engine for ``url``; raises UsageError for an unknown scheme, EngineError when the
    database cannot be reached."""
    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme == "duckdb":
        from segdsl.engines.duckdb import DuckDBEngine

        return DuckDBEngine(_path(url, "duckdb"))
    if scheme == "sqlite":
        from segdsl.engines.sqlite import SQLiteEngine

        return SQLiteEngine(_path(url, "sqlite"))
    if scheme in ("postgresql", "postgres"):
        from segdsl.engines.postgres import PostgresEngine

        return PostgresEngine(url)
    if scheme in ("mysql", "mariadb"):
        from segdsl.engines.mysql import MySQLEngine

        return MySQLEngine(url)
    raise UsageError(f"unknown database URL {url!r}; the supported schemes are duckdb:///, "
                     "sqlite:///, postgresql:// (or postgres://) and mysql://")


__all__ = ["SCHEMES", "Engine", "StoreInfo", "connect"]
