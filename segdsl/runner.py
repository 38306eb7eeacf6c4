"""Stage 5: run checked segments against a store, wherever it lives.

A :class:`Session` is an opened store: the in-memory evaluator over a folder of files, or a
database engine (an embedded DuckDB/SQLite loaded from a folder, or a database given by URL).
The CLI and the Python API both go through here, so the choice of backend is made once.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from pathlib import Path

from segdsl.catalog import StoreSchema
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.errors import UsageError
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping
from segdsl.store.model import Store
from segdsl.store.reader import read_folder

ENGINES = ("memory", "duckdb", "sqlite", "clickhouse", "spark")


@dataclass
class SegmentResult:
    segment: CheckedSegment
    customer_ids: list[str]
    context: RunContext
    window: tuple[str | None, str]

    @property
    def count(self) -> int:
        return len(self.customer_ids)


class Session(abc.ABC):
    """An opened store that can run segments."""

    engine_name: str
    schema: StoreSchema
    timezone: str
    warnings: list[str]

    @abc.abstractmethod
    def customer_ids(self, segment: CheckedSegment, ctx: RunContext) -> list[str]: ...

    def run(self, segment: CheckedSegment, ctx: RunContext) -> SegmentResult:
        start, end = ctx.window_bounds(segment.window)
        ids = self.customer_ids(segment, ctx)
        return SegmentResult(segment, ids, ctx, (start.isoformat() if start else None,
                                                 end.isoformat()))

    def sql(self, segment: CheckedSegment, ctx: RunContext) -> str | None:
        """The SQL this session would run, or None for the in-memory evaluator."""
        return None

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class MemorySession(Session):
    def __init__(self, store: Store):
        from segdsl.backends.memory import prepare

        self.engine_name = "memory"
        self.store = store
        self.prepared = prepare(store)
        self.schema = store.schema()
        self.timezone = store.timezone
        self.warnings = list(store.warnings)

    def customer_ids(self, segment: CheckedSegment, ctx: RunContext) -> list[str]:
        from segdsl.backends.memory import evaluate

        return evaluate(segment, self.prepared, ctx)


class SqlSession(Session):
    def __init__(self, url: str, *, mapping: TableMapping = DEFAULT_MAPPING,
                 timezone: str | None = None, store: Store | None = None,
                 engine_name: str | None = None):
        from segdsl.engines import connect

        # Reading an existing database must not create one; loading a store may.
        self.engine = connect(url, create=store is not None)
        self.mapping = mapping
        self.warnings = []
        try:
            if store is not None:
                self.engine.load(store, replace=True)
                self.warnings.extend(store.warnings)
            info = self.engine.describe(mapping)
        except BaseException:
            self.engine.close()
            raise
        try:
            info.require_store(url, mapping)
        except UsageError:
            self.engine.close()
            raise
        self.info = info
        self.schema = info.schema()
        self.money_scale = info.money_scale
        self.engine_name = engine_name or self.engine.dialect
        if timezone and info.timezone and timezone != info.timezone:
            self.engine.close()
            raise UsageError(
                f"this database was loaded with time zone {info.timezone}, and timestamps with "
                f"an offset were converted to it then; to use {timezone}, load it again with "
                f"`segdsl load --timezone {timezone} --replace`")
        self.timezone = timezone or info.timezone or "UTC"
        if store is None:
            ignored = self.engine.ignored_orders(mapping)
            if ignored:
                self.warnings.append(f"{ignored:,} order{'s' if ignored != 1 else ''} ignored: "
                                     "their customer is not in customers")

    def sql(self, segment: CheckedSegment, ctx: RunContext) -> str:
        from segdsl.backends.sql import to_sql

        return to_sql(segment, ctx, dialect=self.engine.dialect, mapping=self.mapping,
                      money_scale=self.money_scale)

    def customer_ids(self, segment: CheckedSegment, ctx: RunContext) -> list[str]:
        return [str(row[0]) for row in self.engine.query(self.sql(segment, ctx))]

    def close(self) -> None:
        self.engine.close()


@dataclass
class StoreSource:
    """Where to find the store: a folder (with an engine to run it on) or a database URL."""

    data: Path | None = None
    db: str | None = None
    engine: str | None = None
    timezone: str | None = None
    mapping: TableMapping = DEFAULT_MAPPING
    custom_types: dict[str, object] = field(default_factory=dict)


def open_session(source: StoreSource) -> Session:
    if source.data is not None and source.db is not None:
        raise UsageError("give either --data (a folder) or --db (a database URL), not both")
    if source.db is not None:
        if source.engine not in (None, ""):
            raise UsageError("--engine applies to --data; with --db the URL names the engine")
        return SqlSession(source.db, mapping=source.mapping, timezone=source.timezone)
    if source.data is None:
        raise UsageError("no store given: use --data DIR or --db URL (or set `data` or `db` in "
                         "segdsl.toml)")
    engine = (source.engine or "duckdb").lower()
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {source.engine!r}; with --data the engines are "
                         f"{', '.join(ENGINES)} (use --db URL for PostgreSQL, MySQL or Spark)")
    store = read_folder(source.data, timezone=source.timezone or "UTC",
                        custom_types=source.custom_types)  # type: ignore[arg-type]
    if engine == "memory":
        return MemorySession(store)
    # ClickHouse runs in-process through chDB; Spark on a local master, in this process's
    # own session.
    url = "chdb:///:memory:" if engine == "clickhouse" else f"{engine}:///:memory:"
    return SqlSession(url, store=store, engine_name=engine)
