"""The checker: typed AST out, or diagnostics with codes, exact spans, hints and fixes."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from segdsl.catalog import FIELDS, FieldType, Kind, StoreSchema
from segdsl.check import check_condition, check_file
from segdsl.check import typed as t
from segdsl.errors import Fix

STORE = StoreSchema(frozenset({"customers", "orders"}),
                    {"tier": FieldType.TEXT, "score": FieldType.NUMBER, "joined": FieldType.DATE,
                     "first name": FieldType.TEXT})
FULL = StoreSchema(frozenset({"customers", "orders", "order_items", "products",
                              "product_collections"}), {})


def codes(text: str, schema: StoreSchema | None = STORE) -> list[str]:
    return [d.code for d in check_condition(text, schema=schema).diagnostics]


def only(text: str, schema: StoreSchema | None = STORE) -> t.Condition:
    result = check_condition(text, schema=schema)
    assert result.ok, [d.message for d in result.diagnostics]
    return result.segments[0].condition


@pytest.mark.parametrize("text,code", [
    ('orders = "three"', "E210"),
    ("last_order_date > 5", "E210"),
    ("amount_spent > 2024-01-01", "E210"),
    ("country = 5", "E210"),
    ('country > "IN"', "E213"),
    ('product_type > "a"', "E213"),
    ('name BETWEEN "a" AND "b"', "E213"),
    ("last_order_date = 2024-02-30", "E211"),
    ("first_order_date IN (2023-02-29)", "E211"),
    ("country IN ()", "E212"),
    ('orders CONTAINS "1"', "E214"),
    ("name CONTAINS 5", "E210"),
    ("aov > orders", "E215"),
    ("product_type = country", "E216"),
    ("orders IN (1, aov)", "E217"),
    ("ordrs > 3", "E201"),
    ("tier = 'x'", "E101"),
    ('custom.tierr = "gold"', "E202"),
    ('foo.bar = "x"', "E201"),
])
def test_refusals_have_stable_codes(text: str, code: str) -> None:
    assert code in codes(text, STORE if "product_type" not in text else FULL)


def test_unknown_field_suggests_and_offers_a_fix() -> None:
    diag = check_condition("ordrs > 3").diagnostics[0]
    assert diag.message == "unknown field `ordrs`"
    assert diag.hint == "did you mean `orders`?"
    assert diag.span is not None and (diag.span.start, diag.span.end) == (0, 5)
    assert diag.fix is not None and diag.fix.replacement == "orders"


def test_a_custom_attribute_without_its_prefix_is_pointed_at() -> None:
    diag = check_condition('tier = "gold"', schema=STORE).diagnostics[0]
    assert diag.code == "E201" and diag.fix is not None
    assert diag.fix.replacement == "custom.tier"


def test_missing_tables_are_named() -> None:
    diag = check_condition('product_type = "mug"', schema=STORE).diagnostics[0]
    assert diag.code == "E401"
    assert "`order_items` and `products`" in diag.message
    diag = check_condition('collection = "x"', schema=STORE).diagnostics[0]
    assert "`order_items` and `product_collections`" in diag.message


def test_several_errors_are_all_reported() -> None:
    assert codes('ordrs > 3 AND country > "x" OR aov = "y"') == ["W301", "E201", "E213",
                                                                  "E210"]


def test_mixing_and_or_warns_with_the_grouping_and_a_fix() -> None:
    text = 'orders >= 3 AND aov > 50 OR country = "IN"'
    result = check_condition(text)
    assert result.ok
    (diag,) = result.diagnostics
    assert diag.code == "W301"
    assert '(orders >= 3 AND aov > 50) OR country = "IN"' in diag.message
    assert diag.span is not None and text[diag.span.start:diag.span.end] == "OR"
    assert diag.fix is not None
    fixed = text[:diag.fix.span.start] + diag.fix.replacement + text[diag.fix.span.end:]
    again = check_condition(fixed)
    assert again.ok and again.diagnostics == []
    assert again.segments[0].condition == result.segments[0].condition


def test_no_warning_when_the_grouping_is_explicit_or_unmixed() -> None:
    assert codes("(orders > 1 AND aov > 2) OR aov < 1") == []
    assert codes("orders > 1 AND aov > 2 AND aov < 9") == []


def test_negative_forms_are_rewritten_by_definition() -> None:
    cond = only('country != "GB"')
    assert isinstance(cond, t.Not) and isinstance(cond.operand, t.Predicate)
    assert cond.operand.op is t.Op.IN
    cond = only('custom.tier NOT IN ("a", "B")')
    assert isinstance(cond, t.Not) and isinstance(cond.operand, t.Predicate)
    assert [a.value for a in cond.operand.args] == ["a", "b"]  # type: ignore[union-attr]
    cond = only("aov IS NOT NULL")
    assert isinstance(cond, t.Not)


def test_text_values_are_folded_and_countries_expanded() -> None:
    cond = only('country = "United Kingdom"')
    assert isinstance(cond, t.Predicate)
    values = {a.value for a in cond.args}  # type: ignore[union-attr]
    assert {"gb", "gbr", "united kingdom"} <= values
    cond = only('name STARTS WITH "ÉL"')
    assert isinstance(cond, t.Predicate) and cond.args == (t.Const("él"),)


def test_unknown_country_is_plain_text_with_a_warning() -> None:
    result = check_condition('country IN ("GB", "Narnia")')
    assert result.ok and [d.code for d in result.diagnostics] == ["W302"]
    cond = result.segments[0].condition
    assert isinstance(cond, t.Predicate) and t.Const("narnia") in cond.args


def test_literals_take_the_field_type() -> None:
    cond = only("aov BETWEEN 10 AND 20.5")
    assert isinstance(cond, t.Predicate)
    assert cond.args == (t.Const(Decimal("10")), t.Const(Decimal("20.5")))
    cond = only("custom.joined > 2024-02-29")
    assert isinstance(cond, t.Predicate) and cond.args == (t.Const(date(2024, 2, 29)),)
    cond = only("last_order_date >= -3M")
    assert isinstance(cond, t.Predicate) and cond.args == (t.RelativeDate(-3, "m"),)


def test_custom_attributes_match_without_regard_to_case() -> None:
    cond = only('CUSTOM.Tier = "x" AND custom."FIRST NAME" = "y"')
    assert isinstance(cond, t.And)
    assert isinstance(cond.right, t.Predicate) and cond.right.field.column == "first name"


def test_without_a_store_custom_attributes_take_the_value_type() -> None:
    cond = only("custom.anything > 3", schema=None)
    assert isinstance(cond, t.Predicate) and cond.field.type is FieldType.NUMBER


def test_every_catalog_field_is_usable_with_is_null() -> None:
    for name, f in FIELDS.items():
        if f.available:
            only(f"{name} IS NULL", schema=FULL)


def test_rfm_fields_are_in_the_catalog_and_available() -> None:
    rfm = {f.name: f for f in FIELDS.values() if f.kind is Kind.RFM_SCORE}
    assert set(rfm) == {"recency_score", "frequency_score", "monetary_score"}
    assert all(f.available and f.type is FieldType.NUMBER for f in rfm.values())
    assert only("recency_score BETWEEN 4 AND 5 AND monetary_score > frequency_score")


def test_a_reserved_field_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """E203 stays for names reserved for a later version (none at the moment)."""
    import dataclasses

    from segdsl import catalog

    reserved = dataclasses.replace(catalog.FIELDS["orders"], name="future", available=False)
    monkeypatch.setattr(catalog, "FIELDS", {**catalog.FIELDS, "future": reserved})
    assert "E203" in codes("future = 5")


def test_files_check_every_segment_and_names_are_unique() -> None:
    text = ('segment a "A" where orders > 1\n'
            'segment b "B" window from 2024-02-01 to 2024-01-01 where ordrs > 1\n'
            'segment A "Again" where orders > 2\n')
    result = check_file(text)
    assert [d.code for d in result.diagnostics] == ["E219", "E201", "E220"]
    assert not result.ok and result.segments == []


def test_a_file_checks_to_segments_with_windows() -> None:
    text = 'segment a "A" description "d" window from -30d where orders > 1\n'
    (seg,) = check_file(text).segments
    assert (seg.name, seg.title, seg.description) == ("a", "A", "d")
    assert seg.window == t.Window(t.RelativeDate(-30, "d"), None)


def test_long_conditions_are_limited_not_crashing() -> None:
    many = " AND ".join(["orders > 1"] * 1200)
    assert codes(many) == ["E106"]
    fine = " OR ".join(["orders > 1"] * 450)
    assert check_condition(fine).ok


def _apply(text: str, fixes: list[Fix]) -> str:
    for fix in sorted(fixes, key=lambda f: f.span.start, reverse=True):
        text = text[:fix.span.start] + fix.replacement + text[fix.span.end:]
    return text


@pytest.mark.parametrize("text, reading", [
    ("orders = 1 OR orders = 2 AND aov > 5 OR orders = 0",
     "((orders = 1 OR orders = 2) AND aov > 5) OR orders = 0"),
    ("orders = 1 AND orders = 2 AND aov > 5 OR orders = 0 OR aov < 1 AND orders > 2",
     "((orders = 1 AND orders = 2 AND aov > 5) OR orders = 0 OR aov < 1) AND orders > 2"),
    ("NOT orders = 1 OR aov > 2 AND NOT (orders = 2 AND aov > 5 OR orders = 0)",
     "(NOT orders = 1 OR aov > 2) AND NOT ((orders = 2 AND aov > 5) OR orders = 0)"),
])
def test_a_mixed_chain_gets_one_warning_with_the_whole_reading(text: str, reading: str) -> None:
    result = check_condition(text)
    outer = [d for d in result.diagnostics if d.code == "W301" and reading in d.message]
    assert len(outer) == 1
    # Every W301 fix of the outermost chain covers its whole text, so applying it alone
    # leaves nothing to warn about and the same meaning.
    assert outer[0].fix is not None
    fixed = _apply(text, [outer[0].fix])
    again = check_condition(fixed)
    assert again.ok and [d.code for d in again.diagnostics] == []
    assert again.segments[0].condition == result.segments[0].condition
    # No two W301 of the same chain: warnings are one per parenthesised level.
    spans = [(d.fix.span.start, d.fix.span.end) for d in result.diagnostics
             if d.code == "W301" and d.fix is not None]
    assert len(spans) == len(set(spans))


@pytest.mark.parametrize(("clauses", "clause", "line", "column", "end_column", "first"), [
    ('  window from -30d\n  description "x"\n  window from -1y\n', "window", 4, 3, 18, 2),
    ('  description "one"\n  window to -1d\n  description "two"\n', "description", 4, 3, 20, 2),
])
def test_a_repeated_clause_is_refused_at_the_second_one(clauses: str, clause: str, line: int,
                                                        column: int, end_column: int,
                                                        first: int) -> None:
    source = 'segment a "A"\n' + clauses + "  where orders > 1\n"
    [d] = check_file(source).diagnostics
    assert (d.code, d.message, d.hint) == (
        "E221", f"a second `{clause}` clause in this segment (the first is on line {first})",
        f"remove one: a segment has at most one `{clause}`")
    assert d.span is not None
    assert (d.span.line, d.span.column, d.span.end_line, d.span.end_column) == (
        line, column, line, end_column)
