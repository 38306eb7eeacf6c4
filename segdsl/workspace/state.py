"""The segment store's own tables, next to the data (every name starts with ``segdsl_``).

- ``segdsl_segments``: one row per segment: name, title, kind, definition and its hash, the
  window it was last computed over, count, refreshed-at (ISO 8601 UTC), entered/left counts.
- ``segdsl_members``: (segment, customer_id) for every member.
- ``segdsl_changes``: who entered or left each segment at its last refresh.
- ``segdsl_history``: one row per segment per refresh: count, entered, left.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from segdsl.workspace.db import StateDb

SEGMENTS = "segdsl_segments"
MEMBERS = "segdsl_members"
CHANGES = "segdsl_changes"
HISTORY = "segdsl_history"

_KEY = "VARCHAR(255)"  # MySQL indexes need a bounded length
_DDL = {
    SEGMENTS: f"segment {_KEY} PRIMARY KEY, title TEXT, kind VARCHAR(16), definition TEXT, "
              "def_hash VARCHAR(64), window_desc VARCHAR(64), member_count BIGINT, "
              "refreshed_at VARCHAR(40), entered_count BIGINT, left_count BIGINT, "
              "data_load VARCHAR(64)",
    MEMBERS: f"segment {_KEY}, customer_id {_KEY}",
    CHANGES: f"segment {_KEY}, customer_id {_KEY}, change_kind VARCHAR(8)",
    HISTORY: f"segment {_KEY}, refreshed_at VARCHAR(40), member_count BIGINT, "
             "entered_count BIGINT, left_count BIGINT, def_hash VARCHAR(64)",
}


@dataclass(frozen=True)
class SegmentState:
    name: str
    title: str
    kind: str
    definition: str
    def_hash: str
    window: str
    count: int
    refreshed_at: datetime
    entered: int
    left: int
    data_load: str | None = None  # the data's load_id it was computed from (see StoreInfo)

    def stale_data(self, load_id: str | None) -> bool:
        """Computed from another load of the data than the current one (``load_id``)."""
        return load_id is not None and self.data_load != load_id


def _has_data_load(db: StateDb) -> bool:
    # Workspaces made before the column existed get it at their next refresh.
    return "data_load" in {c.lower() for c in db.columns(SEGMENTS)}


def ensure_tables(db: StateDb) -> None:
    existing = db.tables()
    for table, columns in _DDL.items():
        if table not in existing:
            db.create_table(table, columns, None if table == SEGMENTS else "segment")
    if not _has_data_load(db):
        db.execute(f"ALTER TABLE {SEGMENTS} ADD COLUMN data_load VARCHAR(64)")


def read_states(db: StateDb) -> dict[str, SegmentState]:
    if SEGMENTS not in db.tables():
        return {}
    load = "data_load" if _has_data_load(db) else "NULL"
    rows = db.execute(f"SELECT segment, title, kind, definition, def_hash, window_desc, "
                      f"member_count, refreshed_at, entered_count, left_count, {load} "
                      f"FROM {SEGMENTS}")
    return {str(r[0]): SegmentState(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]),
                                    str(r[5]), int(r[6]), datetime.fromisoformat(str(r[7])),
                                    int(r[8]), int(r[9]), None if r[10] is None else str(r[10]))
            for r in rows}


def read_members(db: StateDb, name: str) -> set[str]:
    if MEMBERS not in db.tables():
        return set()
    return {str(r[0]) for r in
            db.execute(f"SELECT customer_id FROM {MEMBERS} WHERE segment = ?", (name,))}


def read_changes(db: StateDb, name: str) -> tuple[list[str], list[str]]:
    if CHANGES not in db.tables():
        return [], []
    rows = db.execute(f"SELECT customer_id, change_kind FROM {CHANGES} WHERE segment = ?",
                      (name,))
    return (sorted(str(c) for c, k in rows if k == "entered"),
            sorted(str(c) for c, k in rows if k == "left"))


def read_history(db: StateDb, name: str) -> list[tuple[str, int, int, int]]:
    if HISTORY not in db.tables():
        return []
    rows = db.execute(f"SELECT refreshed_at, member_count, entered_count, left_count FROM "
                      f"{HISTORY} WHERE segment = ? ORDER BY refreshed_at", (name,))
    return [(str(a), int(b), int(c), int(d)) for a, b, c, d in rows]


def members_of(db: StateDb, names: Sequence[str]) -> dict[str, set[str]]:
    """The stored members of the segments ``names``, in one query."""
    out: dict[str, set[str]] = {name: set() for name in names}
    if not names:
        return out
    marks = ", ".join("?" * len(names))
    rows = db.execute(f"SELECT segment, customer_id FROM {MEMBERS} WHERE segment IN ({marks}) "
                      "ORDER BY segment", tuple(names))
    if not rows:
        return out
    segments, customers = zip(*rows, strict=True)  # sorted by segment: one slice each
    start = 0
    for segment, run in groupby(segments):
        end = start + len(list(run))
        out[str(segment)] = set(map(str, customers[start:end]))
        start = end
    return out


@dataclass(frozen=True)
class Update:
    state: SegmentState
    members: set[str]
    entered: set[str]
    left: set[str]


def write_segments(db: StateDb, updates: list[Update]) -> None:
    """Replace the segments' rows and last changes, append to their history, and bring their
    stored members up to date; runs in the caller's transaction.

    ``Update.entered``/``left`` must be the difference from the members stored now (read in
    the same transaction), so members are written by difference: an unchanged segment's
    members are not touched, one that only gained members gets the newcomers appended, and
    one that lost members has its members replaced. A statement per table, not per segment.
    """
    if not updates:
        return
    names = [u.state.name for u in updates]
    for table in (SEGMENTS, CHANGES):
        db.delete_in(table, "segment", names)
    shrunk = [u.state.name for u in updates if u.left]
    if shrunk:
        db.delete_in(MEMBERS, "segment", shrunk)
    rows: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    for u in updates:
        st = u.state
        stamp = st.refreshed_at.isoformat()
        rows.append((st.name, st.title, st.kind, st.definition, st.def_hash, st.window,
                     st.count, stamp, st.entered, st.left, st.data_load))
        history.append((st.name, stamp, st.count, st.entered, st.left, st.def_hash))
    db.insert_rows(SEGMENTS, rows)
    db.insert_rows(HISTORY, history)
    db.insert(MEMBERS, ["segment", "customer_id"],
              [(u.state.name, c) for u in updates
               for c in sorted(u.members if u.left else u.entered)])
    db.insert(CHANGES, ["segment", "customer_id", "change_kind"],
              [(u.state.name, c, kind) for u in updates
               for kind, ids in (("entered", u.entered), ("left", u.left)) for c in sorted(ids)])


def forget_segment(db: StateDb, name: str) -> None:
    """A segment whose definition is gone: its state goes, its history stays."""
    for table in (SEGMENTS, MEMBERS, CHANGES):
        db.delete_in(table, "segment", [name])
