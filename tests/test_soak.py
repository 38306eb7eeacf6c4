"""benchmarks/soak.py, the differential test's soak mode: it counts what it ran, and a saved
disagreement replays with `segdsl run` to the answer the memory evaluator gave."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest
from agreement import CTX, cases, expected_answers
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings

from segdsl.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent


def _soak() -> ModuleType:
    spec = importlib.util.spec_from_file_location("soak", ROOT / "benchmarks" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = module
    spec.loader.exec_module(module)
    return module


soak = _soak()


def test_a_short_soak_reports_every_engine(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = soak.main(["--examples", "3", "--engines", "duckdb,sqlite", "--out",
                      str(tmp_path / "cases"), "--seed", "3"])
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split()[1:5] for line in out.splitlines()[1:3]}
    assert rows == {"duckdb": ["3", "15", "0", "0"], "sqlite": ["3", "15", "0", "0"]}, out
    assert code == 0 and not (tmp_path / "cases").exists()


def test_the_options_are_checked() -> None:
    with pytest.raises(SystemExit, match="not in-process"):
        soak.main(["--examples", "1", "--engines", "postgres"])
    with pytest.raises(SystemExit, match="NAME=URL"):
        soak.main(["--examples", "1", "--engines", "", "--db", "chdb"])
    with pytest.raises(SystemExit, match="cannot share"):
        soak.main(["--examples", "2", "--jobs", "2", "--db", "x=duckdb:////tmp/x.duckdb"])


@settings(max_examples=8, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=cases())
def test_a_saved_case_replays_to_the_memory_answer(tmp_path: Path,
                                                   case: tuple[object, object]) -> None:
    store, segs = case  # type: ignore[misc]
    expected = expected_answers(store, segs)[0]  # type: ignore[arg-type]
    out = tmp_path / f"cases-{id(case)}"
    folder = soak.save_case(out, store, expected, "duckdb", None, "an error, for the record")
    details = json.loads((folder / "case.json").read_text())
    assert (details["expected"], details["error"]) == (expected.ids, "an error, for the record")
    result = CliRunner().invoke(cli, [
        "run", str(folder / "segment.seg"), "--config", str(folder / "segdsl.toml"),
        "--segment", "soak_case", "--engine", "memory", "--as-of", CTX.as_of.isoformat(),
        "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(result.stdout)["customer_ids"]) == expected.ids
