"""The installed package is complete: the grammar ships inside the wheel, types are marked."""

from __future__ import annotations

from importlib import metadata, resources

import pytest

from segdsl.syntax.parser import grammar_text


def _installed_files() -> set[str]:
    files = metadata.files("segdsl") or []
    return {str(f) for f in files}


def test_the_grammar_and_type_marker_are_in_the_installed_distribution() -> None:
    files = _installed_files()
    if not any(f.startswith("segdsl/") and f.endswith(".py") for f in files):
        pytest.skip("segdsl is installed in editable mode: its files are the checkout's "
                    "(pip install '.[test]' installs the wheel and runs this check)")
    assert "segdsl/grammar/segment.lark" in files
    assert "segdsl/py.typed" in files
    assert "segdsl/system/rfm.seg" in files  # the SYSTEM segments are package data


def test_the_parser_reads_the_same_grammar_as_the_checkout() -> None:
    from pathlib import Path

    checkout = Path(__file__).resolve().parents[1] / "grammar" / "segment.lark"
    assert grammar_text() == checkout.read_text(encoding="utf-8")
    packaged = resources.files("segdsl").joinpath("grammar/segment.lark")
    if packaged.is_file():
        assert packaged.read_text(encoding="utf-8") == grammar_text()
