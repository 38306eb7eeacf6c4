"""Segment composition (`IN SEGMENT x`): syntax, resolution and its diagnostics, the typed AST,
and the same answers from every backend, engine and the command line.

The store is conftest's sample store, as of 2024-03-31 (its docstring lists the customers):

    recent   window from -30d        orders >= 1                        -> c1, c5
    big      (all orders)            amount_spent >= 30 AND aov > store_aov
                                     (store_aov = 141.63 / 7 = 20.23)   -> c4
    shirts   window to 2024-03-15    product_type = "shirt"             -> c1
    lapsed   (all orders)            NOT IN SEGMENT recent AND orders >= 1
                                     (c1, c2, c4, c5 minus c1, c5)      -> c2, c4
    mix      window from -30d        IN SEGMENT lapsed OR IN SEGMENT shirts AND orders = 0
                                     ((c2, c4, c1) and no order since 2024-03-01) -> c2, c4
    not_any  (all orders)            NOT IN SEGMENT mix AND NOT IN SEGMENT big
                                     (everyone but c2, c4)              -> c1, c3, c5, C1

`mix` reads `lapsed` and `shirts` over their own windows, not its own: over March `lapsed`
would be nobody (`recent` is everybody who ordered in March) and `shirts` would be c1.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlglot
from click.testing import CliRunner
from sqlglot import exp

from segdsl.backends.memory import evaluate, matches, prepare
from segdsl.backends.sql import DIALECTS, to_sql
from segdsl.check.checker import check_condition, check_file
from segdsl.check.library import SegmentLibrary
from segdsl.check.typed import CheckedSegment, InSegment, Not, walk
from segdsl.cli.main import cli
from segdsl.context import RunContext
from segdsl.engines import connect
from segdsl.errors import SegmentError
from segdsl.runner import MemorySession, Session, SqlSession
from segdsl.store.model import Store
from segdsl.store.writer import write_folder
from segdsl.syntax import ast
from segdsl.syntax.parser import parse_condition, parse_file

CTX = RunContext(as_of=date(2024, 3, 31))

FILE = """\
segment recent "Recent buyers"
  window from -30d
  where orders >= 1
segment big "Big spenders"
  where amount_spent >= 30 AND aov > store_aov
segment shirts "Shirt buyers"
  window to 2024-03-15
  where product_type = "shirt"
segment lapsed "Lapsed"
  where NOT IN SEGMENT recent AND orders >= 1
segment mix "Mix"
  window from -30d
  where IN SEGMENT lapsed OR IN SEGMENT shirts AND orders = 0
segment not_any "None of them"
  where NOT IN SEGMENT mix AND NOT IN SEGMENT big
