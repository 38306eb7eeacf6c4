"""The formatter (segdsl/syntax/format.py) and `segdsl fmt`."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from segdsl.check import typed
from segdsl.check.checker import check_condition, check_file
from segdsl.cli.main import cli
from segdsl.syntax.format import format_condition, format_document, format_source
from tests.strategies import RELATIVE, comparisons, conditions, quote

ROOT = Path(__file__).resolve().parents[1]


# --- golden cases ------------------------------------------------------------------------

GOLDEN = [
    # keywords and fields lower-case, one space around operators
    ('SEGMENT Vip "VIP" WHERE Orders>=3', 'segment Vip "VIP"\n  where orders >= 3\n'),
    # clauses in canonical order, indented
    ('segment a "A" window FROM -30D to TODAY description "d" where aov>1',
     'segment a "A"\n  description "d"\n  window from -30d to today\n  where aov > 1\n'),
    ('segment a "A" window to 2024-01-31 where aov>1',
     'segment a "A"\n  window to 2024-01-31\n  where aov > 1\n'),
    # custom columns keep their spelling; quoted ones stay quoted; strings re-escaped
    ('segment a "say \\"hi\\"" where CUSTOM.Tier = "x\\\\y" and custom."first name" is not null',
     'segment a "say \\"hi\\""\n'
     '  where custom.Tier = "x\\\\y" and custom."first name" is not null\n'),
    # numbers and dates as written
    ('segment a "A" where aov >= 10.50 and first_order_date < 2024-01-01',
     'segment a "A"\n  where aov >= 10.50 and first_order_date < 2024-01-01\n'),
    # one blank line between segments
    ('segment a "A" where orders > 1\n\n\n\nsegment b "B" where IN SEGMENT a',
     'segment a "A"\n  where orders > 1\n\nsegment b "B"\n  where in segment a\n'),
    # every comparison form
    ('segment a "A" where country NOT IN ("GB","IE") or name STARTS   WITH "a" or email '
     'ENDS WITH "b" or phone CONTAINS "1" or orders BETWEEN 1 AND 2 or not phone IS NULL '
     'or in segment "Big \\"B\\""',
     'segment a "A"\n  where country not in ("GB", "IE")\n    or name starts with "a"\n'
     '    or email ends with "b"\n    or phone contains "1"\n    or orders between 1 and 2\n'
     '    or not phone is null\n    or in segment "Big \\"B\\""\n'),
]


@pytest.mark.parametrize(("source", "expected"), GOLDEN)
def test_golden(source: str, expected: str) -> None:
    assert format_source(source) == expected
    assert format_source(expected) == expected


@pytest.mark.parametrize(("source", "expected"), [
    ("a = 1 AND b = 2 OR c = 3", "(a = 1 and b = 2) or c = 3"),
    ("a = 1 AND b = 2 OR c = 3 AND d = 4", "((a = 1 and b = 2) or c = 3) and d = 4"),
    ("a = 1 OR (b = 2 AND c = 3)", "a = 1 or (b = 2 and c = 3)"),  # needed: kept
    ("((a = 1))", "((a = 1))"),  # redundant: kept too (never changes the meaning)
    ("NOT NOT a = 1", "not not a = 1"),
    ("NOT (a = 1 OR b = 2) AND c IN ()", "not (a = 1 or b = 2) and c in ()"),
])
def test_conditions(source: str, expected: str) -> None:
    assert format_condition(source) == expected


def test_mixed_and_or_gets_the_parentheses_w301_asks_for() -> None:
    source = 'orders >= 3 AND aov > 50 OR country = "IN" AND NOT aov < 1 OR orders = 9'
    assert any(d.code == "W301" for d in check_condition(source).diagnostics)
    out = format_condition(source)
    assert out == ('(((orders >= 3 and aov > 50) or country = "IN") and not aov < 1) '
                   'or orders = 9')
    checked = check_condition(out)
    assert checked.ok and not any(d.code == "W301" for d in checked.diagnostics)
    assert checked.segments[0].condition == check_condition(source).segments[0].condition


def test_long_conditions_break_before_and_or() -> None:
    source = ('segment a "A" where (recency_score = 3 and frequency_score = 1 and '
              'monetary_score = 1 or recency_score = 2) and frequency_score <= 2 and '
              'country = "GB"')
    assert format_source(source) == (
        'segment a "A"\n'
        '  where ((recency_score = 3 and frequency_score = 1 and monetary_score = 1)\n'
        '        or recency_score = 2)\n'
        '    and frequency_score <= 2\n'
        '    and country = "GB"\n')


# --- comments ----------------------------------------------------------------------------

COMMENTED = '''\
# File header

# About a
SEGMENT a "A"   # trailing header
  # above the description
  description "d"  # trailing description
  where orders >= 1  # first
    AND (aov > 2   # inside a group
      OR aov < 1)
    # above the last line
    AND country IN ("GB",  # in a list
                    "IE")
# About b, right after a
segment b "B" where in segment a # b's where

# The end
'''

COMMENTED_OUT = '''\
# File header

# About a
segment a "A"  # trailing header
  # above the description
  description "d"  # trailing description
  where orders >= 1  # first
    and (aov > 2 or aov < 1)  # inside a group
    # above the last line
    and country in ("GB", "IE")  # in a list

# About b, right after a
segment b "B"
  where in segment a  # b's where

# The end
'''


def test_comments_keep_their_place() -> None:
    assert format_source(COMMENTED) == COMMENTED_OUT
    assert format_source(COMMENTED_OUT) == COMMENTED_OUT


def test_comments_sharing_a_line_are_kept_in_order() -> None:
    out = format_condition("a = 1 AND (b = 2 # one\n OR c = 3) # two")
    assert out == "a = 1 and (b = 2 or c = 3)  # one  # two"
    # A comment between top-level parts breaks the condition before each AND/OR.
    assert format_condition("a = 1 # one\n AND b = 2") == "a = 1  # one\n  and b = 2"
    assert format_condition("a = 1 AND b = 2 # end") == "a = 1 and b = 2  # end"
    assert format_condition(out) == out


def test_a_file_of_comments_only() -> None:
    assert format_source("# just this\n\n\n# and this  \n") == "# just this\n\n# and this\n"
    assert format_source("") == ""


# --- line ends, Unicode, errors ----------------------------------------------------------

def test_crlf_input_keeps_crlf() -> None:
    source = 'segment a "A"  # c\r\n  WHERE orders > 1\r\n\r\n\r\nsegment b "B" where aov > 1\r\n'
    out = format_source(source)
    assert out == ('segment a "A"  # c\r\n  where orders > 1\r\n\r\nsegment b "B"\r\n'
                   '  where aov > 1\r\n')
    assert "\n" not in out.replace("\r\n", "")
    assert format_source(out) == out


def test_unicode() -> None:
    source = 'segment café "Café « été »" where NAME = "Zoë" AND custom.Größe = 3 # ü'
    assert format_source(source) == ('segment café "Café « été »"\n'
                                     '  where name = "Zoë" and custom.Größe = 3  # ü\n')
    # İ lower-cases to i + a combining dot, which is no identifier: kept as written
    assert format_condition("İx = 1") == "İx = 1"


def test_text_that_does_not_parse_is_returned_unchanged() -> None:
    bad = 'segment a "A" where orders >'
    result = format_document(bad)
    assert result.text == bad and not result.ok
    assert result.diagnostics[0].code == "E100"
    assert format_source(bad) == bad
    assert format_condition("a = ") == "a = "


# --- properties --------------------------------------------------------------------------

def _plain(cond: typed.Condition) -> object:
    """A condition with each referenced segment reduced to its meaning (the embedded checked
    segment also holds its source text, which formatting changes)."""
    match cond:
        case typed.InSegment(segment=seg):
            return ("in segment", seg.name, seg.window, _plain(seg.condition))
        case typed.Not(operand=o):
            return ("not", _plain(o))
        case typed.And(left=lhs, right=rhs):
            return ("and", _plain(lhs), _plain(rhs))
        case typed.Or(left=lhs, right=rhs):
            return ("or", _plain(lhs), _plain(rhs))
    return cond


def _meaning(source: str) -> list[tuple[object, ...]]:
    result = check_file(source)
    assert result.ok, [d.message for d in result.diagnostics]
    return [(s.name, s.title, s.description, s.window, _plain(s.condition))
            for s in result.segments]


_titles = st.sampled_from(['Big "B"', "back\\slash", "Café", "", "a # not a comment", "x"])
_bounds = st.sampled_from([*RELATIVE, "2024-01-31", "2023-12-01"])
_comment = st.sampled_from(["", "", " # note", "  #", " # with \"quotes\" and # more"])
_space = st.sampled_from([" ", "  ", "\n  ", "\n\t"])


@st.composite
def seg_files(draw: st.DrawFn) -> str:
    out = [draw(st.sampled_from(["", "# header\n", "# header\n\n"]))]
    for i in range(draw(st.integers(1, 3))):
        cond = draw(conditions())
        # Comments and line breaks inside the condition (between comparisons only, so never
        # inside a string).
        cond = re.sub(r" (AND|OR|and|Or) (?=\(|NOT|[a-z])",
                      lambda m: f"{draw(_comment)}\n    {m.group(1)} ", cond)
        if i and draw(st.booleans()):
            cond = f"{cond} {draw(st.sampled_from(['AND', 'OR']))} " \
                f"{draw(st.sampled_from(['', 'NOT ']))}IN SEGMENT s{draw(st.integers(0, i - 1))}"
        keyword = draw(st.sampled_from(["segment", "SEGMENT", "Segment"]))
        parts = [f"{keyword} s{i} {quote(draw(_titles))}{draw(_comment)}\n"]
        if draw(st.booleans()):
            parts.append(f"  description {quote(draw(_titles))}{draw(_comment)}\n")
        window = draw(st.sampled_from(["", "from", "to", "both"]))
        if window == "from":
            parts.append(f"  window from {draw(_bounds)}\n")
        elif window == "to":
            parts.append(f"  window to {draw(_bounds)}\n")
        elif window == "both":
            parts.append(f"  WINDOW FROM {draw(_bounds)} TO {draw(_bounds)}\n")
        parts.append(f"  where{draw(_space)}{cond}{draw(_comment)}\n")
        out.append("".join(parts) + draw(st.sampled_from(["", "\n", "\n\n# between\n"])))
    return "".join(out)


PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@PROPERTY
@given(seg_files())
def test_formatting_keeps_the_meaning_and_is_idempotent(source: str) -> None:
    assume(check_file(source).ok)
    out = format_source(source)
    assert _meaning(out) == _meaning(source)
    assert format_source(out) == out
    assert not any(d.code == "W301" for d in check_file(out).diagnostics)
    code_of = functools.partial(re.sub, r'"(\\.|[^"\\\r\n])*"', '""')  # no # in strings
    for comment in re.findall(r"#[^\r\n]*", code_of(source)):
        assert comment.rstrip() in code_of(out)


@PROPERTY
@given(st.one_of(conditions(), comparisons()))
def test_condition_formatting_keeps_the_meaning(source: str) -> None:
    before = check_condition(source)
    assume(before.ok)
    out = format_condition(source)
    after = check_condition(out)
    assert after.ok and after.segments[0].condition == before.segments[0].condition
    assert format_condition(out) == out


# --- segdsl fmt --------------------------------------------------------------------------

def _fmt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["fmt", *args])
    return result.exit_code, result.output


def test_shipped_files_are_formatted() -> None:
    code, out = _fmt("--check", str(ROOT / "examples"), str(ROOT / "segdsl" / "system"))
    assert code == 0, out


def test_fmt_rewrites_checks_and_diffs(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    messy = tmp_path / "sub" / "a.seg"
    messy.write_text('SEGMENT a "A" WHERE orders>1', encoding="utf-8")
    tidy = tmp_path / "b.seg"
    tidy.write_text('segment b "B"\n  where orders > 1\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a segment file", encoding="utf-8")

    code, out = _fmt("--check", str(tmp_path))
    assert code == 1 and f"would reformat {messy}" in out and str(tidy) not in out
    code, out = _fmt("--diff", str(tmp_path))
    assert code == 0 and '+  where orders > 1' in out
    assert messy.read_text(encoding="utf-8") == 'SEGMENT a "A" WHERE orders>1'
    code, out = _fmt("--check", "--format", "json", str(tmp_path))
    assert code == 1 and json.loads(out)["changed"] == [str(messy)]

    code, out = _fmt(str(tmp_path))
    assert code == 0 and f"reformatted {messy}" in out
    assert messy.read_text(encoding="utf-8") == 'segment a "A"\n  where orders > 1\n'
    assert _fmt("--check", str(tmp_path))[0] == 0


def test_fmt_refuses_text_that_does_not_parse(tmp_path: Path) -> None:
    bad = tmp_path / "bad.seg"
    bad.write_text('segment a "A" where', encoding="utf-8")
    code, out = _fmt(str(bad))
    assert code == 2 and "E100" in out
    assert bad.read_text(encoding="utf-8") == 'segment a "A" where'
    code, out = _fmt("--format", "json", str(bad))
    assert code == 2 and json.loads(out)["files"][0]["diagnostics"][0]["code"] == "E100"
    assert _fmt(str(tmp_path / "missing.seg"))[0] == 2


def test_fmt_help() -> None:
    code, out = _fmt("--help")
    assert code == 0 and "--check" in out and "--diff" in out


def test_a_repeated_clause_is_not_formatted_away() -> None:
    text = 'segment a "A"\n  window from -30d\n  window from -1y\n  where orders > 1\n'
    result = format_document(text)
    assert not result.ok and result.text == text  # left as it is, not one window dropped
    assert [d.code for d in result.diagnostics] == ["E221"]
