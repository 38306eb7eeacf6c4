"""ClickHouse: in-process through chDB, or a server; both through clickhouse-connect.

- ``chdb:///path/to/dir`` (a chDB data folder, created when missing) or ``chdb:///:memory:``
- ``clickhouse://user:password@host:port/database`` (the HTTP interface; ``?secure=true`` or
  port 8443 for HTTPS)

clickhouse-connect drives a server's HTTP interface and chDB's embedded engine behind the same
client, so one engine class serves both: the same DDL, bulk loads through Arrow, the same
queries and the same result types.

What the tables look like, and why:

- ``MergeTree ORDER BY tuple()``: the table engine that keeps data on disk; segment queries
  join by hashing, so neither a sorting key nor a secondary index would help them.
- A column is ``Nullable`` exactly when it holds a missing value (ClickHouse columns cannot
  hold NULL otherwise, and Nullable costs a mask per value).
- Timestamps are ``DateTime64(0, 'UTC')``: naive store-local wall-clock times, with the zone
  pinned so that the date of a timestamp is that wall clock's date whatever the server's zone;
  ``DateTime64`` because ``DateTime`` stops at 1970 and 2106. Dates are ``Date32`` (``Date``
  stops at 1970 and 2149); the compiler casts to ``Date32`` too (``dialects.ClickHouse``).
- Money is ``Decimal(38, scale)``, ids and text ``String`` (compared byte for byte).

ClickHouse has no transactions: a failed load drops the tables it created, as on MySQL.
chDB opens one data folder per process at a time (the engine is embedded): a second chDB URL
with another path fails until the first is closed, and two open ``:memory:`` engines share
their tables.
"""

from __future__ import annotations

import contextlib
import fcntl
import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.tables import Col, Table, arrow_type
from segdsl.engines.urls import local_path
from segdsl.errors import EngineError, UsageError
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping

_TYPES = {Col.ID: "String", Col.TEXT: "String", Col.TIMESTAMP: "DateTime64(0, 'UTC')",
          Col.DOUBLE: "Float64", Col.DATE: "Date32"}
# Statements that return rows go through query(); DDL and INSERT through command().
_ROWS = re.compile(r"\s*\(*\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXPLAIN|EXISTS)\b", re.I)
_WRAPPERS = re.compile(r"^(?:Nullable|LowCardinality)\((.*)\)$")
_DECIMAL = re.compile(r"^Decimal\(\s*\d+\s*,\s*(\d+)\s*\)$")
_INSTALL = "pip install 'segdsl[clickhouse]'"


def _client_module() -> Any:
    try:
        import clickhouse_connect
    except ImportError:
        raise UsageError(f"ClickHouse needs the clickhouse-connect driver: {_INSTALL}") from None
    return clickhouse_connect


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def chdb_path(url: str, create: bool) -> str:
    """The data folder of a ``chdb:///...`` URL (``:memory:`` for none)."""
    path = local_path(url, "chdb", "chDB", "folder")
    if path == ":memory:":
        return path
    if Path(path).is_file():
        raise UsageError(f"{url}: {Path(path).resolve()} is a file; chDB keeps its data in a "
                         "folder")
    if not create and not Path(path).is_dir():
        raise UsageError(f"{url}: no such chDB folder ({Path(path).resolve()}); load a store "
                         "into it with `segdsl load`")
    return path


def _in_use(path: str) -> bool:
    """Whether another process has the chDB folder open: ClickHouse holds an exclusive lock on
    its ``status`` file while it runs."""
    status = Path(path) / "status"
    if path == ":memory:" or not status.is_file():
        return False
    try:
        with status.open("rb") as f:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when f is closed
    except BlockingIOError:
        return True
    except OSError:
        return False
    return False


def _busy(path: str) -> EngineError:
    return EngineError(f"clickhouse: the chDB folder {path} is in use by another process "
                       "(chDB opens a folder in one process at a time); try again when it is "
                       "done")


def connect_chdb(url: str, create: bool) -> ClickHouseEngine:
    path = chdb_path(url, create)
    module = _client_module()
    if _in_use(path):  # asked first, or chDB prints its own error on stderr
        raise _busy(path)
    try:
        client = module.get_client(interface="chdb", path=path)
    except ImportError:
        raise UsageError(f"chdb:// URLs need chDB, ClickHouse in-process: {_INSTALL}") from None
    except Exception as err:  # noqa: BLE001 - the driver's own hierarchy
        if _in_use(path):
            raise _busy(path) from None
        raise EngineError(f"clickhouse: cannot open chDB at {path!r}: {_first_line(err)}") \
            from None
    return ClickHouseEngine(client, f"chdb:///{path}")


