"""Refreshing segments: which are due, computing them (one query per window), and writing
members, counts and history in one transaction.

Rules: a SYSTEM segment is due when it is older than the workspace's interval; a CUSTOM one
only when named or with ``all``; a new or changed definition (hash) always, and one computed
from data loaded before the current data (``load --replace``) always; a named one always.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import compress
from typing import Any, Protocol

from segdsl.backends.sql.batch import batch_sql
from segdsl.errors import SegdslError, SegmentError, UsageError
from segdsl.workspace import Workspace
from segdsl.workspace.db import StateDb, open_engine, pause_for_tests
from segdsl.workspace.definitions import SYSTEM, Definition, workspace_definitions
from segdsl.workspace.state import (
    SegmentState,
    Update,
    ensure_tables,
    forget_segment,
    members_of,
    read_states,
    write_segments,
)


class Progress(Protocol):
    def start(self, total: int) -> None: ...

    def advance(self, label: str) -> None: ...


class _Silent:
    def start(self, total: int) -> None:
        pass

    def advance(self, label: str) -> None:
        pass


@dataclass
class Refreshed:
    name: str
    kind: str
    reason: str
    count: int
    previous: int | None
    entered: list[str]
    left: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "reason": self.reason,
                "count": self.count, "previous_count": self.previous,
                "entered": self.entered, "left": self.left}


@dataclass
class RefreshReport:
    refreshed: list[Refreshed] = field(default_factory=list)
    up_to_date: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    windows: int = 0  # queries run: one per distinct window
    next_due: datetime | None = None  # when the oldest SYSTEM segment is due again
    # CUSTOM segments that do not check (left as they were), and their files' diagnostics.
    refused: list[str] = field(default_factory=list)
    problems: list[SegmentError] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"refreshed": [r.to_json() for r in self.refreshed],
                "up_to_date": self.up_to_date, "removed": self.removed,
                "queries": self.windows,
                "next_due": self.next_due.isoformat() if self.next_due else None,
                "refused": self.refused,
                "errors": [{"file": p.origin, "diagnostics": [d.to_json() for d in p.diagnostics]}
                           for p in self.problems]}


def _reason(d: Definition, state: SegmentState | None, named: set[str], all_: bool,
            now: datetime, interval: timedelta, load_id: str | None) -> str | None:
    if d.name.lower() in named:
        return "named"
    if state is None:
        return "new"
    if state.def_hash != d.hash:
        return "definition changed"
    if state.stale_data(load_id):
        return "data reloaded"
    if all_:
        return "--all"
    if d.kind == SYSTEM and now - state.refreshed_at >= interval:
        return f"older than {_span(interval)}"
    return None


def _span(t: timedelta) -> str:
    seconds = int(t.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _window_text(bounds: tuple[date | None, date]) -> str:
    start, end = bounds
    return f"{start.isoformat()} to {end.isoformat()}" if start else f"up to {end.isoformat()}"


def refresh(ws: Workspace, names: Sequence[str] = (), *, all_: bool = False,
            now: datetime | None = None, progress: Progress | None = None) -> RefreshReport:
    """Refresh the due segments of ``ws`` (see the module's rules); all or nothing."""
    now = now or datetime.now(UTC)
    progress = progress or _Silent()
    engine = open_engine(ws.url)
    try:
        info = engine.describe(ws.config.mapping)  # before the transaction: it rolls back
        info.require_store(f"the workspace database ({ws.url})", ws.config.mapping)
        # A file with errors does not stop the rest: what checks is refreshed, the refused
        # segments keep their state, and the caller reports the files' diagnostics.
        found = workspace_definitions(ws.segments_dir, info.schema())
        defs = found.definitions
        known = {d.name.lower() for d in defs}
        refused = {n.lower() for n in found.refused}
        unknown = [n for n in names if n.lower() not in known | refused]
        if unknown and not found.complete:
            raise found.error()  # the name may be in a file that does not parse
        if unknown:
            raise UsageError(f"no segment named {', '.join(map(repr, unknown))}; the segments "
                             f"are {', '.join(d.name for d in defs)}")
        ctx = ws.context()
        db = StateDb(engine)
        report = RefreshReport(refused=found.refused, problems=found.problems)
        with db.transaction(exclusive=True):
            ensure_tables(db)
            states = read_states(db)  # read under the lock: the previous refresh is whole
            named = {n.lower() for n in names}
            todo = [(d, r) for d in defs
                    if (r := _reason(d, states.get(d.name), named, all_, now, ws.interval,
                                     info.load_id))]
            report.up_to_date = [d.name for d in defs if d.name not in {t.name for t, _ in todo}]
            groups: dict[tuple[date | None, date], list[tuple[Definition, str]]] = {}
            for d, r in todo:
                groups.setdefault(ctx.window_bounds(d.segment.window), []).append((d, r))
            progress.start(len(groups) + 1)
            before = members_of(db, [d.name for d, _ in todo])
            updates: list[Update] = []
            for bounds, group in groups.items():
                members = _compute(db, [d for d, _ in group], ctx, ws, info.money_scale)
                report.windows += 1
                progress.advance(f"window {_window_text(bounds)}")
                for (d, reason), ids in zip(group, members, strict=True):
                    update, done = _diff(d, reason, ids, before.get(d.name, set()),
                                         states.get(d.name), _window_text(bounds), now,
                                         info.load_id)
                    updates.append(update)
                    report.refreshed.append(done)
            write_segments(db, updates)
            progress.advance("writing")
            for name in states:
                # Only a definition known to be gone: not a refused one, nor any while a file
                # that does not parse may hold it.
                if name.lower() not in known | refused and found.complete:
                    forget_segment(db, name)
                    report.removed.append(name)
            pause_for_tests("inside the refresh transaction")
        report.next_due = _next_due(defs, states, report, now, ws.interval)
        return report
    finally:
        engine.close()


def _compute(db: StateDb, defs: list[Definition], ctx: Any, ws: Workspace,
             money_scale: int) -> list[set[str]]:
    """Every segment's members from one query over the shared window."""
    sql = batch_sql([d.segment for d in defs], ctx, dialect=db.dialect,
                    mapping=ws.config.mapping, money_scale=money_scale)
    rows = db.execute(sql)
    if not rows:
        return [set() for _ in defs]
    ids, *flags = zip(*rows, strict=True)  # column-wise: one C-level pass per segment
    keys = list(map(str, ids))
    return [set(compress(keys, column)) for column in flags]  # the flags are 0 or 1


def _diff(d: Definition, reason: str, members: set[str], before: set[str],
          old: SegmentState | None, window: str, now: datetime, load_id: str | None
          ) -> tuple[Update, Refreshed]:
    entered, left = members - before, before - members
    seg = d.segment
    state = SegmentState(seg.name, seg.title, d.kind, d.text, d.hash, window, len(members), now,
                         len(entered), len(left), load_id)
    return (Update(state, members, entered, left),
            Refreshed(seg.name, d.kind, reason, len(members), old.count if old else None,
                      sorted(entered), sorted(left)))


def _next_due(defs: list[Definition], states: dict[str, SegmentState], report: RefreshReport,
              now: datetime, interval: timedelta) -> datetime | None:
    fresh = {r.name for r in report.refreshed}
    times = [now if d.name in fresh else states[d.name].refreshed_at
             for d in defs if d.kind == SYSTEM and (d.name in fresh or d.name in states)]
    return min(times) + interval if times else None


def watch(ws: Workspace, stop: threading.Event, on_report: Callable[[RefreshReport], None],
          on_error: Callable[[SegdslError], None]) -> None:
    """Keep the SYSTEM segments fresh until ``stop`` is set (a signal handler sets it)."""
    while not stop.is_set():
        try:
            report = refresh(ws)
            on_report(report)
            wait = ((report.next_due - datetime.now(UTC)).total_seconds()
                    if report.next_due else ws.interval.total_seconds())
        except SegdslError as err:  # a broken .seg file or an unreachable database: retry
            on_error(err)
            wait = min(ws.interval.total_seconds(), 60.0)
        stop.wait(max(wait, 0.2))
