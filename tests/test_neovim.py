"""A real headless Neovim with the shipped config (lsp/nvim/segdsl.lua) and the language server
(`python -m segdsl_lsp` from this venv): what Neovim receives, written to JSON by
tests/neovim_probe.lua. Needs `nvim` (Debian package `neovim`, 0.7.2 or later)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import _unavailable

from segdsl.catalog import FIELDS

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "neovim_probe.lua"
CONFIG_DIR = ROOT / "lsp" / "nvim"
NVIM_SECONDS = 90  # the whole Neovim run; each wait inside it is bounded by WAIT_MS
WAIT_MS = 20_000

# Accented letters and an emoji before the error, on the error's line too. The error is the
# unknown field `ordrs` on line 2 (0-based). Before it on that line:
#   `  where name = ` 15 characters, `"Zoë 😀"` 7 code points = 8 UTF-16 units (the emoji is
#   a surrogate pair) = 11 UTF-8 bytes (ë 2, 😀 4), then ` and ` 5.
# So `ordrs` starts at UTF-16 unit 28 (what LSP counts) and at byte 31 (what Neovim counts).
TEXT = ("# Zo\u00eb\u2019s customers \U0001f600, accents and emoji before the error\n"
        'segment vip "Caf\u00e9 \U0001f600 VIP"\n'
        '  where name = "Zo\u00eb \U0001f600" and ordrs > 3\n')
ERROR_LINE = 2
ERROR_UTF16 = (28, 33)
ERROR_BYTES = (31, 36)
# Completion cursors as {1-based line, 0-based byte column}: after `"Zoë 😀" ` (byte 27,
# UTF-16 unit 24) a connective is expected; after `and ` (byte 31, unit 28) a field.
AFTER_VALUE = [3, 27]
AFTER_AND = [3, 31]


def nvim() -> str:
    found = shutil.which("nvim")
    if found is None:
        _unavailable("nvim is not installed (Debian package neovim)")
        raise AssertionError("unreachable")
    return found


def run_neovim(tmp_path: Path, command: list[str], wait_ms: int = WAIT_MS) -> dict[str, Any]:
    """Open ``TEXT`` in a headless Neovim whose config starts ``command``; the probe's JSON."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)  # a root marker of the config
    (project / "segments").mkdir()
    seg = project / "segments" / "vip.seg"
    seg.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "neovim.json"
    env = {
        **os.environ,
        "SEGDSL_NVIM_CONFIG_DIR": str(CONFIG_DIR),
        "SEGDSL_NVIM_CMD": json.dumps(command),
        "SEGDSL_NVIM_FILE": str(seg),
        "SEGDSL_NVIM_CURSORS": json.dumps([AFTER_VALUE, AFTER_AND]),
        # Fix the error: `ordrs` (bytes 31-36 of line 2) becomes `orders`.
        "SEGDSL_NVIM_FIX": json.dumps([ERROR_LINE, *ERROR_BYTES, "orders"]),
        "SEGDSL_NVIM_TIMEOUT_MS": str(wait_ms),
        "SEGDSL_NVIM_OUT": str(out),
        "XDG_STATE_HOME": str(tmp_path / "state"),  # Neovim's log files stay in tmp_path
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    try:
        done = subprocess.run(
            [nvim(), "--headless", "--clean", "-n", "-c", f"luafile {PROBE}"],
            cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=NVIM_SECONDS)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"Neovim did not finish in {NVIM_SECONDS} s: {err.stderr!r}")
    assert out.exists(), f"the probe wrote nothing (exit {done.returncode}): {done.stderr}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert "error" not in result, result["error"]
    return result


def test_neovim_shows_the_servers_diagnostic_and_completes_fields(tmp_path: Path) -> None:
    got = run_neovim(tmp_path, [sys.executable, "-m", "segdsl_lsp"])
    assert got["filetype"] == "segdsl"
    assert got["commentstring"] == "# %s"
    assert got["initialized_in_time"], got
    [client] = got["clients"]
    assert client["name"] == "segdsl"
    assert client["offset_encoding"] == "utf-16"
    assert client["root_dir"] == str(tmp_path / "project")

    # What the server sent: one E201 on `ordrs`, in UTF-16 units.
    assert got["diagnostics_in_time"], got
    [published] = [p for p in got["published"] if p["diagnostics"]]
    [sent] = published["diagnostics"]
    assert sent["code"] == "E201"
    assert sent["range"] == {"start": {"line": ERROR_LINE, "character": ERROR_UTF16[0]},
                             "end": {"line": ERROR_LINE, "character": ERROR_UTF16[1]}}
    # What Neovim made of it: the same place in bytes, so exactly `ordrs` is underlined.
    [shown] = got["diagnostics"]
    assert shown["code"] == "E201"
    assert shown["severity"] == 1  # vim.diagnostic.severity.ERROR
    assert (shown["lnum"], shown["col"], shown["end_lnum"], shown["end_col"]) == (
        ERROR_LINE, ERROR_BYTES[0], ERROR_LINE, ERROR_BYTES[1])
    line = TEXT.splitlines()[ERROR_LINE].encode()
    assert line[shown["col"]:shown["end_col"]] == b"ordrs"
    assert "did you mean `orders`?" in shown["message"]

    after_value, after_and = got["completions"]
    # Neovim turned the byte columns into UTF-16 positions for the request.
    assert after_value["position"] == {"line": ERROR_LINE, "character": 24}
    assert after_and["position"] == {"line": ERROR_LINE, "character": 28}
    assert after_value.get("error") is None and after_and.get("error") is None
    # After a complete comparison: a connective or the next segment, no field.
    assert {"AND", "OR"} <= set(after_value["labels"])
    assert "orders" not in after_value["labels"]
    # After `and `: every field of the catalog, NOT and IN SEGMENT; no operator, no clause.
    labels = set(after_and["labels"])
    assert {"orders", "aov", "country", "last_order_date", "recency_score"} <= labels
    assert set(FIELDS) <= labels
    assert {"NOT", "IN SEGMENT"} <= labels
    assert not {">", "=", "AND", "where"} & labels

    # The fix typed into the buffer reached the server, and the diagnostic went away.
    assert got["cleared_in_time"], got
    assert got["diagnostics_after_fix"] == 0


def test_neovim_reports_a_server_command_that_cannot_start(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-segdsl")
    got = run_neovim(tmp_path, [missing, "lsp"], wait_ms=2_000)
    assert got["filetype"] == "segdsl"
    assert not got["initialized_in_time"]
    messages = " ".join(n["message"] for n in got["notifications"])
    assert missing in messages, got["notifications"]
