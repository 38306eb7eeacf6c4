"""Golden SQL: the compiled text of every corpus segment, per dialect, kept in the repository.

``tests/golden/corpus.seg`` holds one segment per construct; ``tests/golden/<dialect>/<name>.sql``
holds what the compiler makes of it as of a fixed day. A change to the compiler that changes
any SQL shows up here as a diff to review, for the dialects that no engine in the test suite
runs as well as for those it does. Each golden file must also parse back with sqlglot in its
dialect and print again to the same text.

Regenerate after a deliberate change, then review ``git diff tests/golden``::

    SEGDSL_UPDATE_GOLDEN=1 .venv/bin/pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from segdsl.backends.sql import DIALECTS, to_sql
from segdsl.catalog import FIELDS, FieldType, Kind, StoreSchema
from segdsl.check import check_file
from segdsl.check.typed import And, CheckedSegment, Condition, InSegment, Not, Op, Or, Predicate
from segdsl.context import RunContext

GOLDEN = Path(__file__).parent / "golden"
CORPUS = GOLDEN / "corpus.seg"
UPDATE = os.environ.get("SEGDSL_UPDATE_GOLDEN") == "1"

# Fixed, so the text does not depend on the day the tests run.
CTX = RunContext(as_of=date(2024, 3, 31), timezone="UTC")
SCHEMA = StoreSchema(frozenset({"customers", "orders", "order_items", "products",
                                "product_collections"}),
                     {"tier": FieldType.TEXT, "score": FieldType.NUMBER,
                      "joined": FieldType.DATE, "first name": FieldType.TEXT})
GOLDEN_DIALECTS = tuple(DIALECTS)


@cache
def corpus() -> dict[str, CheckedSegment]:
    result = check_file(CORPUS.read_text(encoding="utf-8"), schema=SCHEMA, origin=str(CORPUS))
    if not result.ok:
        raise AssertionError(f"{CORPUS} does not check: {result.diagnostics}")
    return {seg.name: seg for seg in result.segments}


def compiled(segment: CheckedSegment, dialect: str) -> str:
    return to_sql(segment, CTX, dialect=dialect, pretty=True,
                  with_fields=segment.name.startswith("fields_")) + "\n"


def golden_path(dialect: str, name: str) -> Path:
    return GOLDEN / dialect / f"{name}.sql"


CASES = [(d, n) for d in GOLDEN_DIALECTS for n in corpus()]


def _diff(expected: str, actual: str, path: Path) -> str:
    lines = difflib.unified_diff(expected.splitlines(keepends=True),
                                 actual.splitlines(keepends=True),
                                 fromfile=f"{path} (golden)", tofile="compiled now")
    return "".join(lines)


@pytest.mark.parametrize(("dialect", "name"), CASES)
def test_matches_golden(dialect: str, name: str) -> None:
    path = golden_path(dialect, name)
    actual = compiled(corpus()[name], dialect)
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path} is missing; create it with SEGDSL_UPDATE_GOLDEN=1 pytest "
                    f"tests/test_golden.py")
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        pytest.fail(f"the compiled SQL differs from {path}; if the change is intended, "
                    f"regenerate with SEGDSL_UPDATE_GOLDEN=1\n{_diff(expected, actual, path)}",
                    pytrace=False)


def _undo_reader(tree: exp.Expr, dialect: str) -> exp.Expr:
    """Undo what sqlglot's readers normalise: SQLite reads ``SUBSTR`` as SUBSTRING (segdsl
    writes SUBSTR, which SQLite < 3.34 needs), and T-SQL reads DATEDIFF's arguments as
    time strings, printed ``CAST(... AS DATETIME2)``. Both mean what was written."""
    def undo(node: exp.Expr) -> exp.Expr:
        if dialect == "tsql" and isinstance(node, exp.TimeStrToTime) and \
                isinstance(node.parent, exp.DateDiff):
            return node.this
        if dialect == "sqlite" and isinstance(node, exp.Substring) and \
                node.args.get("length") is None:
            return exp.Anonymous(this="SUBSTR", expressions=[node.this, node.args["start"]])
        return node

    return tree.transform(undo)


@pytest.mark.parametrize(("dialect", "name"), CASES)
def test_golden_parses_back(dialect: str, name: str) -> None:
    """The dialect's own parser reads the golden text, and what it read prints (unpretty) as
    the compiler prints it, up to the reader's normalisations above."""
    path = golden_path(dialect, name)
    sql = path.read_text(encoding="utf-8")
    assert "LIKE" not in sql.upper()
    tree = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(tree, exp.Select)
    again = _undo_reader(tree, dialect).sql(dialect=dialect)
    flat = to_sql(corpus()[name], CTX, dialect=dialect, with_fields=name.startswith("fields_"))
    assert again == flat, _diff(flat + "\n", again + "\n", path)


def test_no_stale_golden_files() -> None:
    """Every golden file belongs to a corpus segment and a dialect in the golden set."""
    wanted = {golden_path(d, n) for d, n in CASES}
    present = set(GOLDEN.glob("*/*.sql"))
    stale = present - wanted
    if UPDATE:
        for path in stale:
            path.unlink()
        return
    assert not stale, f"golden files without a corpus segment: {sorted(map(str, stale))}"


def _conditions(c: Condition) -> Iterator[Condition]:
    yield c
    match c:
        case And() | Or():
            yield from _conditions(c.left)
            yield from _conditions(c.right)
        case Not():
            yield from _conditions(c.operand)


def test_corpus_covers_every_construct() -> None:
    """The corpus reads every catalog field, uses every operator and every custom type, and
    has NOT, AND, OR, windows and IN SEGMENT."""
    segments = list(corpus().values())
    nodes = [n for s in segments for n in _conditions(s.condition)]
    predicates = [n for n in nodes if isinstance(n, Predicate)]
    fields = {f for s in segments for f in s.fields}
    assert {f.name for f in FIELDS.values() if f.available} <= {f.name for f in fields}
    assert {f.type for f in fields if f.kind is Kind.CUSTOM} == {
        FieldType.TEXT, FieldType.NUMBER, FieldType.DATE}
    assert {p.op for p in predicates} == set(Op)
    for kind in (And, Or, Not, InSegment):
        assert any(isinstance(n, kind) for n in nodes), kind
    assert any(s.window.start is not None for s in segments)
    assert any(s.window.end is not None for s in segments)
    assert any(s.name.startswith("fields_") for s in segments)
