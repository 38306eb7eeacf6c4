"""The parser: left-to-right grouping, spans, case-insensitivity, errors in words."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from segdsl.errors import SegmentError
from segdsl.syntax import ast, parse_condition, parse_file, parse_window


def shape(node: ast.Condition) -> str:
    """A fully parenthesised rendering of the tree, with comparisons by field name."""
    match node:
        case ast.BoolOp():
            return f"({shape(node.left)} {node.op} {shape(node.right)})"
        case ast.Not():
            return f"(not {shape(node.operand)})"
        case ast.Group():
            return shape(node.inner)
        case _:
            return node.field.name  # type: ignore[union-attr]


@pytest.mark.parametrize("ops", list(itertools.product(["AND", "OR"], repeat=3)))
def test_and_or_apply_left_to_right(ops: tuple[str, ...]) -> None:
    names = ["a", "b", "c", "d"]
    text = names[0] + " = 1"
    expected = "a"
    for name, op in zip(names[1:], ops, strict=True):
        text += f" {op} {name} = 1"
        expected = f"({expected} {op.lower()} {name})"
    assert shape(parse_condition(text)) == expected


def test_not_takes_the_next_comparison_or_group() -> None:
    assert shape(parse_condition("NOT a = 1 AND b = 1")) == "((not a) and b)"
    assert shape(parse_condition("NOT (a = 1 AND b = 1)")) == "(not (a and b))"
    assert shape(parse_condition("a = 1 OR NOT NOT b = 1")) == "(a or (not (not b)))"


def test_parentheses_group() -> None:
    assert shape(parse_condition("a = 1 AND (b = 1 OR c = 1)")) == "(a and (b or c))"


def test_keywords_and_fields_ignore_case() -> None:
    node = parse_condition('Orders BeTwEeN 1 aNd 3 and COUNTRY not IN ("x") or x Is NoT nUlL')
    assert shape(node) == "((Orders and COUNTRY) or x)"


def test_spans_are_exact_on_every_line() -> None:
    text = 'orders >= 3\n  AND country = "IN"'
    node = parse_condition(text)
    assert isinstance(node, ast.BoolOp)
    right = node.right
    assert isinstance(right, ast.Compare)
    span = right.field.span
    assert (span.line, span.column, span.end_column) == (2, 7, 14)
    assert text[span.start:span.end] == "country"
    assert text[node.op_span.start:node.op_span.end] == "AND"
    assert text[right.value.span.start:right.value.span.end] == '"IN"'


def test_literals() -> None:
    node = parse_condition('a IN (-5, 50.5, "x \\"q\\" \\\\", 2024-01-31, -30D, today, yesterday)')
    assert isinstance(node, ast.InList)
    values = node.values
    assert isinstance(values[0], ast.NumberLit) and values[0].value == Decimal("-5")
    assert isinstance(values[1], ast.NumberLit) and values[1].value == Decimal("50.5")
    assert isinstance(values[2], ast.StringLit) and values[2].value == 'x "q" \\'
    assert isinstance(values[3], ast.DateLit) and values[3].text == "2024-01-31"
    rel = values[4]
    assert isinstance(rel, ast.RelativeDateLit) and (rel.amount, rel.unit) == (-30, "d")
    assert [(v.amount, v.unit) for v in values[5:]] == [(0, "d"), (-1, "d")]  # type: ignore


def test_custom_fields_and_quoted_columns() -> None:
    node = parse_condition('custom."first name" = "A" AND custom.tier = "x" AND custom.from = 1')
    fields = []
    while isinstance(node, ast.BoolOp):
        fields.append(node.right.field)  # type: ignore[union-attr]
        node = node.left
    fields.append(node.field)  # type: ignore[union-attr]
    assert [(f.namespace, f.name) for f in reversed(fields)] == [
        ("custom", "first name"), ("custom", "tier"), ("custom", "from")]


def test_a_file_with_segments_comments_and_headers() -> None:
    text = """# two segments
segment vip "Very important" # trailing comment
  description "Spend a lot"
  window from -90d to today
  where amount_spent > 1000
SEGMENT lapsed "Lapsed"
  window to -1y
  WHERE orders >= 1 AND last_order_date < -1y
"""
    parsed = parse_file(text)
    assert [s.name for s in parsed.segments] == ["vip", "lapsed"]
    vip, lapsed = parsed.segments
    assert (vip.title, vip.description) == ("Very important", "Spend a lot")
    assert vip.window is not None and vip.window.start is not None
    assert lapsed.window is not None and lapsed.window.start is None
    assert lapsed.description is None
    assert vip.name_span.line == 2 and lapsed.span.line == 6


def test_window_on_its_own() -> None:
    w = parse_window("from 2024-01-01")
    assert w.end is None and isinstance(w.start, ast.DateLit)


BROKEN = [
    "", "orders", "orders >", "orders >= 3 AND", "(orders > 1", "orders > 1)", "orders = 'x'",
    'name = "open', "orders => 3", "orders > 3 3", "AND orders > 3", "orders IN (1,", "a.b.c = 1",
    "orders BETWEEN 1", 'name = "a\\n"', "segment x", "orders > 3 segment", "!", "a IS 5",
    "custom. = 1", "orders >= -", "x = 2024-13-01x",
]


@pytest.mark.parametrize("text", BROKEN)
def test_syntax_errors_speak_in_words(text: str) -> None:
    with pytest.raises(SegmentError) as info:
        parse_condition(text)
    diag = info.value.diagnostics[0]
    assert diag.code.startswith("E1")
    words = diag.message + " " + (diag.hint or "")
    assert not re.search(r"\b(IDENT|CMP_OP|REL_DATE|LPAR|RPAR|\$END|NUMBER|STRING)\b", words)
    assert diag.span is not None and 0 <= diag.span.start <= len(text)


def test_error_positions_point_at_the_problem() -> None:
    with pytest.raises(SegmentError) as info:
        parse_condition("orders > 3\nAND country = 'IN'")
    span = info.value.diagnostics[0].span
    assert span is not None and (span.line, span.column) == (2, 15)


def test_nesting_and_size_limits() -> None:
    with pytest.raises(SegmentError, match="nested more than"):
        parse_condition("(" * 500 + "a = 1" + ")" * 500)
    with pytest.raises(SegmentError, match="characters long"):
        parse_condition("a = 1 AND " * 200_000 + "a = 1")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list('orders aov=<>!()"\\-.0123456789ANDORNOTIN#\n,ç')),
               max_size=60))
def test_any_text_parses_or_gives_diagnostics(text: str) -> None:
    try:
        parse_condition(text)
    except SegmentError as err:
        assert err.diagnostics and err.diagnostics[0].span is not None


def test_names_may_use_letters_of_any_script() -> None:
    parsed = parse_file('segment café_été "Café" where orders > 1\n'
                        'segment größe "Größe" where IN SEGMENT café_été\n')
    assert [s.name for s in parsed.segments] == ["café_été", "größe"]
    with pytest.raises(SegmentError):
        parse_file('segment 9lives "Nine" where orders > 1\n')
