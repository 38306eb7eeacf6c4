"""Bad input: valid segment texts mutated at random go through parse, check and compile (every
SQL dialect) and the memory evaluator, and through the command line. Each ends as checked
segments that compile and run, or as diagnostics with a code and a span inside the text; any
other exception fails the test, and the command line never prints a traceback.

The seeds are the shipped .seg files (examples/segments.seg, the SYSTEM rfm.seg) and generated
well-typed conditions; the mutations replace, insert and delete characters (non-ASCII, NUL,
lone surrogates, CR, quotes, parentheses, keywords), truncate, duplicate spans, nest in
parentheses and NOT around the limits, and splice in very long names, texts and numbers,
huge dates and relative dates.

Budget: ``SEGDSL_FUZZ_EXAMPLES`` (default 300) examples through the pipeline, a sixth of that
(at least 25) through the command line.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import sample_store
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import AS_OF, conditions

from segdsl.backends.memory import evaluate, prepare
from segdsl.backends.sql import DIALECTS, to_sql
from segdsl.check import check_condition, check_file
from segdsl.check.checker import CheckResult
from segdsl.check.library import SegmentLibrary
from segdsl.cli.main import cli
from segdsl.context import RunContext
from segdsl.errors import Diagnostic, SegmentError
from segdsl.store.writer import write_folder
from segdsl.system import system_segments, system_sources

sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

EXAMPLES = int(os.environ.get("SEGDSL_FUZZ_EXAMPLES", "300"))
CLI_EXAMPLES = max(25, EXAMPLES // 6)
SETTINGS = settings(deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
    HealthCheck.function_scoped_fixture])

ROOT = Path(__file__).resolve().parent.parent
FILE_SEEDS = [(ROOT / "examples" / "segments.seg").read_text(encoding="utf-8"),
              *system_sources().values()]
STORE = sample_store()
PREPARED = prepare(STORE)
LIBRARY = SegmentLibrary(system_segments())
CTX = RunContext(as_of=AS_OF, timezone=STORE.timezone)
CODE = re.compile(r"[EW][0-9]{3}")

# Characters and pieces a mutation splices in.
PIECES = ["\x00", "\ud800", "\udcff", "\r", "\n", "\r\n", "\t", '"', "\\", "\\q", "(", ")",
          "#", "'", "!", "=", "<", ">", ",", ".", "-", "9", "é", "Σ", "İ", "ß", "€", "\u200b",
          "\ufeff", "\U0001f642", " AND ", " OR ", " NOT ", " IN SEGMENT ", " in segment lost",
          " BETWEEN ", " IS NULL", "segment ", "where ", " window from ", "custom.", "()"]
# Very long or extreme values, at and around the limits.
EXTREMES = ["9" * 15, "9" * 16, "0." + "1" * 12, "0." + "1" * 13, "9" * 5000, "9" * 100_000,
            "-" + "9" * 30, "x" * 100_000, '"' + "x" * 100_000 + '"', "9999-12-31",
            "0001-01-01", "0000-01-01", "2024-02-30", "-99999999999d", "-1000y", "-1001y",
            "-365000d", "-" + "9" * 5000 + "d", "custom." + "c" * 5000, "ordrs" * 20_000]
DEPTHS = [1, 2, 39, 40, 41, 199, 200, 201, 1_000]


def _position(draw: st.DrawFn, text: str) -> int:
    """Anywhere; or at a boundary where a mutation does the most: around a token."""
    if text and draw(st.booleans()):
        boundaries = [m.start() for m in re.finditer(r"\b|[\"()#\s]", text)] or [0]
        return draw(st.sampled_from(boundaries))
    return draw(st.integers(0, len(text)))


@st.composite
def mutations(draw: st.DrawFn, text: str) -> str:
    kind = draw(st.sampled_from(["replace", "insert", "delete", "truncate", "duplicate",
                                 "nest", "extreme"]))
    at = _position(draw, text)
    if kind == "replace" and text:
        at = min(at, len(text) - 1)
        return text[:at] + draw(st.sampled_from(PIECES)) + text[at + 1:]
    if kind == "insert":
        return text[:at] + draw(st.sampled_from(PIECES)) + text[at:]
    if kind == "delete":
        end = draw(st.integers(at, min(len(text), at + 40)))
        return text[:at] + text[end:]
    if kind == "truncate":
        return text[:at]
    if kind == "duplicate":
        end = draw(st.integers(at, len(text)))
        return text[:end] + text[at:end] + text[end:]
    if kind == "nest":
        depth = draw(st.sampled_from(DEPTHS))
        where = text.lower().rfind("where ")
        head, body = (text[:where + 6], text[where + 6:]) if where >= 0 else ("", text)
        if draw(st.booleans()):
            return head + "(" * depth + body + ")" * depth
        return head + draw(st.sampled_from(["NOT ", "not NOT ", "NOT ("])) * depth + body
    # Replace the word at the position (a number, a name, a date...) by an extreme value.
    word = re.match(r"[\w.-]*", text[at:])
    end = at + (len(word.group()) if word else 0)
    return text[:at] + draw(st.sampled_from(EXTREMES)) + text[end:]


@st.composite
def mutated_texts(draw: st.DrawFn) -> tuple[str, bool]:
    """A mutated text, and whether it is read as a .seg file (else as a bare condition)."""
    if draw(st.booleans()):
        text, is_file = draw(st.sampled_from(FILE_SEEDS)), True
    else:
        text, is_file = draw(conditions()), False
    for _ in range(draw(st.integers(1, 4))):
        text = draw(mutations(text))
    # Sometimes the other way round: a file read as a condition, or a condition as a file.
    return text, is_file != draw(st.sampled_from([False, False, False, True]))


def check_text(text: str, is_file: bool) -> CheckResult:
    if is_file:
        return check_file(text, schema=STORE.schema(), library=LIBRARY)
    return check_condition(text, schema=STORE.schema(), library=LIBRARY)


def assert_is_a_good_diagnostic(d: Diagnostic, text: str) -> None:
    assert CODE.fullmatch(d.code), d
    assert d.message and d.span is not None, d
    s = d.span
    assert 0 <= s.start <= s.end <= len(text), (d, len(text))
    # Lines and columns agree with the offsets (1-based, counted in characters).
    assert s.line == text.count("\n", 0, s.start) + 1, d
    assert s.column == s.start - (text.rfind("\n", 0, s.start) + 1) + 1, d
    assert s.end_line >= s.line, d
    assert isinstance(d.render(text, "<fuzz>"), str)


def through_pipeline(text: str, is_file: bool) -> CheckResult:
    """Check; then every segment compiles for every dialect and runs in memory."""
    result = check_text(text, is_file)
    if not result.ok:
        assert any(d.is_error for d in result.diagnostics)
        for d in result.diagnostics:
            assert_is_a_good_diagnostic(d, text)
        assert SegmentError(result.diagnostics, text).render()
        return result
    for d in result.diagnostics:  # warnings
        assert_is_a_good_diagnostic(d, text)
    for seg in result.segments:
        for dialect in DIALECTS:
            assert "SELECT" in to_sql(seg, CTX, dialect=dialect, money_scale=STORE.money_scale)
        ids = evaluate(seg, PREPARED, CTX)
        assert set(ids) <= set(STORE.customers.customer_id)
    return result


@settings(SETTINGS, max_examples=EXAMPLES)
@given(case=mutated_texts())
def test_mutated_segments_give_segments_or_diagnostics(case: tuple[str, bool]) -> None:
    through_pipeline(*case)


def test_the_seeds_themselves_check_and_compile() -> None:
    # The mutations start from valid texts: were the seeds refused, the test would prove little.
    for seed in FILE_SEEDS:
        assert through_pipeline(seed, True).ok


# --- regressions found by the fuzzer, each at the stage that now refuses it ---------------------

@pytest.mark.parametrize(("text", "code"), [
    # compiled to SQL: int() of more than 4,300 digits raised ValueError
    ("orders > " + "9" * 5000, "E218"),
    ("aov > 0." + "0" * 5000 + "1", "E218"),
    ("days_since_last_order < -" + "9" * 5000 + ".5", "E218"),
    ("amount_spent < 1" + "0" * 38, "E218"),
    # resolving the relative date overflowed the calendar (OverflowError, ValueError)
    ("first_order_date > -99999999999d", "E218"),
    ("last_order_date < -3000000d", "E218"),
    ("custom.joined > -9999y", "E218"),
    ("last_order_date > -" + "9" * 5000 + "d", "E218"),  # the parser's int() raised
    # NUL and lone surrogates reached the databases' drivers
    ('name = "a\x00b"', "E108"),
    ('name CONTAINS "\udcff"', "E108"),
])
def test_values_no_engine_takes_are_refused_by_the_checker(text: str, code: str) -> None:
    result = check_condition(text, schema=STORE.schema())
    assert [d.code for d in result.diagnostics] == [code]
    assert_is_a_good_diagnostic(result.diagnostics[0], text)


AT_THE_VALUE_LIMITS = [
    "aov > 999999999999999.999999999999", "aov < 999999999999999.999999999999",
    "amount_spent < -999999999999999", "amount_spent > -999999999999999.999999999999",
    "aov >= 0.000000000001", "aov > 10.333333333333", "store_aov < 999999999999999",
    "custom.score < 999999999999999.999999999999", "custom.score > -999999999999999",
    "days_since_last_order > -999999999999999.5", "orders < 999999999999999",
    "recency_score <= 999999999999999.999999999999", "first_order_date > -1000y",
    "last_order_date >= -12000m", "custom.joined < -52000w",
    "first_order_date BETWEEN -365000d AND today"]


def test_at_the_value_limits_every_dialect_compiles() -> None:
    for text in AT_THE_VALUE_LIMITS:
        assert through_pipeline(text, False).ok, text


def _agree_at_the_limits(url: str) -> None:
    from agreement import opener

    segments = [check_condition(t, schema=STORE.schema()).segments[0]
                for t in AT_THE_VALUE_LIMITS]
    with opener(url, STORE)() as session:
        for text, seg in zip(AT_THE_VALUE_LIMITS, segments, strict=True):
            assert sorted(session.customer_ids(seg, CTX)) == evaluate(seg, PREPARED, CTX), text


@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_at_the_value_limits_the_engines_agree_with_memory(dialect: str) -> None:
    _agree_at_the_limits(f"{dialect}:///:memory:")


@pytest.mark.postgres
def test_at_the_value_limits_postgres_agrees(postgres_url: str) -> None:
    _agree_at_the_limits(postgres_url)


@pytest.mark.mysql
def test_at_the_value_limits_mysql_agrees(mysql_url: str) -> None:
    _agree_at_the_limits(mysql_url)


@pytest.mark.parametrize(("text", "code"), [
    ("NOT " * 200_000 + "orders > 1", "E107"),  # took 20 s to parse before it was refused
    ("orders > 1 AND " * 60_000 + "orders > 1", "E106"),  # took 40 s
    ('name = "(" OR ' * 60_000 + "orders > 1", "E106"),
    ("(" * 100 + ")" * 900_000, "E107"),
    ("(orders > 1) AND " * 50_000 + "(" * 201, "E105"),
])
def test_a_megabyte_past_the_limits_is_refused_before_parsing(text: str, code: str) -> None:
    result = check_condition(text)
    assert [d.code for d in result.diagnostics] == [code]
    assert_is_a_good_diagnostic(result.diagnostics[0], text)


def test_parentheses_in_texts_and_comments_do_not_count() -> None:
    text = 'segment s "S" # ' + "(" * 300 + '\n  where name = "' + "(" * 300 + '"\n'
    assert check_file(text).ok


# --- the command line ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def data_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-store")
    write_folder(STORE, folder)
    return folder


def assert_clean_exit(result: object, allowed: tuple[int, ...] = (0, 2)) -> None:
    from click.testing import Result

    assert isinstance(result, Result)
    out = result.stdout + result.stderr
    assert result.exit_code in allowed, out
    assert "Traceback" not in out and "internal error" not in out, out
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    if result.exit_code == 2:
        # A refusal says why: on stderr, or in the JSON document `check --format json` prints.
        assert result.stderr.strip() or json.loads(result.stdout)["diagnostics"], out


@settings(SETTINGS, max_examples=CLI_EXAMPLES)
@given(case=mutated_texts(), engine=st.sampled_from(["memory", "duckdb", "sqlite"]),
       fmt=st.sampled_from(["text", "json"]))
def test_the_command_line_never_prints_a_traceback(data_folder: Path, case: tuple[str, bool],
                                                   engine: str, fmt: str) -> None:
    text, _ = case
    runner = CliRunner()
    checked = runner.invoke(cli, ["check", "--expr", text, "--format", fmt])
    assert_clean_exit(checked)
    if fmt == "json":
        assert json.loads(checked.stdout)["ok"] is (checked.exit_code == 0)
    assert_clean_exit(runner.invoke(cli, ["run", "--expr", text, "--data", str(data_folder),
                                          "--engine", engine, "--as-of", AS_OF.isoformat(),
                                          "--format", fmt]))


def test_a_relative_date_outside_the_calendar_is_a_clear_error(data_folder: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--expr", "last_order_date > -1d", "--data",
                                      str(data_folder), "--as-of", "0001-01-01"])
    assert_clean_exit(result, (2,))
    assert "-1d counted from the as-of day 0001-01-01 falls outside the calendar" in \
        result.stderr


def _segdsl() -> str:
    return str(Path(sys.executable).parent / "segdsl")


def test_bytes_that_are_not_utf8_on_a_real_command_line(tmp_path: Path) -> None:
    # Python reads them as lone surrogates; they used to reach the engines' drivers.
    for args in ([b"check", b"--expr", b'name = "\xff"'],
                 [b"check", b"--expr", b'name = "\xff"', b"--format", b"json"]):
        done = subprocess.run([_segdsl().encode(), *args], capture_output=True, timeout=120)
        assert done.returncode == 2, done
        assert b"Traceback" not in done.stderr and b"E108" in done.stdout + done.stderr
    bad_name = tmp_path / os.fsdecode(b"bad\xff.seg")
    bad_name.write_text('segment s "S" where orders > 1\n', encoding="utf-8")
    done = subprocess.run([_segdsl(), "check", str(bad_name), "--format", "json"],
                          capture_output=True, timeout=120)
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done
