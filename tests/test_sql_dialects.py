"""The per-dialect rules of the SQL compiler, for the dialects no test engine runs.

Each rule is checked on the expression it generates, and where the rule is a rewrite that
any engine could run (the trailing-space sentinel, hoisting IN SEGMENT's CTEs), it is also
run on DuckDB in place of DuckDB's own rules: the answers must not change.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlglot
from sqlglot import exp

from segdsl.backends.sql import compile_segment, dialects, to_sql
from segdsl.backends.sql.batch import batch_sql
from segdsl.backends.sql.dialects import PaddedEquality, Rules
from segdsl.catalog import FieldType, StoreSchema
from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.engines import Engine, connect
from segdsl.store.model import Store

CTX = RunContext(as_of=date(2024, 3, 31))
SCHEMA = StoreSchema(frozenset({"customers", "orders", "order_items", "products",
                                "product_collections"}),
                     {"tier": FieldType.TEXT, "score": FieldType.NUMBER,
                      "joined": FieldType.DATE})


def segment(text: str) -> CheckedSegment:
    result = check_condition(text, schema=SCHEMA)
    assert result.ok, result.diagnostics
    return result.segments[0]


def where(text: str, dialect: str) -> exp.Expr:
    """The WHERE condition of the query compiled for ``dialect``, as the compiler built it."""
    condition = compile_segment(segment(text), CTX, dialect=dialect).args["where"].this
    assert isinstance(condition, exp.Expr)
    return condition


def comparisons(condition: exp.Expr) -> list[exp.Expr]:
    return [n for n in condition.walk() if isinstance(n, exp.EQ | exp.In)]


# --- Redshift: trailing blanks are insignificant in its comparisons ---------------------------

def test_redshift_equality_appends_a_sentinel() -> None:
    # 'a' = 'a ' is true on Redshift: compare ('a ' || '|') with 'a |' instead.
    eq = comparisons(where('name = "a "', "redshift"))[0]
    assert isinstance(eq.this, exp.Paren) and isinstance(eq.this.this, exp.DPipe)
    assert eq.expression == exp.Literal.string("a |")
    assert "= 'a |'" in to_sql(segment('name = "a "'), CTX, dialect="redshift")
    both = comparisons(where("name = email", "redshift"))[0]
    assert all(isinstance(side, exp.Paren) for side in (both.this, both.expression))
    some = comparisons(where('name in ("a", "b ")', "redshift"))[0]
    assert isinstance(some, exp.In)
    assert [v.name for v in some.expressions] == ["a|", "b |"]


def test_redshift_ends_with_compares_the_tail_with_a_sentinel() -> None:
    eq = comparisons(where('name ends with "é "', "redshift"))[0]
    tail = eq.this.this.this
    assert isinstance(tail, exp.Right) and tail.expression == exp.Literal.number(2)
    assert eq.expression == exp.Literal.string("é |")


def test_redshift_position_searches_need_no_sentinel() -> None:
    sql = to_sql(segment('name contains "a " and name starts with "b"'), CTX, dialect="redshift")
    assert "||" not in sql and sql.count("POSITION(") == 2


# --- T-SQL: one fixed collation, UTF-16 lengths, hoisted CTEs ---------------------------------

def test_tsql_folds_under_a_fixed_binary_collation() -> None:
    # Whatever the column's collation (CI_AI, Turkish, a VARCHAR code page), REPLACE and
    # LOWER see NVARCHAR under Latin1_General_100_BIN2.
    lower = next(n for n in where('name = "x"', "tsql").walk() if isinstance(n, exp.Lower))
    replace = lower.this
    assert isinstance(replace, exp.Anonymous) and replace.name.upper() == "REPLACE"
    collated = replace.expressions[0]
    assert isinstance(collated, exp.Collate)
    assert collated.expression.name == "Latin1_General_100_BIN2"
    cast = collated.this
    assert isinstance(cast, exp.Cast) and cast.to.is_type("nvarchar")
    assert [e.name for e in replace.expressions[1:]] == ["\u0130", "i\u0307"]


def test_tsql_ends_with_counts_utf16_code_units() -> None:
    # RIGHT counts UTF-16 code units under a non-supplementary collation: U+1F600 is two.
    for pattern, units in (("x\U0001f600", 3), ("é", 1), ("ab", 2)):
        right = next(n for n in where(f'name ends with "{pattern}"', "tsql").walk()
                     if isinstance(n, exp.Right))
        assert right.expression == exp.Literal.number(units), pattern
        assert isinstance(right.this, exp.Collate)  # counted under the fixed collation


FILE = """\
segment recent "Recent" window from -30d where orders >= 1
segment big "Big" where amount_spent >= 30 AND aov > store_aov
segment lapsed "Lapsed" where NOT IN SEGMENT recent AND orders >= 1
segment both "Both" where IN SEGMENT lapsed AND NOT IN SEGMENT big OR IN SEGMENT recent
"""


def file_segments() -> dict[str, CheckedSegment]:
    result = check_file(FILE)
    assert result.ok, result.diagnostics
    return {s.name: s for s in result.segments}


def test_tsql_hoists_in_segment_ctes_to_the_top() -> None:
    sql = to_sql(file_segments()["both"], CTX, dialect="tsql")
    tree = sqlglot.parse_one(sql, read="tsql")
    withs = list(tree.find_all(exp.With))
    assert len(withs) == 1 and withs[0].parent is tree  # none left inside a derived table
    names = [cte.alias for cte in withs[0].expressions]
    assert len(names) == len(set(names))
    # both -> lapsed (-> recent), big, recent: four nested queries, each numbered apart.
    assert {n for n in names if n.startswith("segdsl_orders")} == {
        "segdsl_orders", "segdsl_orders_1", "segdsl_orders_2", "segdsl_orders_3",
        "segdsl_orders_4"}
    assert sql.count("ORDER BY") == 1


# --- the rewrites run on DuckDB give DuckDB's own answers -------------------------------------

class _DuckPadded(PaddedEquality):
    name = "duckdb"


class _DuckHoisting(Rules):
    name = "duckdb"
    nested_with = False


@pytest.fixture
def duck(store: Store) -> Iterator[Engine]:
    with connect("duckdb:///:memory:") as engine:
        engine.load(store)
        yield engine


def _ids(engine: Engine, seg: CheckedSegment) -> list[str]:
    return [r[0] for r in engine.query(to_sql(seg, CTX, dialect="duckdb"))]


def _answers(engine: Engine, segs: list[CheckedSegment], rules: Rules,
             monkeypatch: pytest.MonkeyPatch) -> tuple[list[list[str]], list[list[str]]]:
    plain = [_ids(engine, s) for s in segs]
    with monkeypatch.context() as m:
        m.setitem(dialects.RULES, "duckdb", rules)
        rewritten = [_ids(engine, s) for s in segs]
    return plain, rewritten


TEXT_CONDITIONS = [
    'custom.tier = "gold"', 'custom.tier = "gold "', 'custom.tier in ("gold ", "silver")',
    'custom.tier ends with "d "', 'custom.tier ends with "old"', "custom.tier = name",
    'name ends with "100%"', 'name = "résumé"', 'not custom.tier = "gold"',
    'product_type = "t_shirt"', 'collection ends with "cotton"',
]


def test_the_sentinel_changes_no_answer(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    segs = [check_condition(t, schema=duck.describe().schema()).segments[0]
            for t in TEXT_CONDITIONS]
    plain, padded = _answers(duck, segs, _DuckPadded(), monkeypatch)
    assert padded == plain
    by_text = dict(zip(TEXT_CONDITIONS, plain, strict=True))
    # worked out from conftest's sample store: tiers Gold, "gold ", silver, GOLD
    assert by_text['custom.tier = "gold"'] == ["c1", "c5"]
    assert by_text['custom.tier = "gold "'] == ["c2"]
    assert by_text['custom.tier ends with "d "'] == ["c2"]


def test_hoisting_changes_no_answer(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    segs = list(file_segments().values())
    plain, hoisted = _answers(duck, segs, _DuckHoisting(), monkeypatch)
    assert hoisted == plain
    # recent: c1, c5 ordered in March; big: c4; lapsed: c2, c4; both: (lapsed - big) + recent
    assert dict(zip(file_segments(), plain, strict=True)) == {
        "recent": ["c1", "c5"], "big": ["c4"], "lapsed": ["c2", "c4"],
        "both": ["c1", "c2", "c5"]}


# --- integer constants beyond BIGINT ----------------------------------------------------------

def test_constants_beyond_bigint_are_exact_decimals() -> None:
    # 123456789012345678.99 is 12345678901234567899 cents: past INT64, which BigQuery's
    # integer literals cannot exceed. Text cast to a decimal is exact in every dialect.
    sql = to_sql(segment("amount_spent >= 123456789012345678.99"), CTX, dialect="bigquery")
    assert "CAST('12345678901234567899' AS BIGNUMERIC)" in sql
    small = to_sql(segment("amount_spent >= 92233720368547758.07"), CTX, dialect="bigquery")
    assert ">= 9223372036854775807" in small  # the largest INT64 stays a plain literal


def test_constants_beyond_bigint_run(duck: Engine) -> None:
    schema = duck.describe().schema()

    def run(text: str) -> list[str]:
        return _ids(duck, check_condition(text, schema=schema).segments[0])

    everyone = ["C1", "c1", "c2", "c3", "c4", "c5"]
    assert run("amount_spent < 123456789012345678.99") == everyone
    assert run("amount_spent >= 123456789012345678.99") == []
    assert run("aov > -123456789012345678.99") == ["c1", "c2", "c4", "c5"]  # those with orders


def test_hoisting_in_the_batch_query(duck: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    # The store's refresh flags many segments of one window in one query: hoisted CTEs of
    # every flag's IN SEGMENT go to its top.
    segs = [file_segments()[n] for n in ("lapsed", "both", "big")]
    plain = sorted(duck.query(batch_sql(segs, CTX, dialect="duckdb")))
    with monkeypatch.context() as m:
        m.setitem(dialects.RULES, "duckdb", _DuckHoisting())
        sql = batch_sql(segs, CTX, dialect="duckdb")
        hoisted = sorted(duck.query(sql))
    assert sql.count("WITH") == 1
    assert hoisted == plain
    assert [r[0] for r in plain] == ["c1", "c2", "c4", "c5"]  # in lapsed, both or big
