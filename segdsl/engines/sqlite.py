"""SQLite: a file or in-memory database. Dates and timestamps are ISO text.

SQLite's built-in ``lower()`` folds ASCII only; the connection replaces it with Python's
``str.lower`` so that SQL matching agrees with the memory backend for all of Unicode.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from segdsl.engines.base import ColumnInfo, Engine
from segdsl.engines.tables import Col, Table, iso
from segdsl.errors import EngineError

_TYPES = {Col.ID: "TEXT", Col.TEXT: "TEXT", Col.TIMESTAMP: "TIMESTAMP", Col.DOUBLE: "DOUBLE",
          Col.DATE: "DATE"}


def unicode_lower(value: str | bytes | int | float | None) -> str | bytes | int | float | None:
    """SQL ``lower()`` as Python's: NULL stays NULL, non-text passes through."""
    return value.lower() if isinstance(value, str) else value


class SQLiteEngine(Engine):
    dialect = "sqlite"

    def __init__(self, path: str):
        self.url = f"sqlite:///{path}"
        try:
            # isolation_level=None: we issue BEGIN/COMMIT ourselves (DDL is transactional).
            self.con = sqlite3.connect(path or ":memory:", isolation_level=None)
            self.con.create_function("lower", 1, unicode_lower, deterministic=True)
            self.con.execute("SELECT 1 FROM sqlite_master LIMIT 1")  # fails on a non-database
        except sqlite3.Error as err:
            raise EngineError(f"sqlite: cannot open {path!r}: {err}") from None

    def _execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params).fetchall()

    def _tables(self, schema: str | None) -> set[str]:
        master = f"{self.quote(schema)}.sqlite_master" if schema else "sqlite_master"
        return {r[0] for r in self._execute(f"SELECT name FROM {master} WHERE type IN "
                                            "('table', 'view')")}

    def _columns(self, table: str, schema: str | None) -> list[ColumnInfo]:
        prefix = f"{self.quote(schema)}." if schema else ""
        out = []
        for row in self._execute(f"PRAGMA {prefix}table_info({self.quote(table)})"):
            declared = str(row[2])
            m = re.search(r"\(\s*\d+\s*,\s*(\d+)\s*\)", declared)
            out.append(ColumnInfo(row[1], declared, int(m.group(1)) if m else None))
        return out

    def _sql_type(self, col: Col, money_scale: int) -> str:
        # DECIMAL(38, s) has NUMERIC affinity and keeps the scale visible to describe().
        return f"DECIMAL(38, {money_scale})" if col is Col.MONEY else _TYPES[col]

    def _insert(self, table: Table) -> None:
        converters = [_converter(col) for _, col in table.columns]
        rows = [tuple(f(v) for f, v in zip(converters, row, strict=True)) for row in table.rows]
        marks = ", ".join("?" * len(table.columns))
        self.con.executemany(f"INSERT INTO {self.quote(table.name)} VALUES ({marks})", rows)

    def _begin(self) -> None:
        self.con.execute("BEGIN")

    def _commit(self) -> None:
        self.con.execute("COMMIT")

    def _rollback(self) -> None:
        if self.con.in_transaction:
            self.con.execute("ROLLBACK")

    def _end_read(self) -> None:
        pass  # isolation_level=None: statements outside BEGIN autocommit

    def close(self) -> None:
        self.con.close()


def _converter(col: Col) -> Any:
    if col in (Col.TIMESTAMP, Col.DATE):
        return iso
    if col is Col.MONEY:
        # The exact decimal text; NUMERIC affinity stores it as INTEGER when whole, else REAL.
        return lambda v: None if v is None else str(v)
    return lambda v: v
