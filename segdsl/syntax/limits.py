"""Limits judged on the raw text, before the parser runs, so that any input is answered at
once: too long (E104), characters no text may hold (E108), parentheses nested too deep (E105),
and the nesting (E107) and comparison (E106) limits wherever the raw text already shows them
broken. The parser counts E106 and E107 exactly on the parse tree; this pass only spares it
megabytes of input whose verdict is already known (parsing runs at roughly 10,000 comparisons
a second, so a condition of a million characters would otherwise take most of a minute).

>>> [d.code for d in raw_text_diagnostics("NOT " * 41 + "orders > 1", "condition_only")]
['E107']
>>> raw_text_diagnostics('name = "((("  # (((', "condition_only")
[]
"""

from __future__ import annotations

import re

import numpy as np

from segdsl.errors import Diagnostic, Severity, Span

MAX_SOURCE_CHARS = 1_000_000
MAX_NESTING = 200  # parentheses, outside text values and comments
# What every engine can run: SQLite's parser overflows on deeply nested SQL and DuckDB limits
# expression depth (tests/test_limits.py runs both limits on every engine).
MAX_COMPARISONS = 500
MAX_DEPTH = 40

# Text values and comments, blanked out before anything is counted (a text without its closing
# quote ends with its line, as in the grammar). Each is replaced by as many characters, so
# offsets stay those of the source; a text becomes a word, a comment white space.
_TEXT_OR_COMMENT = re.compile(r'"(?:\\.|[^"\\\r\n])*"?|#[^\r\n]*')
# Every comparison holds exactly one of these: a comparison operator, BETWEEN, IN (also in
# NOT IN and IN SEGMENT), CONTAINS, STARTS, ENDS or IS.
_COMPARISON = re.compile(r"!=|<=|>=|[=<>]|(?<!\w)(?:between|in|contains|starts|ends|is)\b",
                         re.IGNORECASE)
# NOTs and opening parentheses in a row: each nests inside the one before it.
_NESTED_RUN = re.compile(r"(?:(?:(?<!\w)not\b|\()\s*){" + str(MAX_DEPTH + 1) + "}",
                         re.IGNORECASE)
# NUL and lone surrogates (what Python makes of bytes that are not UTF-8 in a file name or a
# command line argument): no store text holds them, and no database takes them.
_INVALID = re.compile("[\x00\ud800-\udfff]")


def point_span(source: str, offset: int) -> Span:
    """A one-character span at ``offset`` (clamped to the text)."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    end = min(offset + 1, len(source)) if offset < len(source) else offset
    return Span(offset, end, line, column, line, column + (end - offset))


def _deepest_parenthesis(bare: str) -> int | None:
    """Where parentheses first nest deeper than MAX_NESTING (a stray ``)`` counts as none),
    or None. Vectorised: a Python loop over a megabyte of ``)`` takes seconds."""
    if bare.count("(") <= MAX_NESTING:
        return None
    chars = np.frombuffer(bare.encode("utf-32-le"), dtype=np.uint32)
    steps = (chars == ord("(")).astype(np.int64) - (chars == ord(")"))
    level = np.cumsum(steps)
    # A stray `)` does not go below zero: subtract the lowest level reached so far.
    depth = level - np.minimum.accumulate(np.minimum(level, 0))
    over = np.flatnonzero(depth > MAX_NESTING)
    return int(over[0]) if len(over) else None


def _error(code: str, message: str, span: Span, hint: str | None = None) -> list[Diagnostic]:
    return [Diagnostic(code, Severity.ERROR, message, span, hint=hint)]


def raw_text_diagnostics(source: str, start: str) -> list[Diagnostic]:
    """The first limit ``source`` breaks, judged without parsing (empty when none is).
    ``start`` is the grammar's entry point: the comparison count is judged on the raw text of
    a bare condition only, since a file's comparisons belong to several segments."""
    if len(source) > MAX_SOURCE_CHARS:
        return _error("E104", f"the input is {len(source):,} characters long; the limit is "
                      f"{MAX_SOURCE_CHARS:,}", point_span(source, MAX_SOURCE_CHARS))
    bad = _INVALID.search(source)
    if bad:
        ch = bad.group()
        what = "a NUL character (U+0000)" if ch == "\x00" else \
            f"an invalid character (U+{ord(ch):04X}, a lone surrogate)"
        return _error("E108", f"the text holds {what}", point_span(source, bad.start()),
                      hint="segment text is Unicode text; a lone surrogate usually comes from "
                      "bytes that are not UTF-8")
    bare = _TEXT_OR_COMMENT.sub(
        lambda m: ("x" if m.group()[0] == '"' else " ") * len(m.group()), source)
    too_deep = _deepest_parenthesis(bare)
    if too_deep is not None:
        return _error("E105", f"parentheses are nested more than {MAX_NESTING} deep",
                      point_span(source, too_deep),
                      hint="split the condition into simpler segments")
    run = _NESTED_RUN.search(bare)
    if run:
        return _error("E107", f"the condition nests more than {MAX_DEPTH} levels deep here "
                      f"({MAX_DEPTH + 1} NOT and opening parentheses in a row); the limit is "
                      f"{MAX_DEPTH}", Span.cover(point_span(source, run.start()),
                                                 point_span(source, run.end() - 1)),
                      hint="a double NOT cancels out; split deep conditions into segments")
    if start == "condition_only":
        comparisons = len(_COMPARISON.findall(bare))
        if comparisons > MAX_COMPARISONS:
            return _error("E106", f"this condition has {comparisons:,} comparisons; the limit "
                          f"is {MAX_COMPARISONS:,}", Span.cover(point_span(source, 0),
                                                                point_span(source, len(source))),
                          hint="split it into several segments (IN SEGMENT combines them)")
    return []
