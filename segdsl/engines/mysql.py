"""MySQL and MariaDB through PyMySQL; bulk loads with batched multi-row INSERTs.

Identifier columns use a binary, no-pad collation so that joins on ids are exact (the default
collations would match ``A`` with ``a`` and ``é`` with ``e``). MySQL commits DDL implicitly, so
a failed load drops the tables it created rather than rolling back.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.tables import Col, Table
from segdsl.errors import EngineError, UsageError

BATCH = 1000
_TYPES = {Col.TEXT: "TEXT", Col.TIMESTAMP: "DATETIME", Col.DOUBLE: "DOUBLE", Col.DATE: "DATE"}
# First one the server knows wins: MariaDB's no-pad binary, MySQL 8's, then plain binary.
_ID_COLLATIONS = ("utf8mb4_nopad_bin", "utf8mb4_0900_bin", "utf8mb4_bin")


class MySQLEngine(Engine):
    dialect = "mysql"
    param_mark = "%s"

    def __init__(self, url: str):
        try:
            import pymysql
        except ImportError:
            raise UsageError("MySQL needs the PyMySQL driver: pip install 'segdsl[mysql]'") \
                from None
        self.url = url
        parts = urlsplit(url)
        try:
            self.con = pymysql.connect(
                host=parts.hostname or "localhost", port=parts.port or 3306,
                user=unquote(parts.username or "root"), password=unquote(parts.password or ""),
                database=unquote(parts.path.lstrip("/")) or None, charset="utf8mb4",
                autocommit=False, connect_timeout=10)
        except pymysql.Error as err:
            raise EngineError(f"mysql: cannot connect: {err.args[-1] if err.args else err}") \
                from None
        self._created: list[str] = []
        self._id_collation: str | None = None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.con.cursor() as cur:
            cur.execute(sql, params or None)
            if sql.lstrip().upper().startswith("CREATE TABLE"):
                self._created.append(sql.split("`")[1])
            return list(cur.fetchall()) if cur.description else []

    def _tables(self, schema: str | None) -> set[str]:
        rows = self._execute("SELECT table_name FROM information_schema.tables WHERE "
                             "table_schema = coalesce(%s, DATABASE())", (schema,))
        return {r[0] for r in rows}

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        rows = self._execute("SELECT column_name, data_type, numeric_scale FROM "
                             "information_schema.columns WHERE table_schema = coalesce(%s, "
                             "DATABASE()) AND table_name = %s ORDER BY ordinal_position",
                             (schema, table))
        return [ColumnInfo(n, t, None if s is None else int(s)) for n, t, s in rows]

    def _collation(self) -> str:
        if self._id_collation is None:
            known = {r[0] for r in self._execute("SHOW COLLATION LIKE 'utf8mb4%bin'")}
            self._id_collation = next((c for c in _ID_COLLATIONS if c in known), "utf8mb4_bin")
        return self._id_collation

    def _sql_type(self, col: Col, money_scale: int) -> str:
        if col is Col.ID:
            return f"VARCHAR(255) CHARACTER SET utf8mb4 COLLATE {self._collation()}"
        return f"DECIMAL(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _table_options(self) -> str:
        return " DEFAULT CHARSET=utf8mb4"

    def _insert(self, table: Table) -> None:
        names = ", ".join(self.quote(n) for n, _ in table.columns)
        marks = ", ".join(["%s"] * len(table.columns))
        rows = table.rows
        with self.con.cursor() as cur:
            for start in range(0, len(rows), BATCH):
                # PyMySQL rewrites executemany of INSERT ... VALUES into one multi-row INSERT.
                cur.executemany(f"INSERT INTO {self.quote(table.name)} ({names}) VALUES "
                                f"({marks})", rows[start:start + BATCH])

    def _begin(self) -> None:
        self._collation()
        self._created = []
        self.con.begin()

    def _commit(self) -> None:
        self.con.commit()
        self._created = []

    def _rollback(self) -> None:
        self.con.rollback()
        for name in reversed(self._created):  # DDL is not transactional: undo by hand
            try:
                with self.con.cursor() as cur:
                    cur.execute(f"DROP TABLE IF EXISTS {self.quote(name)}")
            except Exception:  # noqa: BLE001, S110 - best effort cleanup after a failure
                pass
        self._created = []

    def close(self) -> None:
        self.con.close()
