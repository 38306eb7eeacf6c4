"""A real Emacs in batch mode with eglot and the snippet of docs/editors.md, talking to
`segdsl lsp` from this venv: what Emacs receives, written to JSON by tests/emacs_probe.el.
Needs `emacs` with eglot (Debian packages emacs-nox and elpa-eglot, or Emacs 29+)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import _unavailable

from segdsl.catalog import FIELDS

ROOT = Path(__file__).resolve().parent.parent
PROBE = ROOT / "tests" / "emacs_probe.el"
DOC = ROOT / "docs" / "editors.md"
EMACS_SECONDS = 90  # the whole run; the wait for diagnostics inside it is WAIT_SECONDS
WAIT_SECONDS = 20

# The error is the unknown field `ordrs` on line 3; before it on that line
# `  where name = ` (15 characters), `"Zoë 😀"` (7) and ` and ` (5): Emacs counts characters,
# so it starts at character 27 of its line, whatever the UTF-16 count (28) the server sends.
TEXT = ("# Zo\u00eb\u2019s customers \U0001f600, accents and emoji before the error\n"
        'segment vip "Caf\u00e9 \U0001f600 VIP"\n'
        '  where name = "Zo\u00eb \U0001f600" and ordrs > 3\n')


def docs_snippet() -> str:
    """The one elisp block of docs/editors.md: the configuration users copy."""
    [block] = re.findall(r"```elisp\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return block


def run_emacs(tmp_path: Path) -> dict[str, Any]:
    emacs = shutil.which("emacs")
    if emacs is None:
        _unavailable("emacs is not installed (Debian packages emacs-nox and elpa-eglot)")
        raise AssertionError("unreachable")
    snippet = tmp_path / "segdsl-setup.el"
    snippet.write_text(docs_snippet(), encoding="utf-8")
    seg = tmp_path / "vip.seg"
    seg.write_text(TEXT, encoding="utf-8")
    out = tmp_path / "emacs.json"
    env = {
        **os.environ,
        # The snippet runs `segdsl lsp`: this venv's, first on the PATH.
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "HOME": str(tmp_path),  # no user init, no eglot state of the user's
        "SEGDSL_EMACS_SNIPPET": str(snippet),
        "SEGDSL_EMACS_FILE": str(seg),
        "SEGDSL_EMACS_COMPLETE_LINE": "3",
        "SEGDSL_EMACS_COMPLETE_AFTER": "and ",
        "SEGDSL_EMACS_TIMEOUT": str(WAIT_SECONDS),
        "SEGDSL_EMACS_OUT": str(out),
    }
    # -q, not -Q: Debian activates its elpa-eglot from the site start file.
    try:
        done = subprocess.run([emacs, "--batch", "-q", "-l", str(PROBE)], cwd=tmp_path, env=env,
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=EMACS_SECONDS)
    except subprocess.TimeoutExpired as err:
        pytest.fail(f"Emacs did not finish in {EMACS_SECONDS} s: {err.stderr!r}")
    assert out.exists(), f"the probe wrote nothing (exit {done.returncode}): {done.stderr}"
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    if result.get("error") == "eglot is not installed":
        _unavailable("eglot is not installed (Debian package elpa-eglot, or Emacs 29+)")
    assert "error" not in result, result["error"]
    return result


def test_emacs_eglot_with_the_documented_snippet(tmp_path: Path) -> None:
    got = run_emacs(tmp_path)
    assert got["mode"] == "segdsl-mode"
    assert got["server"] == "segdsl"
    [diagnostic] = got["diagnostics"]
    assert (diagnostic["line"], diagnostic["char"], diagnostic["text"]) == (3, 27, "ordrs")
    assert diagnostic["type"] == "eglot-error"
    assert "E201" in diagnostic["message"]
    assert "did you mean `orders`?" in diagnostic["message"]
    # completion-at-point after `and `: the catalog's fields, NOT and IN SEGMENT; no operator
    labels = set(got["completions"])
    assert set(FIELDS) | {"NOT", "IN SEGMENT"} <= labels
    assert not {">", "=", "AND", "where"} & labels
