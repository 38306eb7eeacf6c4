"""What the differential test (tests/test_differential.py) and its soak mode
(benchmarks/soak.py) share: the generated cases, the path a segment takes through parser and
checker, the memory evaluator's answers, and the comparison of an engine's answers with them.

A *case* is a random store and :data:`PER_STORE` segments (condition text, window text) drawn
for it by :mod:`strategies`. The memory evaluator gives the expected customer ids; an engine
whose ids differ for a segment yields a :class:`Disagreement`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from hypothesis import strategies as st
from strategies import AS_OF, segments, stores

from segdsl.check import check_condition
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.engines import connect, in_memory
from segdsl.runner import MemorySession, Session, SqlSession
from segdsl.store.model import Store
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
