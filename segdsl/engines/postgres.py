"""PostgreSQL through psycopg 3; bulk loads with COPY."""

from __future__ import annotations

from typing import Any

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.tables import Col, Table
from segdsl.errors import EngineError, UsageError

_TYPES = {Col.ID: "TEXT", Col.TEXT: "TEXT", Col.TIMESTAMP: "TIMESTAMP",
          Col.DOUBLE: "DOUBLE PRECISION", Col.DATE: "DATE"}


class PostgresEngine(Engine):
    dialect = "postgres"
    param_mark = "%s"

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise UsageError("PostgreSQL needs the psycopg driver: "
                             "pip install 'segdsl[postgres]'") from None
        self.url = url
        self._psycopg = psycopg
        try:
            self.con = psycopg.connect(url, autocommit=False, connect_timeout=10)
        except psycopg.Error as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else "connection failed"
            raise EngineError(f"postgres: cannot connect: {first}") from None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(sql, params or None)  # no params: '%' is not a placeholder
            return cur.fetchall() if cur.description else []

    def _tables(self, schema: str | None) -> set[str]:
        rows = self._execute("SELECT table_name FROM information_schema.tables WHERE "
                             "table_schema = coalesce(%s, current_schema())", (schema,))
        return {r[0] for r in rows}

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        rows = self._execute("SELECT column_name, data_type, numeric_scale FROM "
                             "information_schema.columns WHERE table_schema = coalesce(%s, "
                             "current_schema()) AND table_name = %s ORDER BY ordinal_position",
                             (schema, table))
        return [ColumnInfo(n, t, s) for n, t, s in rows]

    def _sql_type(self, col: Col, money_scale: int) -> str:
        return f"NUMERIC(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _insert(self, table: Table) -> None:
        names = ", ".join(self.quote(n) for n, _ in table.columns)
        with self.con.cursor() as cur, cur.copy(
                f"COPY {self.quote(table.name)} ({names}) FROM STDIN") as copy:
            for row in table.rows:
                copy.write_row(row)

    def _begin(self) -> None:
        pass  # psycopg opens a transaction on the first statement (autocommit is off)

    def _commit(self) -> None:
        self.con.commit()

    def _rollback(self) -> None:
        self.con.rollback()

    def close(self) -> None:
        self.con.close()
