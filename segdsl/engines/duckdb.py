"""DuckDB: a file or an in-memory database; bulk loads through Arrow."""

from __future__ import annotations

import contextlib
from typing import Any

import duckdb
import pyarrow as pa

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.tables import Col, Table, arrow_type
from segdsl.errors import EngineError

_TYPES = {Col.ID: "VARCHAR", Col.TEXT: "VARCHAR", Col.TIMESTAMP: "TIMESTAMP",
          Col.DOUBLE: "DOUBLE", Col.DATE: "DATE"}


class DuckDBEngine(Engine):
    dialect = "duckdb"

    def __init__(self, path: str):
        self.url = f"duckdb:///{path}"
        try:
            self.con = duckdb.connect(path or ":memory:")
        except duckdb.Error as err:
            raise EngineError(f"duckdb: cannot open {path!r}: {err}") from None
        self._money_scale = 2

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.con.execute(sql, list(params))
        return cur.fetchall() if cur.description else []

    def _tables(self, schema: str | None) -> set[str]:
        rows = self._execute("SELECT table_name FROM information_schema.tables WHERE "
                             "table_catalog = current_database() AND "
                             "table_schema = coalesce(?, current_schema())", (schema,))
        return {r[0] for r in rows}

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        rows = self._execute("SELECT column_name, data_type, numeric_scale FROM "
                             "information_schema.columns WHERE table_catalog = "
                             "current_database() AND table_schema = coalesce(?, "
                             "current_schema()) AND table_name = ? ORDER BY ordinal_position",
                             (schema, table))
        return [ColumnInfo(n, t, s) for n, t, s in rows]

    def _sql_type(self, col: Col, money_scale: int) -> str:
        self._money_scale = money_scale
        return f"DECIMAL(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _insert(self, table: Table) -> None:
        arrays = [pa.array(values, type=arrow_type(col, self._money_scale))
                  for (_, col), values in zip(table.columns, table.data, strict=True)]
        source = pa.Table.from_arrays(arrays, names=[name for name, _ in table.columns])
        self.con.register("segdsl_source", source)
        try:
            self._execute(f"INSERT INTO {self.quote(table.name)} SELECT * FROM segdsl_source")
        finally:
            self.con.unregister("segdsl_source")

    def _begin(self) -> None:
        self.con.begin()

    def _commit(self) -> None:
        self.con.commit()

    def _rollback(self) -> None:
        with contextlib.suppress(duckdb.Error):  # no transaction open: reads autocommit
            self.con.rollback()

    def _end_read(self) -> None:
        pass  # reads run in autocommit mode

    def close(self) -> None:
        self.con.close()
