"""The size limits the checker enforces are limits every engine can run: a condition at the
limit runs everywhere with the same answer; one past it is refused with a diagnostic, never
a crash (RecursionError) or an engine's parser error."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from segdsl.check import check_condition, check_file
from segdsl.context import RunContext
from segdsl.runner import Session, SqlSession, StoreSource, open_session
from segdsl.store.reader import read_folder
from segdsl.syntax.parser import MAX_COMPARISONS, MAX_DEPTH

CTX = RunContext(as_of=date(2024, 2, 1))


def _store(tmp_path: Path) -> Path:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,country\na,GB\nb,FR\nc,\n")
    (folder / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n"
                                       "1,a,2024-01-01,10\n2,a,2024-01-02,20\n3,b,2024-01-03,5\n")
    return folder


def _long_chain(n: int) -> str:
    """n comparisons joined by AND, with a single switch to OR near the end."""
    parts = ["orders >= 1"] + [f"AND amount_spent >= {i % 7}" for i in range(1, n - 1)]
    return " ".join([*parts, 'OR country = "FR"'])


def _alternating(n: int) -> str:
    """n + 1 comparisons whose connectors alternate: n - 1 switches between AND and OR, each
    a level of parentheses in SQL."""
    parts = ["orders >= 1"]
    for i in range(1, n + 1):
        parts.append("AND amount_spent >= 15" if i % 2 else 'OR country = "FR"')
    return " ".join(parts)


def _in_list(n: int) -> str:
    """An IN list of n values (each one a comparison: aov compares by cross-multiplying)."""
    values = [f"{100 + i}.01" for i in range(n - 1)] + ["15"]
    return f"aov IN ({', '.join(values)})"


def _deep(n: int) -> str:
    """NOT and parentheses nested n levels deep."""
    text = 'country = "GB"'
    for i in range(n):
        text = f"({text})" if i % 2 else f"NOT {text}"
    return text


def _sessions(folder: Path, urls: list[str]) -> Iterator[Session]:
    for engine in ("memory", "duckdb", "sqlite"):
        with open_session(StoreSource(data=folder, engine=engine)) as session:
            yield session
    from segdsl.engines import connect

    for url in urls:
        with connect(url) as db:
            db.load(read_folder(folder), replace=True)
        with SqlSession(url) as session:
            yield session


def _answers(folder: Path, urls: list[str], texts: list[str]) -> list[list[list[str]]]:
    segments = []
    for text in texts:
        result = check_condition(text)
        assert result.ok, result.diagnostics[0].message
        segments.append(result.segments[0])
    return [[s.customer_ids(seg, CTX) for seg in segments] for s in _sessions(folder, urls)]


def _at_the_limit() -> list[str]:
    return [_long_chain(MAX_COMPARISONS), _alternating(MAX_DEPTH + 1), _deep(MAX_DEPTH),
            _in_list(MAX_COMPARISONS)]


def test_at_the_limit_every_local_engine_agrees(tmp_path: Path) -> None:
    answers = _answers(_store(tmp_path), [], _at_the_limit())
    # worked out by hand: a (orders, spent 30), b (spent 5, FR), c (no orders, no country)
    # the alternating chain ends "AND spent >= 15"; a's aov is 15
    assert answers[0] == [["a", "b"], ["a"], ["a"], ["a"]]
    assert all(a == answers[0] for a in answers)


@pytest.mark.postgres
def test_at_the_limit_postgres_agrees(tmp_path: Path, postgres_url: str) -> None:
    answers = _answers(_store(tmp_path), [postgres_url], _at_the_limit())
    assert all(a == answers[0] for a in answers)


@pytest.mark.mysql
def test_at_the_limit_mysql_agrees(tmp_path: Path, mysql_url: str) -> None:
    answers = _answers(_store(tmp_path), [mysql_url], _at_the_limit())
    assert all(a == answers[0] for a in answers)


@pytest.mark.clickhouse
def test_at_the_limit_clickhouse_agrees(tmp_path: Path, chdb_url: str) -> None:
    answers = _answers(_store(tmp_path), [chdb_url], _at_the_limit())
    assert all(a == answers[0] for a in answers)


@pytest.mark.spark
def test_at_the_limit_spark_agrees(tmp_path: Path, spark_url: str) -> None:
    answers = _answers(_store(tmp_path), [spark_url], _at_the_limit())
    assert all(a == answers[0] for a in answers)


@pytest.mark.parametrize("text,code", [
    (_long_chain(MAX_COMPARISONS + 1), "E106"),
    (_long_chain(20_000), "E106"),
    (_in_list(MAX_COMPARISONS + 1), "E106"),
    (f"orders >= 1 AND {_in_list(MAX_COMPARISONS)}", "E106"),
    (_deep(MAX_DEPTH + 1), "E107"),
    (_alternating(MAX_DEPTH + 2), "E107"),
    (_deep(5_000), "E105"),  # refused on the raw text, before parsing
])
def test_past_the_limit_is_a_diagnostic(text: str, code: str) -> None:
    result = check_condition(text)
    assert [d.code for d in result.diagnostics] == [code]
    in_file = check_file(f'segment s "S" where {text}\n')
    assert [d.code for d in in_file.diagnostics] == [code]
