"""Spark SQL through PySpark: a folder of Parquet tables, the tables of a catalog database, or
(``spark:///:memory:``) DataFrames that live as long as the engine.

URLs and the process-wide session are in :mod:`segdsl.engines.spark_session`. Parquet and
Spark's session catalog have no transactions, no DELETE and no indexes, so writes are staged:
inside a transaction each changed table is a DataFrame (filtered for a delete, unioned for an
insert) that a temporary view of the table's name stands for, so later statements read it;
commit writes every changed table next to the live ones and then swaps them in, rollback
forgets them. Nothing is written before commit, and a failed write leaves the live tables as
they were.

Types: ids and text are STRING, money DECIMAL(38, scale), ``ordered_at`` TIMESTAMP_NTZ (store
local time, never shifted by a zone), custom numbers DOUBLE, dates DATE; missing values NULL.
"""

from __future__ import annotations

import contextlib
import fcntl
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import pyarrow as pa
import sqlglot
from sqlglot import exp

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.spark_session import SparkUrl, parse_url, session_for
from segdsl.engines.tables import Col, Table
from segdsl.engines.urls import empty_in_memory
from segdsl.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

_TYPES = {Col.ID: "STRING", Col.TEXT: "STRING", Col.TIMESTAMP: "TIMESTAMP_NTZ",
          Col.DOUBLE: "DOUBLE", Col.DATE: "DATE"}
_STAGING = "_segdsl_staging_"  # a leading "_" hides a folder from Spark and from the listing