def connect_server(url: str) -> ClickHouseEngine:
    module = _client_module()
    try:
        client = module.get_client(dsn=url, connect_timeout=10)
    except Exception as err:  # noqa: BLE001 - the driver's own hierarchy
        raise EngineError(f"clickhouse: cannot connect: {_first_line(err)}") from None
    return ClickHouseEngine(client, url)


def _base_type(db_type: str) -> str:
    """``Nullable(LowCardinality(String))`` → ``String``."""
    while (m := _WRAPPERS.match(db_type)) is not None:
        db_type = m.group(1)
    return db_type


class ClickHouseEngine(Engine):
    dialect = "clickhouse"

    def __init__(self, client: Any, url: str):
        self.client = client
        self.url = url
        self._loading = False
        self._created: list[str] = []
        self._money_scale = 2  # of the store being loaded (set by _create, used by _insert)

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        # Parameters are bound by the client (%s placeholders); without any, a '%' in the SQL
        # is an ordinary character.
        parameters = list(params) if params else None
        if _ROWS.match(sql):
            return [tuple(row) for row in self.client.query(sql, parameters=parameters)
                    .result_rows]
        self.client.command(sql, parameters=parameters)
        return []

    def _tables(self, schema: str | None) -> set[str]:
        rows = self._execute("SELECT name FROM system.tables WHERE database = "
                             "coalesce(%s, currentDatabase())", (schema,))
        return {r[0] for r in rows}

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        rows = self._execute("SELECT name, type FROM system.columns WHERE database = "
                             "coalesce(%s, currentDatabase()) AND table = %s ORDER BY position",
                             (schema, table))
        out = []
        for name, db_type in rows:
            base = _base_type(str(db_type))
            m = _DECIMAL.match(base)
            # Date32 is a date to the catalog (field_type knows the name "date").
            out.append(ColumnInfo(name, "date" if base in ("Date", "Date32") else base,
                                  int(m.group(1)) if m else None))
        return out

    def _sql_type(self, col: Col, money_scale: int) -> str:
        return f"Decimal(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _create(self, table: Table, money_scale: int) -> None:
        cols = []
        for i, (name, col) in enumerate(table.columns):
            sql_type = self._sql_type(col, money_scale)
            values = table.data[i] if table.data else []
            if any(v is None for v in values):
                sql_type = f"Nullable({sql_type})"
            cols.append(f"{self.quote(name)} {sql_type}")
        self._execute(f"CREATE TABLE {self.quote(table.name)} ({', '.join(cols)}) "
                      "ENGINE = MergeTree ORDER BY tuple()")
        if self._loading:
            self._created.append(table.name)
        self._money_scale = money_scale

    def _index(self, table: str, column: str) -> None:
        pass  # hash joins: see the module docstring

    def _drop(self, name: str) -> None:
        # SYNC: an Atomic database otherwise keeps a dropped table's data for 8 minutes, so a
        # store replaced again and again (load --replace, the soak) piles up on disk and in
        # the background threads that clean it.
        self._execute(f"DROP TABLE {self.quote(name)} SYNC")

    def _insert(self, table: Table) -> None:
        arrays = [pa.array(values, type=arrow_type(col, self._money_scale))
                  for (_, col), values in zip(table.columns, table.data, strict=True)]
        self.client.insert_arrow(table.name, pa.Table.from_arrays(
            arrays, names=[name for name, _ in table.columns]))

    def _begin(self) -> None:
        self._loading = True
        self._created = []

    def _commit(self) -> None:
        self._loading = False
        self._created = []

    def _rollback(self) -> None:
        for name in reversed(self._created):  # no transactions: undo a failed load by hand
            with contextlib.suppress(Exception):  # best effort cleanup after a failure
                self.client.command(f"DROP TABLE IF EXISTS {self.quote(name)} SYNC")
        self._loading = False
        self._created = []

    def ignored_orders(self, mapping: TableMapping = DEFAULT_MAPPING) -> int:
        """As :meth:`Engine.ignored_orders`, uncorrelated: servers before 25.x refuse a
        correlated ``NOT EXISTS``. ClickHouse's ``NOT IN`` is two-valued (a NULL in the set
        matches nothing), and the NULL ids are counted by the first test."""
        q = self.quote
        owner = q(mapping.column("orders", "customer_id"))
        known = q(mapping.column("customers", "customer_id"))
        sql = (f"SELECT count(*) FROM {self.table_ref(mapping.table('orders'), mapping.schema)} "
               f"WHERE {owner} IS NULL OR {owner} NOT IN (SELECT {known} FROM "
               f"{self.table_ref(mapping.table('customers'), mapping.schema)})")
        return int(self.query(sql)[0][0])

    def close(self) -> None:
        self.client.close()
