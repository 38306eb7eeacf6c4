"""What the differential test (tests/test_differential.py) and its soak mode
(benchmarks/soak.py) share: the generated cases, the path a segment takes through parser and
checker, the memory evaluator's answers, and the comparison of an engine's answers with them.

A *case* is a random store and :data:`PER_STORE` segments (condition text, window text) drawn
for it by :mod:`strategies`. The memory evaluator gives the expected customer ids; an engine
whose ids differ for a segment yields a :class:`Disagreement`, which :func:`save_case` writes
as a folder that ``segdsl run`` replays and that tests/test_regressions.py runs on every
engine once it is moved to tests/regressions/.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from hypothesis import strategies as st
from strategies import AS_OF, segments, stores

from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.config import load_config
from segdsl.context import RunContext
from segdsl.engines import connect, in_memory
from segdsl.runner import MemorySession, Session, SqlSession
from segdsl.store.model import Store
from segdsl.store.reader import read_folder
from segdsl.store.writer import write_folder
from segdsl.syntax.parser import parse_window

PER_STORE = 5
CTX = RunContext(as_of=AS_OF)

Segments = list[tuple[str, str | None]]
Case = tuple[Store, Segments]
Opener = Callable[[], AbstractContextManager[Session]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    store = draw(stores())
    return store, draw(segments(store, PER_STORE))


def checked(store: Store, text: str, window: str | None) -> CheckedSegment:
    """The segment through parser and checker, exactly as ``segdsl run --expr`` would."""
    win = parse_window(window) if window else None
    result = check_condition(text, schema=store.schema(), window=win)
    # The generator writes only well-typed conditions; a window whose bounds are drawn
    # independently may start after it ends (E219), which is a legitimate refusal.
    if any(d.code == "E219" for d in result.diagnostics):
        return check_condition(text, schema=store.schema()).segments[0]
    assert result.ok, (text, window, [(d.code, d.message) for d in result.diagnostics])
    return result.segments[0]


@dataclass(frozen=True)
class Expected:
    """A segment of a case and the customers the memory evaluator selects for it."""

    segment: CheckedSegment
    text: str
    window: str | None
    ids: list[str]


@dataclass(frozen=True)
class Disagreement:
    engine: str
    expected: Expected
    got: list[str]
    sql: str | None

    def message(self) -> str:
        e = self.expected
        return (f"{self.engine} disagrees with memory on {e.text!r} (window {e.window!r}): "
                f"{self.got} != {e.ids}")


def expected_answers(store: Store, segs: Segments) -> list[Expected]:
    memory = MemorySession(store)
    out = []
    for text, window in segs:
        seg = checked(store, text, window)
        out.append(Expected(seg, text, window, sorted(memory.customer_ids(seg, CTX))))
    return out


def disagreements(engine: str, session: Session, expected: list[Expected]) -> list[Disagreement]:
    """The segments on which ``session`` selects other customers than the memory evaluator."""
    found = []
    for e in expected:
        got = sorted(session.customer_ids(e.segment, CTX))
        if got != e.ids:
            found.append(Disagreement(engine, e, got, session.sql(e.segment, CTX)))
    return found


def embedded(dialect: str, store: Store) -> Opener:
    """One in-memory database per example: it is loaded and queried through one connection."""
    return lambda: SqlSession(f"{dialect}:///:memory:", store=store)


@contextmanager
def reloaded(url: str, store: Store) -> Iterator[Session]:
    """The database at ``url`` holding ``store`` (replacing the previous example's)."""
    with connect(url) as engine:
        engine.load(store, replace=True)
    session = SqlSession(url)
    try:
        yield session
    finally:
        session.close()


def opener(url: str, store: Store) -> Opener:
    """How to reach ``store`` in the database at ``url``: an in-memory database lives as long
    as its connection, so it is loaded through the session's own; any other is reloaded."""
    if in_memory(url):
        return lambda: SqlSession(url, store=store)
    return lambda: reloaded(url, store)


# --- saved cases: a disagreement as a folder, and back -------------------------------------------
SAVED_SEGMENT = "soak_case"


def save_case(out: Path, store: Store, e: Expected, engine: str, d: Disagreement | None,
              error: str | None) -> Path:
    """A folder that replays the example with ``segdsl run``: the store as CSV files, a
    segdsl.toml with its time zone and custom types, the segment as a .seg file, and
    case.json (engine, as-of day, expected and actual ids, the SQL that ran)."""
    out.mkdir(parents=True, exist_ok=True)
    n = 1 + sum(1 for p in out.iterdir() if p.name.startswith(f"{engine}-"))
    folder = out / f"{engine}-{n:04d}"
    write_folder(store, folder / "store")
    types = "\n".join(f'"{name}" = "{column.type}"'
                      for name, column in store.customers.custom.items())
    (folder / "segdsl.toml").write_text(f'data = "store"\ntimezone = "{store.timezone}"\n'
                                        f"[custom_types]\n{types}\n", encoding="utf-8")
    window = usable_window(store, e.text, e.window)
    lines = [f'segment {SAVED_SEGMENT} "Soak case"', *([f"  window {window}"] if window else []),
             f"  where {e.text}", ""]
    (folder / "segment.seg").write_text("\n".join(lines), encoding="utf-8")
    details = {"engine": engine, "as_of": CTX.as_of.isoformat(), "condition": e.text,
               "window": window, "expected": e.ids, "got": d.got if d else None,
               "sql": d.sql if d else None, "error": error}
    (folder / "case.json").write_text(json.dumps(details, ensure_ascii=False, indent=2) + "\n",
                                      encoding="utf-8")
    return folder


def usable_window(store: Store, text: str, window: str | None) -> str | None:
    """The window as the comparison used it: dropped when it starts after it ends (E219)."""
    if window is None:
        return None
    result = check_condition(text, schema=store.schema(), window=parse_window(window))
    return None if any(d.code == "E219" for d in result.diagnostics) else window


@dataclass(frozen=True)
class SavedCase:
    folder: Path
    store: Store
    segment: CheckedSegment
    ctx: RunContext
    expected: list[str]  # case.json's "expected": checked by hand before the folder is kept


def load_case(folder: Path) -> SavedCase:
    """A folder written by :func:`save_case`, read the way ``segdsl run --config`` reads it."""
    config = load_config(folder / "segdsl.toml")
    assert config.data is not None, folder
    store = read_folder(config.data, timezone=config.timezone or "UTC",
                        custom_types=config.custom_types)
    details = json.loads((folder / "case.json").read_text(encoding="utf-8"))
    result = check_file((folder / "segment.seg").read_text(encoding="utf-8"),
                        schema=store.schema())
    assert result.ok, (folder, [(d.code, d.message) for d in result.diagnostics])
    segment = next(s for s in result.segments if s.name == SAVED_SEGMENT)
    ctx = RunContext(as_of=date.fromisoformat(details["as_of"]))
    return SavedCase(folder, store, segment, ctx, sorted(details["expected"]))
