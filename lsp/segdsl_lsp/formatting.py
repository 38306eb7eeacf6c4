"""Formatting: the core formatter (:mod:`segdsl.syntax.format`, what ``segdsl fmt`` writes) as
one edit replacing the whole document; no edit when the text does not parse or is already
in the canonical layout.

>>> edits = format_edits('segment a "A" where orders>3 AND aov>5 OR country="GB"', "utf-16")
>>> print(edits[0].new_text, end="")
segment a "A"
  where (orders > 3 and aov > 5) or country = "GB"
>>> format_edits('segment a "A" where', "utf-16")
[]
"""

from __future__ import annotations

from lsprotocol import types

from segdsl.syntax.format import format_document
from segdsl_lsp.positions import LineIndex


def format_edits(text: str, encoding: str) -> list[types.TextEdit]:
    result = format_document(text)
    if not result.ok or result.text == text:
        return []
    return [types.TextEdit(range=LineIndex(text).lsp_range(0, len(text), encoding),
                           new_text=result.text)]
