"""Every acceptance case on every engine: memory, DuckDB, SQLite, ClickHouse (from the CSV
folder), and PostgreSQL, MySQL, ClickHouse (chDB) and Spark loaded with the loader
`segdsl load` uses.

A case with segments gives them to the checker as the library its expressions refer to; the
command line runs such an expression as one more segment of the case's .seg file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from casefiles import Case, Run, load_cases
from click.testing import CliRunner
from conftest import require_driver

from segdsl.check.checker import check_condition, check_file, check_window
from segdsl.check.typed import CheckedSegment
from segdsl.cli.main import cli
from segdsl.context import RunContext
from segdsl.runner import Session, SqlSession, StoreSource, open_session
from segdsl.store.reader import read_folder
from segdsl.syntax import parse_window

CASES = load_cases()
RUNS = [(case, run) for case in CASES for run in case.runs]
FOLDER_ENGINES = ["memory", "duckdb", "sqlite", "clickhouse"]


def _window(run: Run):  # type: ignore[no-untyped-def]
    if not run.start and not run.end:
        return None
    text = (f"from {run.start} " if run.start else "") + (f"to {run.end}" if run.end else "")
    return parse_window(text.strip())


def _library(case: Case, session: Session) -> list[CheckedSegment]:
    if case.segments is None:
        return []
    checked = check_file(case.segments, schema=session.schema, origin=f"{case.id} segments")
    checked.raise_for_errors()
    return checked.segments


def _select(session: Session, run: Run, library: list[CheckedSegment]) -> list[str] | None:
    """The ids a run selects, or None when the segment is refused."""
    result = check_condition(run.expr, schema=session.schema, window=_window(run),
                             library=library)
    if not result.ok:
        return None
    ctx = RunContext(as_of=date.fromisoformat(run.as_of), timezone=session.timezone)
    return session.customer_ids(result.segments[0], ctx)


def _expect(run: Run, got: list[str] | None) -> None:
    if run.expect is None:
        assert got is None, f"{run.id}: accepted, but must be refused"
    else:
        assert got is not None, f"{run.id}: refused"
        assert sorted(got) == sorted(run.expect), run.id


def _by_timezone(case: Case) -> dict[str | None, list[Run]]:
    groups: dict[str | None, list[Run]] = {}
    for run in case.runs:
        groups.setdefault(run.timezone, []).append(run)
    return groups


@pytest.mark.parametrize("engine", FOLDER_ENGINES)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_folder_engines(case: Case, engine: str, tmp_path: Path) -> None:
    if engine == "clickhouse":
        require_driver("chdb://")
    folder = case.write(tmp_path / "store")
    for timezone, runs in _by_timezone(case).items():
        with open_session(StoreSource(data=folder, engine=engine, timezone=timezone)) as session:
            library = _library(case, session)
            for run in runs:
                _expect(run, _select(session, run, library))


def _loaded_sessions(case: Case, url: str, tmp_path: Path) -> Iterator[tuple[list[Run], Session]]:
    from segdsl.engines import connect

    folder = case.write(tmp_path / "store")
    for timezone, runs in _by_timezone(case).items():
        store = read_folder(folder, timezone=timezone or "UTC")
        engine = connect(url)
        try:
            engine.load(store, replace=True)
        finally:
            engine.close()
        session = SqlSession(url, timezone=timezone)
        try:
            yield runs, session
        finally:
            session.close()


def _check_loaded(case: Case, url: str, tmp_path: Path) -> None:
    """Load the case with the loader `segdsl load` uses, then run every run against the URL."""
    for runs, session in _loaded_sessions(case, url, tmp_path):
        library = _library(case, session)
        for run in runs:
            _expect(run, _select(session, run, library))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_database_files(case: Case, tmp_path: Path) -> None:
    for url in (f"duckdb:///{tmp_path}/s.duckdb", f"sqlite:///{tmp_path}/s.sqlite"):
        _check_loaded(case, url, tmp_path)


@pytest.mark.postgres
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_postgres(case: Case, postgres_url: str, tmp_path: Path) -> None:
    _check_loaded(case, postgres_url, tmp_path)


@pytest.mark.mysql
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_mysql(case: Case, mysql_url: str, tmp_path: Path) -> None:
    _check_loaded(case, mysql_url, tmp_path)


@pytest.mark.spark
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_spark(case: Case, spark_url: str, tmp_path: Path) -> None:
    _check_loaded(case, spark_url, tmp_path)
@pytest.mark.clickhouse
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_case_on_clickhouse(case: Case, chdb_url: str, tmp_path: Path) -> None:
    _check_loaded(case, chdb_url, tmp_path)


@pytest.mark.parametrize("case,run", RUNS, ids=[r.id for _, r in RUNS])
def test_case_through_the_cli(case: Case, run: Run, tmp_path: Path) -> None:
    """The exact command line the shared acceptance runner uses, in memory (for a case with
    segments: `segdsl run FILE --segment ...` on the case's .seg file)."""
    folder = case.write(tmp_path / "store")
    file = case.write_segments(run, tmp_path / "case.seg") if case.segments else None
    result = CliRunner().invoke(cli, ["run", "--data", str(folder), "--engine", "memory",
                                      *run.cli_args(file), "--format", "json"])
    assert "Traceback" not in result.output
    if run.expect is None:
        assert result.exit_code == 2, result.output
        assert result.stderr.strip()
        return
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert sorted(data["customer_ids"]) == sorted(run.expect)
    assert data["count"] == len(run.expect)


def test_a_window_that_ends_before_it_starts_is_refused() -> None:
    from segdsl.errors import SegmentError

    with pytest.raises(SegmentError, match="starts after it ends"):
        check_window(parse_window("from 2024-02-01 to 2024-01-31"))
