"""The engine interface and what every engine shares: loading, describing, counting.

An engine subclass supplies the database-specific primitives (listing tables and columns,
SQL types, bulk insert, transactions); the algorithms here are written once.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlglot import exp

from segdsl.catalog import STANDARD_CUSTOMER_COLUMNS, FieldType, StoreSchema
from segdsl.engines.tables import (
    ALL_TABLES,
    CANONICAL_TABLES,
    Col,
    Table,
    canonical_tables,
    field_type,
)
from segdsl.engines.urls import empty_in_memory, in_memory
from segdsl.errors import EngineError, SegdslError, UsageError
from segdsl.store.mapping import DEFAULT_MAPPING, META_TABLE, TableMapping
from segdsl.store.model import Store

DEFAULT_MONEY_SCALE = 2
# Rows per multi-row INSERT ... VALUES: at most 900 placeholders (old SQLite allows 999).
STATE_PARAMS = 900


@dataclass(frozen=True)
class StoreInfo:
    """What a database holds, through a mapping: canonical tables, custom attributes."""

    tables: frozenset[str]
    custom: dict[str, FieldType] = field(default_factory=dict)
    money_scale: int = DEFAULT_MONEY_SCALE
    timezone: str | None = None
    # Which load of the data this is (new at every `segdsl load`; None when the data was not
    # loaded by segdsl) and when it was loaded.
    load_id: str | None = None
    loaded_at: str | None = None

    def schema(self) -> StoreSchema:
        return StoreSchema(self.tables, dict(self.custom))

    def require_store(self, where: str, mapping: TableMapping) -> None:
        """Refuse a database that holds no store (a new workspace, a wrong URL) in words,
        before a query fails on a missing table."""
        missing = [t for t in ("customers", "orders") if t not in self.tables]
        if missing and in_memory(where):
            raise UsageError(empty_in_memory(where))
        if missing:
            names = " and ".join(mapping.table(t) for t in missing)
            raise UsageError(f"{where} has no {names} table{'s' if len(missing) > 1 else ''}: "
                             "it holds no store yet; load one with `segdsl load --db URL` or "
                             "`segdsl import ... --db URL`, or map the table names in "
                             "segdsl.toml ([mapping.tables])")


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    type: str
    scale: int | None = None  # numeric scale of DECIMAL columns


class Engine(ABC):
    dialect: str
    url: str = ""
    param_mark = "?"  # the driver's placeholder for statement parameters

    # --- primitives each engine supplies -------------------------------------------------------
    @abstractmethod
    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run one statement inside the current transaction; rows when it returns any."""

    @abstractmethod
    def _tables(self, schema: str | None) -> set[str]: ...

    @abstractmethod
    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]: ...

    @abstractmethod
    def _sql_type(self, col: Col, money_scale: int) -> str: ...

    @abstractmethod
    def _insert(self, table: Table) -> None: ...

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None: ...

    def forgets_at_exit(self) -> str | None:
        """Why this database keeps nothing once the process ends (None: it keeps its tables).
        Loading such a database from the command line, or keeping a workspace's state in it,
        would report success and lose the data."""
        if in_memory(self.url):
            return (f"{self.url} is an in-memory database: it keeps nothing once this command "
                    "ends")
        return None

    # --- shared ---------------------------------------------------------------------------------
    def quote(self, name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect=self.dialect)

    def table_ref(self, name: str, schema: str | None = None) -> str:
        return f"{self.quote(schema)}.{self.quote(name)}" if schema else self.quote(name)

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Database exceptions become :class:`EngineError` naming what was being done."""
        try:
            yield
        except SegdslError:
            raise
        except Exception as err:  # noqa: BLE001 - each driver has its own hierarchy
            message = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise EngineError(f"{self.dialect}: {doing} failed: {message}") from None

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self._errors("the query"):
            try:
                rows = self._execute(sql)
            except BaseException:
                self._rollback()
                raise
            self._end_read()
        return rows

    def _end_read(self) -> None:
        """End the transaction some drivers open implicitly (committing, so that a statement
        run through :meth:`query` that writes, such as DDL, takes effect)."""
        self._commit()

    def load(self, store: Store, *, replace: bool = False) -> None:
        """Write the store's canonical tables and the meta table, all or nothing."""
        tables = canonical_tables(store)
        with self._errors("loading the store"):
            existing = self._tables(None) & set(ALL_TABLES)
            if existing and not replace:
                self._end_read()
                raise UsageError(f"the database already holds a store (tables "
                                 f"{', '.join(sorted(existing))}); load with replace "
                                 "(`segdsl load --replace`) to overwrite it")
            self._begin()
            try:
                for name in sorted(existing):  # every canonical table: none may linger
                    self._drop(name)
                for table in tables:
                    self._create(table, store.money_scale)
                    if table.data and table.data[0]:
                        self._insert(table)
                    for column in table.indexes:
                        self._index(table.name, column)
                self._commit()
            except BaseException:
                self._rollback()
                raise

    def _create(self, table: Table, money_scale: int) -> None:
        cols = ", ".join(f"{self.quote(name)} {self._sql_type(col, money_scale)}"
                         for name, col in table.columns)
        self._execute(f"CREATE TABLE {self.quote(table.name)} ({cols}){self._table_options()}")

    def _table_options(self) -> str:
        return ""

    def _drop(self, name: str) -> None:
        self._execute(f"DROP TABLE {self.quote(name)}")

    def _index(self, table: str, column: str) -> None:
        self._execute(f"CREATE INDEX {self.quote(f'ix_{table}_{column}')} "
                      f"ON {self.quote(table)} ({self.quote(column)})")

    # --- the workspace's state tables (segdsl/workspace/state.py) -----------------------------
    # Plain SQL by default, inside the caller's transaction; an engine without DELETE or
    # indexes (Spark over Parquet) overrides these.
    def create_state_table(self, name: str, columns: str, index: str | None) -> None:
        """``CREATE TABLE name (columns)``, with an index on ``index``; ``columns`` is
        portable DDL (VARCHAR(n), TEXT, BIGINT, PRIMARY KEY)."""
        self._execute(f"CREATE TABLE {name} ({columns})")
        if index:
            self._execute(f"CREATE INDEX ix_{name}_{index} ON {name} ({index})")

    def delete_state_rows(self, table: str, column: str, values: Sequence[str]) -> None:
        """Delete the rows whose ``column`` is one of ``values``."""
        marks = ", ".join([self.param_mark] * len(values))
        self._execute(f"DELETE FROM {table} WHERE {column} IN ({marks})", tuple(values))

    def insert_state_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        """Small typed rows (counts are numbers) as few multi-row INSERTs."""
        if not rows:
            return
        width = len(rows[0])
        step = max(1, STATE_PARAMS // width)
        one = "(" + ", ".join([self.param_mark] * width) + ")"
        for start in range(0, len(rows), step):
            chunk = rows[start:start + step]
            self._execute(f"INSERT INTO {table} VALUES {', '.join([one] * len(chunk))}",
                          tuple(v for row in chunk for v in row))

    def _lock_store(self) -> None:  # noqa: B027 - a no-op unless overridden
        """Serialise against other processes until commit or rollback, where the database
        has no lock of its own that the workspace takes (see segdsl/workspace/db.py)."""
    def describe(self, mapping: TableMapping = DEFAULT_MAPPING) -> StoreInfo:
        """Tables present (by canonical name), custom attributes and their types, money
        scale (meta table, else the scale of ``orders.total`` when DECIMAL, else 2), zone."""
        with self._errors("reading the database's tables"):
            try:
                return self._describe(mapping)
            finally:
                self._rollback()

    def _describe(self, mapping: TableMapping) -> StoreInfo:
        schema = mapping.schema
        existing = self._tables(schema)
        present = frozenset(t for t in CANONICAL_TABLES if mapping.table(t) in existing)
        meta: dict[str, str] = {}
        if META_TABLE in existing:
            rows = self._execute(f"SELECT {self.quote('key')}, {self.quote('value')} FROM "
                                 f"{self.table_ref(META_TABLE, schema)}")
            meta = {str(k): str(v) for k, v in rows}
        declared: dict[str, str] = json.loads(meta.get("custom_types", "{}"))
        custom: dict[str, FieldType] = {}
        if "customers" in present:
            standard = {mapping.column("customers", c) for c in STANDARD_CUSTOMER_COLUMNS}
            for c in self._columns(mapping.table("customers"), schema):
                if c.name not in standard:
                    custom[c.name] = (FieldType(declared[c.name]) if c.name in declared
                                      else field_type(c.type))
        scale = int(meta["money_scale"]) if "money_scale" in meta else None
        if scale is None and "orders" in present:
            total = mapping.column("orders", "total")
            scale = next((c.scale for c in self._columns(mapping.table("orders"), schema)
                          if c.name == total and c.scale is not None
                          and re.search("dec|numeric", c.type.lower())), None)
        return StoreInfo(present, custom, DEFAULT_MONEY_SCALE if scale is None else scale,
                         meta.get("timezone"), meta.get("load_id"), meta.get("loaded_at"))

    def ignored_orders(self, mapping: TableMapping = DEFAULT_MAPPING) -> int:
        """Orders whose customer id is NULL or names no customer."""
        def ref(table: str, alias: str) -> exp.Table:
            db = exp.to_identifier(mapping.schema, quoted=True) if mapping.schema else None
            return exp.Table(this=exp.to_identifier(mapping.table(table), quoted=True), db=db,
                             alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True)))

        def column(table: str, name: str, alias: str) -> exp.Column:
            return exp.column(mapping.column(table, name), alias, quoted=True)

        order_customer = column("orders", "customer_id", "o")
        known = (exp.select(exp.Literal.number(1)).from_(ref("customers", "k"))
                 .where(exp.EQ(this=column("customers", "customer_id", "k"),
                               expression=order_customer.copy())))
        sql = (exp.select(exp.Count(this=exp.Star())).from_(ref("orders", "o"))
               .where(exp.or_(exp.Is(this=order_customer, expression=exp.Null()),
                              exp.not_(exp.Exists(this=known))))
               .sql(dialect=self.dialect))
        rows = self.query(sql)
        return int(rows[0][0])
