"""The SQL compiler: structure, every operator per type, left-to-right grouping, dialects."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
import sqlglot
from sqlglot import exp

from segdsl.backends.sql import DIALECTS, EXECUTED, GENERATED, compile_segment, to_sql
from segdsl.backends.sql.fields import KINDS
from segdsl.backends.sql.predicates import split_decimal
from segdsl.catalog import FieldType, Kind, StoreSchema
from segdsl.check import check_condition
from segdsl.check.typed import CheckedSegment, Const, Window
from segdsl.context import RunContext
from segdsl.engines import Engine, connect
from segdsl.errors import UsageError
from segdsl.store.mapping import TableMapping
from segdsl.store.model import Store

CTX = RunContext(as_of=date(2024, 3, 31))
SCHEMA = StoreSchema(frozenset({"customers", "orders", "order_items", "products",
                                "product_collections"}),
                     {"tier": FieldType.TEXT,
                      "score": FieldType.NUMBER,
                      "joined": FieldType.DATE})

# Every operator on every type, plus field-vs-field forms.
CONDITIONS = [
    "orders = 3", "orders < 3", "orders <= 3", "orders > 2.5", "orders >= 3",
    "orders between 1 and 2", "orders in (1, 2)", "orders is null", "orders != 3",
    "amount_spent = 0.3", "amount_spent > aov", "aov > 10.33", "aov in (10, 10.33)",
    "aov between store_aov and 100", "aov is not null", "aov != store_aov",
    "first_order_date < 2024-01-01", "last_order_date >= -30d", "last_order_date in (-1w, today)",
    "last_order_date between 2024-01-01 and -1m", "first_order_date = last_order_date",
    "days_since_last_order > 27.5", "days_since_last_order = 28", "days_since_last_order <= 0",
    "days_since_last_order in (1, 2.5)", "days_since_last_order between 1 and 9",
    "days_since_last_order > orders", "days_since_last_order is null",
    'name = "x"', 'name != "x"', 'name in ("a", "b")', 'name not in ("a")',
    'name contains "a%"', 'name starts with "a_"', 'name ends with "é"', 'name contains ""',
    "name is null", "name = email", 'country = "GB"',
    'product_type = "shirt"', 'product_type in ("a", "b")', 'product_type contains "x"',
    'product_type starts with "x"', 'product_type ends with "x"', "product_type is null",
    'collection = "sale"', "collection is not null",
    'custom.tier = "gold"', 'custom.tier contains "o"', "custom.score > 2",
    "custom.score = 0.57", "custom.score < orders", "custom.score between 1 and orders",
    "custom.joined < 2024-01-01", "custom.joined is null", "custom.joined < first_order_date",
    "custom.tier = name",
    "recency_score >= 4", "frequency_score between 2 and 3", "monetary_score in (1, 5)",
    "monetary_score != 3", "recency_score is null", "frequency_score > orders",
    "monetary_score < 2.5",
]


def segment(text: str) -> CheckedSegment:
    result = check_condition(text, schema=SCHEMA)
    assert result.ok, result.diagnostics
    return result.segments[0]


def test_every_kind_is_implemented() -> None:
    assert set(KINDS) == set(Kind)


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("text", CONDITIONS)
def test_parses_back(text: str, dialect: str) -> None:
    sql = to_sql(segment(text), CTX, dialect=dialect, with_fields=True)
    parsed = sqlglot.parse_one(sql, read=dialect)
    assert isinstance(parsed, exp.Select)
    assert "LIKE" not in sql.upper()


def test_dialect_lists() -> None:
    assert len(DIALECTS) == 11 and set(EXECUTED) | set(GENERATED) == set(DIALECTS)
    with pytest.raises(UsageError, match="duckdb"):
        to_sql(segment("orders > 1"), CTX, dialect="oracle")


def test_returns_a_select_ordered_by_customer() -> None:
    select = compile_segment(segment("orders > 1"), CTX)
    assert isinstance(select, exp.Select)
    assert [s.alias_or_name for s in select.expressions] == ["customer_id"]
    assert select.args["order"] is not None
    with_fields = compile_segment(segment("orders > 1"), CTX, with_fields=True)
    assert [s.alias_or_name for s in with_fields.expressions] == [
        "customer_id", "orders", "amount_spent", "aov", "first_order_date", "last_order_date",
        "days_since_last_order"]


def test_rfm_ctes_only_when_a_score_is_read() -> None:
    assert "segdsl_rfm" not in to_sql(segment("orders > 1"), CTX)
    sql = to_sql(segment("recency_score > 3"), CTX)
    assert "segdsl_rank" in sql and "segdsl_rfm" in sql and "RANK() OVER" in sql
    assert "/" not in sql  # the score's floor is taken by comparisons, never by dividing


def test_store_cte_only_when_store_aov_is_read() -> None:
    assert "segdsl_store" not in to_sql(segment("aov > 1"), CTX)
    assert "segdsl_store" in to_sql(segment("aov > store_aov"), CTX)


def test_identifiers_quoted_and_mapped() -> None:
    mapping = TableMapping(tables={"orders": "order", "customers": "group"},
                           columns={"orders": {"ordered_at": "created"}}, schema="shop")
    sql = to_sql(segment('product_type = "x" and name = "y"'), CTX, mapping=mapping)
    assert '"shop"."order" AS "o"' in sql and '"shop"."group" AS "c"' in sql
    assert '"o"."created"' in sql and "ordered_at" not in sql
    assert '"shop"."products" AS "p"' in sql
    for ident in re.findall(r'(?<![\w"])([a-z_]+)\.', sql.replace("'", "")):
        pytest.fail(f"unquoted qualified name {ident!r} in {sql}")


def test_exact_money_cross_multiplies() -> None:
    sql = to_sql(segment("aov > 10.33"), CTX, dialect="postgres")
    assert "/" not in sql.split("WHERE", 1)[1]
    assert "DECIMAL(38, 0)" in sql
    assert "DECIMAL" not in to_sql(segment("aov > 10.33"), CTX, dialect="sqlite")


def test_sqlite_has_no_left_or_right() -> None:
    for text in ('name ends with "x"', 'name starts with "x"', "orders > 1"):
        sql = to_sql(segment(text), CTX, dialect="sqlite", with_fields=True)
        assert not re.search(r"\b(LEFT|RIGHT)\(", sql), sql


def test_mysql_compares_binary() -> None:
    sql = to_sql(segment('name = "résumé" and name ends with "é"'), CTX, dialect="mysql")
    # LOWER(REPLACE(.., 'İ', ..)): İ is lowered as Python does (see Rules.dotted_i).
    folded = "LOWER(REPLACE(`c`.`name`, 'İ', 'i\u0307'))"
    assert f"CAST({folded} AS BINARY) = CAST('résumé' AS BINARY)" in sql
    assert f"RIGHT(CAST({folded} AS BINARY), 2)" in sql  # 'é' is two bytes


def test_clickhouse_uses_utf8_functions() -> None:
    sql = to_sql(segment('name contains "é"'), CTX, dialect="clickhouse")
    assert "lowerUTF8(" in sql and "positionUTF8(" in sql


def test_tsql_is_binary_and_space_sensitive() -> None:
    sql = to_sql(segment('name = "a"'), CTX, dialect="tsql")
    assert "COLLATE Latin1_General_100_BIN2" in sql and "N'a|'" in sql


def test_split_decimal() -> None:
    assert split_decimal(Decimal("10.33")) == (1033, 2)
    assert split_decimal(Decimal("-0.5")) == (-5, 1)
    assert split_decimal(Decimal("1E+3")) == (1000, 0)
    assert split_decimal(Decimal("12345678901234567890123456789.5")) == (
        123456789012345678901234567895, 1)


def test_days_since_rewrites_to_dates() -> None:
    sql = to_sql(segment("days_since_last_order > 27.5"), CTX)
    assert "\"last_date\" <= CAST('2024-03-03' AS DATE)" in sql  # days >= 28
    assert "DATE_DIFF" not in sql.split("WHERE", 1)[1]
    assert "FALSE" in to_sql(segment("days_since_last_order = 1.5"), CTX)


# --- results ---------------------------------------------------------------------------------

@pytest.fixture(params=EXECUTED[:2])
def engine(request: pytest.FixtureRequest, store: Store) -> Iterator[Engine]:
    with connect(f"{request.param}:///:memory:") as e:
        e.load(store)
        yield e


def ids(engine: Engine, text: str, window: Window | None = None) -> list[str]:
    seg = check_condition(text, schema=engine.describe().schema()).segments[0]
    if window:
        seg = dataclasses.replace(seg, window=window)
    return [r[0] for r in engine.query(to_sql(seg, CTX, dialect=engine.dialect))]


def test_every_condition_runs(engine: Engine) -> None:
    for text in CONDITIONS:
        ids(engine, text)


def test_left_to_right_grouping(engine: Engine) -> None:
    # a AND b OR c AND d means ((a AND b) OR c) AND d
    a, b, c, d = "orders >= 1", "amount_spent > 50", 'name = "resume"', 'custom.tier = "gold"'
    assert ids(engine, f"{a} and {b} or {c} and {d}") == ["c5"]
    assert ids(engine, f"(({a} and {b}) or {c}) and {d}") == ["c5"]
    assert ids(engine, f"({a} and {b}) or ({c} and {d})") == ["c4", "c5"]
    # a OR b AND c means (a OR b) AND c
    assert ids(engine, 'orders = 0 or orders = 1 and name = "resume"') == ["c5"]
    assert ids(engine, 'not (orders = 0 or orders = 1) and name is not null') == ["c1", "c2"]


def test_not_is_two_valued(engine: Engine) -> None:
    everyone = ["C1", "c1", "c2", "c3", "c4", "c5"]
    for text in ("aov > 10", 'name contains "a"', "custom.score > 1", "last_order_date < today",
                 'product_type = "shirt"', "days_since_last_order < 50", "aov > store_aov",
                 'custom.tier = name'):
        yes, no = ids(engine, text), ids(engine, f"not ({text})")
        assert sorted(yes + no) == everyone, text


def test_window(engine: Engine) -> None:
    assert ids(engine, "orders >= 1", Window(Const(date(2024, 3, 1)), None)) == ["c1", "c5"]
    assert ids(engine, "aov = 10", Window(None, Const(date(2024, 3, 2)))) == ["c1"]
    # the window end is capped at the as-of day: C1's order on 2024-04-01 never counts
    assert ids(engine, "orders = 1", Window(None, Const(date(2024, 5, 1)))) == ["c4", "c5"]
