"""The project's acceptance cases (tests/cases/*.json): tiny stores and the customers each
segment must select, worked out by hand. Every engine runs every case (test_cases.py).

A case may hold ``"segments"``: the text of a .seg file (a string, or a list of lines) whose
segments its expressions can name with ``IN SEGMENT``."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True)
class Run:
    case: str
    expr: str
    expect: list[str] | None  # None: must be refused
    as_of: str
    start: str | None = None
    end: str | None = None
    timezone: str | None = None

    @property
    def id(self) -> str:
        return f"{self.case}: {self.expr}" + (f" [{self.timezone}]" if self.timezone else "")

    def cli_args(self, file: Path | None = None) -> list[str]:
        """The run's command line: with ``--expr``, or, given the file written by
        :meth:`Case.write_segments`, as that file's segment under test."""
        selected = [str(file), "--segment", UNDER_TEST] if file else ["--expr", self.expr]
        args = [*selected, "--as-of", self.as_of]
        for flag, value in (("--from", self.start), ("--to", self.end),
                            ("--timezone", self.timezone)):
            if value:
                args += [flag, value]
        return args


UNDER_TEST = "segdsl_case"


@dataclass(frozen=True)
class Case:
    id: str
    tables: dict[str, list[list[str]]]
    runs: tuple[Run, ...]
    segments: str | None = None  # a .seg file the runs' expressions may refer to

    def write_segments(self, run: Run, path: Path) -> Path:
        """The case's segments plus the run's expression as segment ``segdsl_case``."""
        text = f'{self.segments or ""}\nsegment {UNDER_TEST} "Under test"\n  where {run.expr}\n'
        path.write_text(text, encoding="utf-8")
        return path

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for table, rows in self.tables.items():
            with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as fh:
                csv.writer(fh).writerows(rows)
        return folder


def _run(case_id: str, raw: dict[str, Any]) -> Run:
    expect = None if raw["expect"] == "error" else list(raw["expect"])
    return Run(case_id, raw["expr"], expect, raw["as_of"], raw.get("from"), raw.get("to"),
               raw.get("timezone"))


def load_cases() -> list[Case]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        runs = tuple(_run(raw["id"], r) for r in raw["runs"])
        segments = raw.get("segments")
        if isinstance(segments, list):
            segments = "\n".join(segments)
        cases.append(Case(raw["id"], raw["tables"], runs, segments))
    return cases