class SparkEngine(Engine):
    dialect = "spark"

    def __init__(self, url: str, *, create: bool = True):
        self.url = url
        self.where = parse_url(url)
        # Said before the JVM starts, which takes seconds.
        folder = self.where.folder
        local = Path(folder) if folder and "://" not in folder else None
        if local is not None and local.is_file():
            raise UsageError(f"{folder} is a file; a Spark store is a folder of Parquet tables "
                             "(one sub-folder per table)")
        if not create and local is not None and not local.is_dir():
            raise UsageError(f"{folder}: no such store folder; load a store into it with "
                             "`segdsl load`")
        if not create and self.where.memory:
            raise UsageError(empty_in_memory(url))
        self.session = session_for(self.where)
        self._tables_of: _Storage = (
            _Folder(self.session, self.where) if self.where.folder
            else _Memory(self.session, self.where) if self.where.memory
            else _Catalog(self.session, self.where))
        # The temporary views this engine made; kept here because listing the session's
        # catalog lists every table of the current database too, which costs a round trip.
        self._views: set[str] = set()
        with self._errors("opening the store"):
            self._tables_of.check(create)
            self._live = self._tables_of.names()
            self._show(self._live)
        self._pending: dict[str, DataFrame | None] = {}  # None: dropped
        self._lock_file: IO[bytes] | None = None

    def forgets_at_exit(self) -> str | None:
        if self.where.database is not None and \
                self.session.conf.get("spark.sql.catalogImplementation") == "in-memory":
            return (f"{self.url}: Spark's built-in catalog lives in memory and forgets database "
                    f"{self.where.database!r} when this command ends; keep the tables in a "
                    "Hive metastore (add &spark.sql.catalogImplementation=hive) or in a folder "
                    "(spark:///path)")
        return super().forgets_at_exit()

    # --- reading -------------------------------------------------------------------------------
    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        from py4j.protocol import Py4JError, Py4JJavaError

        with super()._errors(doing):
            try:
                yield
            except Py4JJavaError as err:  # its own text is "An error occurred while calling"
                raise RuntimeError(str(err.java_exception.toString())) from None
            except Py4JError as err:
                raise RuntimeError(f"the JVM is gone ({err})") from None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        frame = self.session.sql(sql, args=list(params) if params else None)
        return [tuple(row) for row in frame.collect()]

    def _names(self) -> set[str]:
        """The tables as this transaction sees them; the live ones are listed afresh, as
        other processes (or SQL run here) may have added some."""
        live = self._tables_of.names()
        self._show(live - self._live - set(self._pending))
        self._drop_views(self._live - live - set(self._pending))
        self._live = live
        return ({n for n in live if n not in self._pending}
                | {n for n, f in self._pending.items() if f is not None})

    def _tables(self, schema: str | None) -> set[str]:
        if schema is None:
            return self._names()
        if self.where.folder or self.where.memory:
            kind = "an in-memory store" if self.where.memory else "a folder of Parquet tables"
            raise UsageError(f"{self.url}: {kind} has no schemas (mapping "
                             f"schema {schema!r}); use ?database=NAME for a catalog's tables")
        return _Catalog(self.session, self.where).names(schema)

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        fields = self.session.table(self.table_ref(table, schema)).schema.fields
        return [ColumnInfo(f.name, f.dataType.simpleString(), getattr(f.dataType, "scale", None))
                for f in fields]

    # --- writing: staged until commit ---------------------------------------------------------
    def _sql_type(self, col: Col, money_scale: int) -> str:
        return f"DECIMAL(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _show(self, names: set[str]) -> None:
        self._tables_of.show(names)
        self._views |= names

    def _drop_views(self, names: set[str]) -> None:
        for name in names & self._views:
            self.session.catalog.dropTempView(name)
        self._views -= names

    def _stage(self, name: str, frame: DataFrame | None) -> None:
        self._pending[name] = frame
        if frame is None:
            self._drop_views({name})
        else:
            frame.createOrReplaceTempView(name)
            self._views.add(name)

    def _frame(self, name: str) -> DataFrame:
        return self.session.table(self.quote(name))

    def _create(self, table: Table, money_scale: int) -> None:
        from pyspark.sql.types import StructType

        ddl = ", ".join(f"{self.quote(n)} {self._sql_type(c, money_scale)}"
                        for n, c in table.columns)
        schema = cast(StructType, StructType.fromDDL(ddl))
        self._stage(table.name, self._arrow_frame(schema))

    def _arrow_frame(self, schema: StructType,
                     columns: Sequence[Sequence[Any]] | None = None) -> DataFrame:
        """A DataFrame of these column values (none: empty), handed to the JVM as Arrow: a
        list of rows
        would become a Python RDD, which every query reading the table (an empty one too)
        scans through Python worker processes."""
        if columns is None:
            columns = [[] for _ in schema.fields]
        arrays = [pa.array(values, type=_arrow_type(f.dataType))
                  for f, values in zip(schema.fields, columns, strict=True)]
        table = pa.Table.from_arrays(arrays, names=[f.name for f in schema.fields])
        return self.session.createDataFrame(table, schema=schema)

    def _insert(self, table: Table) -> None:
        current = self._frame(table.name)
        rows = self._arrow_frame(current.schema, table.data)
        self._stage(table.name, current.unionByName(rows))

    def _drop(self, name: str) -> None:
        self._stage(name, None)

    def _index(self, table: str, column: str) -> None:
        pass  # Parquet has no indexes; Spark joins by hashing

    def create_state_table(self, name: str, columns: str, index: str | None) -> None:
        self._stage(name, self._arrow_frame(_schema_of(columns)))

    def delete_state_rows(self, table: str, column: str, values: Sequence[str]) -> None:
        from pyspark.sql import functions as F

        key = F.col(self.quote(column))
        self._stage(table, self._frame(table).filter(key.isNull() | ~key.isin(list(values))))

    def insert_state_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if rows:
            current = self._frame(table)
            new = self._arrow_frame(current.schema, list(zip(*rows, strict=True)))
            self._stage(table, current.unionByName(new))

    def _begin(self) -> None:
        self._pending = {}

    def _commit(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, {}
            try:
                self._tables_of.publish(pending)
            finally:
                self._reset()
        self._unlock()

    def _rollback(self) -> None:
        if self._pending:
            self._pending = {}
            self._reset()
        self._unlock()

    def _end_read(self) -> None:
        pass  # nothing is staged by a read

    def _reset(self) -> None:
        """Temporary views back on the live tables, as they are now."""
        self._drop_views(set(self._views))
        self._live = self._tables_of.names()
        self._show(self._live)

    def _lock_store(self) -> None:
        folder = self.where.folder
        if folder is None or "://" in folder or folder.startswith("file:"):
            return  # a catalog or a remote file system: no lock file to take (docs/dialects.md)
        Path(folder).mkdir(parents=True, exist_ok=True)
        self._lock_file = (Path(folder) / "_segdsl.lock").open("wb")
        fcntl.flock(self._lock_file, fcntl.LOCK_EX)  # released by close, whatever happens

    def _unlock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the JVM may be gone already
            self._rollback()
            self._drop_views(set(self._views))
        self._unlock()


def _arrow_type(spark_type: DataType) -> pa.DataType:
    name = spark_type.simpleString()
    if name.startswith("decimal"):
        return pa.decimal128(spark_type.precision, spark_type.scale)  # type: ignore[attr-defined]
    return {"string": pa.string(), "timestamp_ntz": pa.timestamp("us"), "date": pa.date32(),
            "double": pa.float64(), "bigint": pa.int64()}[name]


def _schema_of(columns: str) -> StructType:
    """The Spark schema of portable column DDL: integers are BIGINT, everything else STRING
    (constraints such as PRIMARY KEY have no meaning in Parquet)."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    create = sqlglot.parse_one(f"CREATE TABLE t ({columns})")
    fields = []
    for col in create.find_all(exp.ColumnDef):
        kind = col.args.get("kind")
        integer = isinstance(kind, exp.DataType) and kind.is_type(*exp.DataType.INTEGER_TYPES)
        fields.append(StructField(col.name, LongType() if integer else StringType()))
    return StructType(fields)


class _Storage:
    """Where the live tables are: lists them, shows them to SQL, and publishes new versions."""

    def __init__(self, session: SparkSession, where: SparkUrl):
        self.session = session
        self.where = where

    def check(self, create: bool) -> None: ...

    def names(self) -> set[str]:
        raise NotImplementedError

    def show(self, names: set[str]) -> None: ...

    def publish(self, pending: dict[str, DataFrame | None]) -> None:
        raise NotImplementedError


class _Folder(_Storage):
    """One Parquet folder per table, read through temporary views of the folder's name."""

    def __init__(self, session: SparkSession, where: SparkUrl):
        super().__init__(session, where)
        assert where.folder is not None
        jvm: Any = session.sparkContext._jvm
        self._path = jvm.org.apache.hadoop.fs.Path
        self.root = self._path(where.folder)
        self.fs = self.root.getFileSystem(session.sparkContext._jsc.hadoopConfiguration())

    def check(self, create: bool) -> None:
        if not create and not self.fs.isDirectory(self.root):
            raise UsageError(f"{self.where.folder}: no such store folder; load a store into it "
                             "with `segdsl load`")

    def _child(self, name: str) -> Any:
        return self._path(self.root, name)

    def names(self) -> set[str]:
        if not self.fs.exists(self.root):
            return set()
        return {s.getPath().getName() for s in self.fs.listStatus(self.root)
                if s.isDirectory() and not s.getPath().getName().startswith(("_", "."))}

    def show(self, names: set[str]) -> None:
        for name in names:
            self.session.read.parquet(str(self._child(name).toString())) \
                .createOrReplaceTempView(name)

    def publish(self, pending: dict[str, DataFrame | None]) -> None:
        stage = self._child(f"{_STAGING}{uuid.uuid4().hex}")
        old = self._path(stage, "_old")
        try:
            for name, frame in pending.items():  # every new version is written first
                if frame is not None:
                    frame.write.parquet(self._path(stage, name).toString())
            self.fs.mkdirs(old)
            for name, frame in pending.items():  # then swapped in: renames only
                if self.fs.exists(self._child(name)):
                    self.fs.rename(self._child(name), self._path(old, name))
                if frame is not None:
                    self.fs.rename(self._path(stage, name), self._child(name))
        finally:
            self.fs.delete(stage, True)


class _Memory(_Storage):
    """DataFrames of this session: publishing keeps the new versions, nothing is written. The
    data a store is loaded with is local to the driver, so the frames stay small plans."""

    def __init__(self, session: SparkSession, where: SparkUrl):
        super().__init__(session, where)
        self.frames: dict[str, DataFrame] = {}

    def names(self) -> set[str]:
        return set(self.frames)

    def show(self, names: set[str]) -> None:
        for name in names:
            self.frames[name].createOrReplaceTempView(name)

    def publish(self, pending: dict[str, DataFrame | None]) -> None:
        for name, frame in pending.items():
            if frame is None:
                self.frames.pop(name, None)
            else:
                self.frames[name] = frame


class _Catalog(_Storage):
    """The tables of a catalog database (a Hive metastore, or Spark's own catalog)."""

    def __init__(self, session: SparkSession, where: SparkUrl):
        super().__init__(session, where)
        assert where.database is not None
        self.database = where.database

    def _quoted(self, name: str) -> str:
        return exp.to_identifier(name, quoted=True).sql(dialect="spark")

    def check(self, create: bool) -> None:
        if self.session.catalog.databaseExists(self.database):
            self.session.catalog.setCurrentDatabase(self.database)
        elif not create:
            raise UsageError(f"{self.where.database}: no such Spark database; load a store "
                             "into it with `segdsl load`")

    def names(self, database: str | None = None) -> set[str]:
        database = database or self.database
        if not self.session.catalog.databaseExists(database):
            return set()
        return {t.name for t in self.session.catalog.listTables(database) if not t.isTemporary}

    def publish(self, pending: dict[str, DataFrame | None]) -> None:
        db = self._quoted(self.database)
        self.session.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
        staged = {name: f"{_STAGING}{uuid.uuid4().hex[:12]}_{name}" for name in pending}
        try:
            for name, frame in pending.items():
                if frame is not None:
                    frame.write.format("parquet").saveAsTable(f"{db}.{self._quoted(staged[name])}")
            for name, frame in pending.items():
                self.session.sql(f"DROP TABLE IF EXISTS {db}.{self._quoted(name)}")
                if frame is not None:
                    self.session.sql(f"ALTER TABLE {db}.{self._quoted(staged[name])} RENAME TO "
                                     f"{db}.{self._quoted(name)}")
        finally:
            for name in staged.values():
                self.session.sql(f"DROP TABLE IF EXISTS {db}.{self._quoted(name)}")
        self.session.catalog.setCurrentDatabase(self.database)