"""

EXPECTED = {"recent": ["c1", "c5"], "big": ["c4"], "shirts": ["c1"], "lapsed": ["c2", "c4"],
            "mix": ["c2", "c4"], "not_any": ["C1", "c1", "c3", "c5"]}


def checked_file(source: str = FILE, **kw: object) -> list[CheckedSegment]:
    result = check_file(source, **kw)  # type: ignore[arg-type]
    assert result.ok, [(d.code, d.message) for d in result.diagnostics]
    return result.segments


def codes(result: object) -> list[tuple[str, str]]:
    return [(d.code, d.message) for d in result.diagnostics]  # type: ignore[attr-defined]


# --- syntax ----------------------------------------------------------------------------------

def test_in_segment_parses_with_spans() -> None:
    text = "orders >= 2 AND NOT IN SEGMENT champions"
    node = parse_condition(text)
    assert isinstance(node, ast.BoolOp) and isinstance(node.right, ast.Not)
    ref = node.right.operand
    assert isinstance(ref, ast.InSegment)
    assert (ref.name, ref.quoted) == ("champions", False)
    assert text[ref.span.start:ref.span.end] == "IN SEGMENT champions"
    assert text[ref.name_span.start:ref.name_span.end] == "champions"
    assert (ref.name_span.line, ref.name_span.column) == (1, 32)


def test_keywords_ignore_case_and_titles_are_strings() -> None:
    node = parse_condition('in Segment "Can\'t \\"Lose\\" Them" oR iN sEgMeNt x')
    assert isinstance(node, ast.BoolOp) and node.op == "or"
    left = node.left
    assert isinstance(left, ast.InSegment)
    assert (left.name, left.quoted) == ('Can\'t "Lose" Them', True)


def test_and_or_stay_left_to_right() -> None:
    node = parse_condition("IN SEGMENT a OR IN SEGMENT b AND orders > 1")
    assert isinstance(node, ast.BoolOp) and node.op == "and"
    assert isinstance(node.left, ast.BoolOp) and node.left.op == "or"


def test_in_segment_inside_a_file_does_not_swallow_the_next_segment() -> None:
    parsed = parse_file('segment a "A" where IN SEGMENT b\nsegment b "B" where orders > 1')
    assert [s.name for s in parsed.segments] == ["a", "b"]


@pytest.mark.parametrize("text,message", [
    ("IN SEGMENT", "expected a segment's name, or its title in double quotes"),
    ("IN SEGMENT 3", "unexpected `3`; expected a segment's name, or its title in double quotes"),
    ("IN champions", "unexpected `champions`; expected `segment`"),
    ("orders > 1 AND", "expected `not`, `(`, a field name or `in segment`"),
])
def test_syntax_errors_say_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(SegmentError) as err:
        parse_condition(text)
    assert message in err.value.diagnostics[0].message


# --- resolution and diagnostics --------------------------------------------------------------

def test_references_embed_the_checked_segment_with_its_own_window() -> None:
    segs = {s.name: s for s in checked_file()}
    mix = segs["mix"]
    assert [r.name for r in mix.references] == ["lapsed", "shirts"]
    assert mix.references[0] == segs["lapsed"] and mix.references[1] == segs["shirts"]
    assert mix.references[1].window != mix.window  # to 2024-03-15 vs from -30d
    # fields and walk describe this segment's own window only
    assert {f.name for f in mix.fields} == {"orders"}
    assert [p.field.name for p in walk(mix.condition)] == ["orders"]
    lapsed = segs["lapsed"].condition
    assert isinstance(lapsed.left, Not) and isinstance(lapsed.left.operand, InSegment)  # type: ignore[union-attr]


def test_a_segment_may_refer_to_one_defined_later() -> None:
    segs = checked_file('segment a "A" where IN SEGMENT b\nsegment b "B" where orders > 1')
    assert segs[0].references == [segs[1]]


def test_names_ignore_case_and_come_before_titles() -> None:
    source = ('segment champions "Recent" where orders > 5\n'
              'segment vip "Champions" where orders > 9\n'
              'segment a "A" where IN SEGMENT "CHAMPIONS" AND IN SEGMENT Champions\n'
              'segment b "B" where IN SEGMENT "recent"')
    segs = {s.name: s for s in checked_file(source)}
    assert [r.name for r in segs["a"].references] == ["champions", "champions"]
    assert [r.name for r in segs["b"].references] == ["champions"]


def test_unknown_segment_suggests_a_name_with_a_fix() -> None:
    source = 'segment champions "Champs" where orders > 5\nsegment a "A" where IN SEGMENT chamions'
    result = check_file(source)
    (d,) = result.diagnostics
    assert (d.code, d.message, d.hint) == ("E230", "no segment named `chamions`",
                                           "did you mean `champions`?")
    assert d.span is not None and source[d.span.start:d.span.end] == "chamions"
    assert (d.span.line, d.span.column) == (2, 32)
    assert d.fix is not None and d.fix.replacement == "champions"


def test_unknown_title_suggests_the_title_quoted() -> None:
    result = check_file('segment x "Can\'t Lose Them" where orders > 5\n'
                        'segment a "A" where IN SEGMENT "Cant Lose Them"')
    (d,) = result.diagnostics
    assert d.code == "E230" and d.hint == 'did you mean "Can\'t Lose Them"?'


def test_unknown_with_nothing_close_lists_the_segments() -> None:
    result = check_file('segment b "B" where orders > 1\nsegment a "A" where IN SEGMENT zzz')
    assert result.diagnostics[0].hint == "the segments known here are: a, b"


def test_a_bare_condition_without_a_library_knows_no_segments() -> None:
    result = check_condition("IN SEGMENT champions")
    (d,) = result.diagnostics
    assert d.code == "E230" and d.hint is not None and "no segments are known here" in d.hint


def test_a_bare_condition_resolves_against_a_library() -> None:
    library = SegmentLibrary(checked_file())
    result = check_condition('IN SEGMENT "shirt buyers" OR in segment BIG', library=library)
    assert result.ok
    assert [r.name for r in result.segments[0].references] == ["shirts", "big"]
    # any iterable of checked segments will do
    assert check_condition("IN SEGMENT big", library=checked_file()).ok


def test_the_file_shadows_the_library() -> None:
    library = SegmentLibrary(checked_file('segment big "Big" where orders > 100'))
    segs = checked_file('segment big "Mine" where orders > 1\nsegment a "A" where IN SEGMENT big',
                        library=library)
    assert segs[1].references[0].title == "Mine"


def test_a_title_shared_by_several_segments_is_ambiguous() -> None:
    result = check_file('segment a "Same" where orders > 1\nsegment b "Same" where orders > 2\n'
                        'segment c "C" where IN SEGMENT "same"')
    assert codes(result) == [("E232", '"same" is the title of several segments: `a`, `b`')]


def test_self_reference_is_a_cycle() -> None:
    result = check_file('segment a "A" where orders > 1 OR IN SEGMENT A')
    (d,) = result.diagnostics
    assert (d.code, d.message) == ("E231", "segment `a` refers to itself (a → a)")
    assert d.span is not None and (d.span.line, d.span.column) == (1, 46)


def test_cycles_are_spelled_out() -> None:
    result = check_file('segment a "A" where IN SEGMENT b\nsegment b "B" where IN SEGMENT a')
    assert codes(result) == [("E231", "segments refer to each other in a cycle: a → b → a")]
    result = check_file('segment a "A" where IN SEGMENT b\n'
                        'segment b "B" where orders > 1 AND IN SEGMENT c\n'
                        'segment c "C" where IN SEGMENT "A"\n'
                        'segment d "D" where IN SEGMENT b')
    assert codes(result) == [("E231", "segments refer to each other in a cycle: a → b → c → a")]
    assert result.segments == []


def test_diagnostics_stay_in_file_order() -> None:
    # `a` is checked only after `b`, which it refers to, but reports first.
    result = check_file('segment a "A" where ordrs > 1 AND IN SEGMENT b\n'
                        'segment b "B" where amount > 1')
    assert [(d.code, d.span.line if d.span else 0) for d in result.diagnostics] == [
        ("E201", 1), ("E201", 2)]


def test_a_reference_to_a_broken_segment_adds_no_error_of_its_own() -> None:
    result = check_file('segment a "A" where IN SEGMENT b\nsegment b "B" where ordrs > 1')
    assert [d.code for d in result.diagnostics] == ["E201"]


# --- every backend agrees --------------------------------------------------------------------

def test_memory_and_the_scalar_path(store: Store) -> None:
    ms = prepare(store)
    for seg in checked_file():
        assert evaluate(seg, ms, CTX) == EXPECTED[seg.name], seg.name
        one_by_one = sorted(c for c in store.customers.customer_id
                            if matches(seg, store, c, CTX))
        assert one_by_one == EXPECTED[seg.name], seg.name


def test_memory_shares_the_fields_of_a_window(store: Store) -> None:
    ms = prepare(store)
    segs = {s.name: s for s in checked_file()}
    evaluate(segs["not_any"], ms, CTX)  # three windows in play: at most two are kept
    assert len(ms.recent_fields) <= 2
    assert evaluate(segs["recent"], ms, CTX) == EXPECTED["recent"]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_parses_back(dialect: str) -> None:
    for seg in checked_file():
        sql = to_sql(seg, CTX, dialect=dialect)
        assert isinstance(sqlglot.parse_one(sql, read=dialect), exp.Select), seg.name


def test_nested_queries_have_their_own_names_and_no_order() -> None:
    segs = {s.name: s for s in checked_file()}
    sql = to_sql(segs["not_any"], CTX)
    # not_any -> mix (level 1) -> lapsed (level 2) -> recent (level 3)
    for level in (1, 2, 3):
        assert f'"segdsl_orders_{level}" AS (' in sql and f'"customers" AS "c_{level}"' in sql
    assert '"segdsl_store_1" AS (' in sql  # big reads store_aov
    assert sql.count("ORDER BY") == 1


def _check_sessions(session: Session) -> None:
    for seg in checked_file():
        assert sorted(session.customer_ids(seg, CTX)) == EXPECTED[seg.name], \
            (session.engine_name, seg.name)


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_embedded_engines(dialect: str, store: Store) -> None:
    with SqlSession(f"{dialect}:///:memory:", store=store) as session:
        _check_sessions(session)


def _loaded(url: str, store: Store) -> Iterator[Session]:
    with connect(url) as engine:
        engine.load(store, replace=True)
    with SqlSession(url) as session:
        yield session


@pytest.mark.postgres
def test_postgres(postgres_url: str, store: Store) -> None:
    for session in _loaded(postgres_url, store):
        _check_sessions(session)


@pytest.mark.mysql
def test_mysql(mysql_url: str, store: Store) -> None:
    for session in _loaded(mysql_url, store):
        _check_sessions(session)


def test_memory_session(store: Store) -> None:
    _check_sessions(MemorySession(store))


# --- command line ----------------------------------------------------------------------------

@pytest.fixture
def folder(store: Store, tmp_path: Path) -> Path:
    write_folder(store, tmp_path / "store")
    return tmp_path / "store"


@pytest.mark.parametrize("engine", ["memory", "duckdb", "sqlite"])
def test_run_a_file_whose_segments_refer_to_each_other(engine: str, folder: Path,
                                                        tmp_path: Path) -> None:
    seg_file = tmp_path / "s.seg"
    seg_file.write_text(FILE, encoding="utf-8")
    result = CliRunner().invoke(cli, ["run", str(seg_file), "--data", str(folder), "--engine",
                                      engine, "--as-of", "2024-03-31", "--format", "json"])
    assert result.exit_code == 0, result.output
    got = {s["segment"]: sorted(s["customer_ids"]) for s in json.loads(result.stdout)["segments"]}
    assert got == EXPECTED


def test_check_reports_unknown_and_cyclic_references(tmp_path: Path) -> None:
    seg_file = tmp_path / "s.seg"
    seg_file.write_text('segment a "A" where IN SEGMENT b\nsegment b "B" where IN SEGMENT a\n'
                        'segment c "C" where IN SEGMENT d\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(seg_file), "--format", "json"])
    assert result.exit_code == 2
    found = [(d["code"], d["message"]) for d in json.loads(result.stdout)["diagnostics"]]
    assert found == [("E231", "segments refer to each other in a cycle: a → b → a"),
                     ("E230", "no segment named `d`")]


def test_check_expr_knows_the_system_segments_and_suggests_them() -> None:
    assert CliRunner().invoke(cli, ["check", "--expr", "IN SEGMENT champions"]).exit_code == 0
    result = CliRunner().invoke(cli, ["check", "--expr", "IN SEGMENT champs"])
    assert result.exit_code == 2
    assert "E230" in result.stderr and "champions" in result.stderr


def test_a_file_segment_titled_like_a_library_one_is_the_one_meant() -> None:
    from segdsl.check.library import SegmentLibrary
    from segdsl.system import system_segments

    text = ('segment mine "Can\'t Lose Them" where orders >= 1\n'
            'segment user "User" where IN SEGMENT "can\'t lose them"\n')
    result = check_file(text, library=SegmentLibrary(system_segments()))
    assert result.ok, [d.message for d in result.diagnostics]
    user = result.segments[1]
    assert [s.name for s in user.references] == ["mine"]


# --- several files checked together (a workspace's CUSTOM segments) ---------------------------

def _found(files: dict[str, str]) -> list[tuple[str, str, str]]:
    from segdsl.check.files import check_files
    from segdsl.system import system_segments

    result = check_files(files, library=system_segments())
    return [(origin, d.code, d.message) for origin, r in result.files.items()
            for d in r.diagnostics]


def test_a_cycle_through_two_files_is_spelt_out_in_each() -> None:
    found = _found({"cyc.seg": 'segment a "A" where IN SEGMENT b',
                    "cyc2.seg": 'segment b "B" where orders > 1 and IN SEGMENT a'})
    # a is checked first, b while a is under way: b's reference to a closes the cycle, and
    # a's reference to b fails with b's reason.
    assert found == [
        ("cyc.seg", "E233", "segment `b` does not check (cyc2.seg line 1: segments refer to "
                            "each other in a cycle: a → b → a)"),
        ("cyc2.seg", "E231", "segments refer to each other in a cycle: a → b → a")]


def test_every_file_reports_its_own_diagnostics_and_good_files_check() -> None:
    from segdsl.check.files import check_files
    from segdsl.system import system_segments

    files = {"a.seg": 'segment ok_a "A" where orders > 1\nsegment uses "U" where IN SEGMENT b2',
             "b.seg": 'segment b2 "B" where ordrs > 1',
             "c.seg": 'segment typo "T" where IN SEGMENT champoins',
             "d.seg": 'segment fine "F" where IN SEGMENT ok_a AND IN SEGMENT champions'}
    result = check_files(files, library=system_segments())
    diags = {o: [(d.code, d.hint) for d in r.diagnostics] for o, r in result.files.items()}
    assert diags["b.seg"] == [("E201", "did you mean `orders`?")]
    assert diags["c.seg"] == [("E230", "did you mean `champions`?")]
    assert diags["a.seg"] == [("E233", "fix `b2` in b.seg first")]
    assert diags["d.seg"] == []
    assert [(o, s.name) for o, s in result.checked] == [("a.seg", "ok_a"), ("d.seg", "fine")]
    assert [r.name for r in result.refused] == ["uses", "b2", "typo"]
    fine = dict((s.name, s) for _, s in result.checked)["fine"]
    assert [r.name for r in fine.references] == ["ok_a", "champions"]


def test_names_are_unique_across_files_and_the_system_ones() -> None:
    found = _found({"a.seg": 'segment x "X" where orders > 1',
                    "b.seg": 'segment X "Again" where orders > 2\n'
                             'segment champions "Mine" where orders > 3'})
    assert found == [("b.seg", "E220", "a segment named `X` is already defined in a.seg "
                                       "(line 1)"),
                     ("b.seg", "E220", "a segment named `champions` is already a built-in "
                                       "segment")]


def test_a_reference_into_a_file_that_does_not_parse_says_so() -> None:
    found = _found({"a.seg": 'segment a "A" where IN SEGMENT b',
                    "b.seg": 'segment b "B" where orders >'})
    assert found[0] == ("a.seg", "E230", "no segment named `b` (note: b.seg has syntax "
                                         "errors, so its segments are not known)")
    assert found[1:] == [("b.seg", "E100", "the condition ends too early after `>`; expected a "
                                           "value (number, text, date) or a field")]
