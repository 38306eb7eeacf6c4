"""What the editor may show from a workspace's store: each segment's count and last refresh
(the ``segdsl_segments`` table), the store's schema (its custom attributes, for the checker)
and the distinct values of the text fields completion offers.

A workspace is the nearest folder at or above a file that holds ``segdsl.toml``
(:func:`segdsl.workspace.open_workspace` reads it). Everything is read in one short connection
and kept: it is read again when the database file's modification time changes (DuckDB,
SQLite) or, for a server database, after :data:`TTL` seconds. Reading never waits for a lock
and never fails: a workspace without a store, or a store busy being refreshed, just has no
snapshot (tried again after :data:`RETRY` seconds).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from segdsl.catalog import FIELDS, FieldType, StoreSchema
from segdsl.config import CONFIG_NAME
from segdsl.engines import Engine, connect
from segdsl.errors import SegdslError
from segdsl.store.mapping import TableMapping
from segdsl.workspace import Workspace, open_workspace
from segdsl.workspace.db import StateDb
from segdsl.workspace.state import SegmentState, read_states

TTL = 30.0
RETRY = 5.0
MAX_VALUES = 500  # distinct values kept per field: completion lists, not exports
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    states: dict[str, SegmentState]  # by lower-cased segment name
    schema: StoreSchema
    values: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field name -> values
    money_scale: int = 2
    dialect: str = "duckdb"


def find_workspace(path: Path) -> Path | None:
    """The folder of the nearest ``segdsl.toml`` at or above ``path``."""
    for folder in [path, *path.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def _distinct(engine: Engine, table: str, column: str, mapping: TableMapping) -> tuple[str, ...]:
    rows = engine.query(f"SELECT DISTINCT {engine.quote(column)} FROM "
                        f"{engine.table_ref(table, mapping.schema)} WHERE "
                        f"{engine.quote(column)} IS NOT NULL")
    return tuple(sorted({str(r[0]) for r in rows})[:MAX_VALUES])


def read_snapshot(ws: Workspace) -> Snapshot:
    """One connection: the segment states, the schema and the distinct text values."""
    engine = connect(ws.url, create=False)
    try:
        mapping = ws.config.mapping
        info = engine.describe(mapping)
        states = {name.lower(): st for name, st in read_states(StateDb(engine)).items()}
        values: dict[str, tuple[str, ...]] = {}
        for f in FIELDS.values():  # the catalog says which fields are sets read from a table
            if f.type is FieldType.TEXT_SET and f.table and f.column and f.table in info.tables:
                values[f.name] = _distinct(engine, mapping.table(f.table),
                                           mapping.column(f.table, f.column), mapping)
        if "customers" in info.tables:
            for column, kind in info.custom.items():
                if kind is FieldType.TEXT:
                    values[f"custom.{column}".lower()] = _distinct(
                        engine, mapping.table("customers"), column, mapping)
        return Snapshot(states, info.schema(), values, info.money_scale, engine.dialect)
    finally:
        engine.close()


def _db_file(url: str) -> Path | None:
    for scheme in ("duckdb:///", "sqlite:///"):
        if url.startswith(scheme) and url[len(scheme):] not in ("", ":memory:"):
            return Path(url[len(scheme):])
    return None


@dataclass
class _Entry:
    snapshot: Snapshot | None
    stamp: float | None  # the database file's mtime when read
    read_at: float


class Stores:
    """The snapshot of each workspace, read lazily and cached."""

    def __init__(self) -> None:
        self._entries: dict[Path, _Entry] = {}
        self._workspaces: dict[Path, Workspace | None] = {}

    def workspace(self, file: Path) -> Workspace | None:
        root = find_workspace(file.parent)
        if root is None:
            return None
        if root not in self._workspaces:
            try:
                self._workspaces[root] = open_workspace(root)
            except SegdslError as err:
                log.info("segdsl workspace %s not usable: %s", root, err)
                self._workspaces[root] = None
        return self._workspaces[root]

    def forget_config(self) -> None:
        """segdsl.toml changed: read workspaces (and their stores) again."""
        self._workspaces.clear()
        self._entries.clear()

    def snapshot(self, file: Path) -> Snapshot | None:
        ws = self.workspace(file)
        if ws is None:
            return None
        db_file = _db_file(ws.url)
        try:
            stamp = db_file.stat().st_mtime if db_file is not None else None
        except OSError:
            return None  # no database yet (a new workspace)
        now = time.monotonic()
        entry = self._entries.get(ws.root)
        if entry is not None:
            age = now - entry.read_at
            fresh = (entry.stamp == stamp and (stamp is not None or age < TTL))
            if fresh and (entry.snapshot is not None or age < RETRY):
                return entry.snapshot
        try:
            snapshot: Snapshot | None = read_snapshot(ws)
        except SegdslError as err:  # no store in it yet, a refresh holding the lock, ...
            log.info("segdsl store of %s not read: %s", ws.root, err)
            snapshot = None
        self._entries[ws.root] = _Entry(snapshot, stamp, now)
        return snapshot
