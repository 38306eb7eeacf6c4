"""The workspace's database connection: one lock holder at a time, one transaction per change.

Two refreshes must not interleave. DuckDB lets one process open a file for writing, so a second
one retries with backoff until the first is done; PostgreSQL and MySQL take an advisory lock
inside the transaction (released by commit or rollback, and by the server when the process dies).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from segdsl.engines import Engine, connect, missing_file
from segdsl.engines.tables import Col, Table
from segdsl.errors import EngineError, UsageError

# Arbitrary but fixed: the key every segdsl process locks on (PostgreSQL wants a bigint).
ADVISORY_KEY = 7_364_211_905
DEFAULT_WAIT = float(os.environ.get("SEGDSL_LOCK_WAIT", "300"))


def _is_lock_error(err: EngineError) -> bool:
    return "lock" in str(err).lower()


def open_engine(url: str, *, wait: float = DEFAULT_WAIT, create: bool = False) -> Engine:
    """Connect, retrying while another process holds a DuckDB file's lock (up to ``wait`` s).

    A missing database file is refused (as ``run --db`` refuses it) unless ``create``: opening
    it would make an empty one, and every command would then work on no data."""
    missing = None if create else missing_file(url)
    if missing is not None:
        raise UsageError(f"the workspace's database {url} does not exist ({missing}); load the "
                         f"store into it with `segdsl load --data DIR --db {url}`, or create a "
                         "workspace with the example data with `segdsl init DIR --example`")
    delay, deadline, told = 0.05, time.monotonic() + wait, False
    while True:
        try:
            engine = connect(url)
            if engine.dialect == "clickhouse":
                engine.close()
                raise UsageError(f"{url}: the segment store keeps its state in transactions, "
                                 "which ClickHouse does not have; use DuckDB, SQLite, "
                                 "PostgreSQL, MySQL or Spark for a workspace (`segdsl load` and "
                                 "`segdsl run --db` work on ClickHouse)")
            reason = engine.forgets_at_exit()
            if reason is not None:
                engine.close()
                raise UsageError(f"{reason}, and a workspace keeps its segments' state there; "
                                 "give it a database file or server")
            return engine
        except EngineError as err:
            if not _is_lock_error(err) or time.monotonic() + delay > deadline:
                if _is_lock_error(err):
                    raise EngineError(f"the store {url} is still locked by another process "
                                      f"after {wait:.0f}s ({err}); try again when it is "
                                      "done") from None
                raise
            if not told:
                print(f"waiting: another process is using {url} (retrying until it is done)",
                      file=sys.stderr, flush=True)
                told = True
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


class StateDb:
    """Statements with ``?`` placeholders on any engine, in explicit transactions."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.dialect = engine.dialect
        self._mark = engine.param_mark

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if params:
            sql = sql.replace("?", self._mark)
        with self.engine._errors("the segment store"):
            return self.engine._execute(sql, params)

    def tables(self) -> set[str]:
        with self.engine._errors("reading the tables"):
            return self.engine._tables(None)

    def create_table(self, table: str, columns: str, index: str | None) -> None:
        with self.engine._errors("creating the segment store"):
            self.engine.create_state_table(table, columns, index)

    def delete_in(self, table: str, column: str, values: Sequence[str]) -> None:
        with self.engine._errors("the segment store"):
            self.engine.delete_state_rows(table, column, values)

    def insert_rows(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        with self.engine._errors("writing the segment store"):
            self.engine.insert_state_rows(table, rows)
    def columns(self, table: str) -> list[str]:
        with self.engine._errors("reading the columns"):
            return [c.name for c in self.engine._columns(table, None)]

    def insert(self, table: str, columns: list[str], rows: Sequence[tuple[str, ...]]) -> None:
        """Bulk insert text columns through the engine's own loader (Arrow, COPY, ...)."""
        if not rows:
            return
        data = [list(col) for col in zip(*rows, strict=True)]
        with self.engine._errors("writing the segment store"):
            self.engine._insert(Table(table, [(c, Col.TEXT) for c in columns], data))

    @contextmanager
    def transaction(self, *, exclusive: bool = False) -> Iterator[None]:
        """All or nothing; ``exclusive`` also serialises against other segdsl processes."""
        with self.engine._errors("starting a transaction"):
            self.engine._begin()
        try:
            if exclusive:
                self._lock()
            yield
            with self.engine._errors("committing"):
                self.engine._commit()
        except BaseException:
            self.engine._rollback()
            raise
        finally:
            if exclusive and self.dialect == "mysql":
                self.execute("SELECT RELEASE_LOCK('segdsl_refresh')")

    def _lock(self) -> None:
        if self.dialect == "postgres":
            self.execute(f"SELECT pg_advisory_xact_lock({ADVISORY_KEY})")
        elif self.dialect == "mysql":
            got = self.execute(f"SELECT GET_LOCK('segdsl_refresh', {int(DEFAULT_WAIT)})")
            if not got or got[0][0] != 1:
                raise EngineError("mysql: another segdsl process holds the refresh lock")
        # DuckDB: the file lock taken by open_engine; SQLite: its write lock; others: their own.
        self.engine._lock_store()


def pause_for_tests(stage: str) -> None:
    """A test-only hook: SEGDSL_TEST_PAUSE_IN_REFRESH=seconds sleeps inside the refresh's
    transaction, after its writes and before the commit, so a test can kill it half-way."""
    seconds = os.environ.get("SEGDSL_TEST_PAUSE_IN_REFRESH")
    if seconds:
        print(f"paused {stage}", file=sys.stderr, flush=True)
        time.sleep(float(seconds))
