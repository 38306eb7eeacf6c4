"""Saved disagreements, replayed on every executed engine.

Each folder under tests/regressions/ is a case as the differential test and its soak save it
(:func:`agreement.save_case`): a store, a segment and the customers it must select. When a
property test fails, hypothesis shrinks the example and the final, minimal one is saved to
tests/regressions/new/; once its expected answer is checked by hand (the memory evaluator's
answer is not automatically the right one), the folder is renamed after what it pins and
committed, and from then on every engine must give that answer here.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from agreement import SavedCase, load_case, reloaded

from segdsl.runner import MemorySession, Session, SqlSession

FOLDERS = sorted(p.parent for p in (Path(__file__).parent / "regressions").rglob("case.json"))
IDS = [str(f.relative_to(Path(__file__).parent / "regressions")) for f in FOLDERS]

with_folders = pytest.mark.parametrize("folder", FOLDERS, ids=IDS)


def _replay(folder: Path, opener: Callable[[SavedCase], AbstractContextManager[Session]]) -> None:
    case = load_case(folder)
    with opener(case) as session:
        got = sorted(session.customer_ids(case.segment, case.ctx))
    assert got == case.expected, f"{folder.name}: {got} != {case.expected}"


def test_there_are_regressions_to_replay() -> None:
    assert FOLDERS, "tests/regressions/ holds no saved case"


@with_folders
def test_memory(folder: Path) -> None:
    _replay(folder, lambda case: MemorySession(case.store))


@with_folders
@pytest.mark.parametrize("dialect", ["duckdb", "sqlite"])
def test_embedded(folder: Path, dialect: str) -> None:
    _replay(folder, lambda case: SqlSession(f"{dialect}:///:memory:", store=case.store))


@with_folders
@pytest.mark.clickhouse
def test_clickhouse(folder: Path, chdb_url: str) -> None:
    _replay(folder, lambda case: reloaded(chdb_url, case.store))


@with_folders
@pytest.mark.postgres
def test_postgres(folder: Path, postgres_url: str) -> None:
    _replay(folder, lambda case: reloaded(postgres_url, case.store))


@with_folders
@pytest.mark.mysql
def test_mysql(folder: Path, mysql_url: str) -> None:
    _replay(folder, lambda case: reloaded(mysql_url, case.store))


@with_folders
@pytest.mark.spark
def test_spark(folder: Path, spark_url: str) -> None:
    _replay(folder, lambda case: reloaded(spark_url, case.store))
