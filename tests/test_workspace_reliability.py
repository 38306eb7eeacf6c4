"""The segment store under real failure: a refresh killed with SIGKILL half-way, two refreshes
at once, and --watch stopped by SIGTERM. Real subprocesses, on DuckDB and PostgreSQL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

import pytest

from segdsl.workspace import init_workspace, open_workspace
from segdsl.workspace.example import AS_OF, load_example

CLI = [sys.executable, "-c", "from segdsl.cli.main import main; main()"]


def _segdsl(ws: Path, *args: str, pause: float | None = None) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("SEGDSL_TEST_PAUSE_IN_REFRESH", None)
    if pause is not None:
        env["SEGDSL_TEST_PAUSE_IN_REFRESH"] = str(pause)
    return subprocess.Popen([*CLI, *args, "-w", str(ws)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)


def _wait_for(stream: IO[str], text: str, timeout: float = 60) -> str:
    seen, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen += line
        if text in line:
            return seen
    raise AssertionError(f"{text!r} never appeared; got {seen!r}")


def _finish(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[str, str]:
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, (out, err)
    assert "Traceback" not in err
    return out, err


def _state(ws: Path) -> dict[str, int | None]:
    out, _ = _finish(_segdsl(ws, "list", "--format", "json"))
    return {r["name"]: r["count"] for r in json.loads(out)["segments"]}


def _history(ws: Path, name: str) -> list[dict[str, object]]:
    out, _ = _finish(_segdsl(ws, "show", name, "--format", "json"))
    history: list[dict[str, object]] = json.loads(out)["history"]
    return history


def _write_custom(ws: Path, min_orders: int) -> None:
    (ws / "segments" / "mine.seg").write_text(
        f'segment frequent "Frequent"\n  where orders >= {min_orders}\n', encoding="utf-8")


def _workspace(root: Path, db: str | None, interval: str = "12h") -> Path:
    ws = init_workspace(root, timezone="Europe/London", as_of=AS_OF)
    toml = root / "segdsl.toml"
    text = toml.read_text().replace('refresh_interval = "12h"', f'refresh_interval = "{interval}"')
    if db is not None:
        text = text.replace('db = "duckdb:///segdsl.duckdb"', f'db = "{db}"')
    toml.write_text(text)
    ws = open_workspace(root)
    load_example(ws)
    (root / "segments" / "examples.seg").unlink()
    _write_custom(root, 5)
    return root


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def ws(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    db = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    return _workspace(tmp_path / "ws", db)


def test_sigkill_half_way_leaves_the_previous_state(ws: Path) -> None:
    _finish(_segdsl(ws, "refresh"))
    before = _state(ws)
    _write_custom(ws, 20)  # the next refresh changes `frequent`
    proc = _segdsl(ws, "refresh", "--all", pause=60)
    _wait_for(proc.stderr, "paused")  # every write is done, the commit is not
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _state(ws) == before
    assert len(_history(ws, "frequent")) == 1
    _finish(_segdsl(ws, "refresh"))  # the next refresh works
    after = _state(ws)
    assert after["frequent"] is not None and after["frequent"] < (before["frequent"] or 0)
    assert len(_history(ws, "frequent")) == 2


def test_two_refreshes_at_once_land_one_after_the_other(ws: Path) -> None:
    _finish(_segdsl(ws, "refresh"))
    # The first holds the lock long enough for the second to start and reach it even on a
    # loaded machine (starting a process took over 3 s at a load average of 13).
    first = _segdsl(ws, "refresh", "--all", "--format", "json", pause=10)
    _wait_for(first.stderr, "paused")
    second = _segdsl(ws, "refresh", "--all", "--format", "json")
    out1, _ = _finish(first)
    out2, err2 = _finish(second)
    if "duckdb" in (ws / "segdsl.toml").read_text():
        assert "waiting" in err2  # told why it waits
    for out in (out1, out2):
        assert len(json.loads(out)["refreshed"]) == 9
    history = _history(ws, "champions")
    assert len(history) == 3 and len({h["count"] for h in history}) == 1


def test_watch_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    root = _workspace(tmp_path / "ws", None, interval="1s")
    proc = _segdsl(root, "refresh", "--watch", "--format", "json")
    assert proc.stdout is not None
    first = json.loads(proc.stdout.readline())
    assert len(first["refreshed"]) == 9  # everything is new
    second = json.loads(proc.stdout.readline())  # a second later: the SYSTEM ones again
    assert {r["kind"] for r in second["refreshed"]} == {"SYSTEM"}
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "stopped" in err and "Traceback" not in err
    assert len(_history(root, "champions")) >= 2
