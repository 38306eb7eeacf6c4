"""One parse, one check and one token list per text, shared by every feature.

Everything comes from the core: :func:`segdsl.syntax.parser.parse_file`, the grammar's own
lexer, and :func:`segdsl.check.checker.check_file` with the SYSTEM segments as the library.
"""

from __future__ import annotations

import functools

from lark import Token
from lark.exceptions import LarkError

from segdsl.check.checker import CheckResult, check_file
from segdsl.check.library import SegmentLibrary
from segdsl.errors import SegmentError
from segdsl.syntax import ast
from segdsl.syntax.parser import _lark, parse_file
from segdsl.system import system_segments


@functools.cache
def system_library() -> SegmentLibrary:
    return SegmentLibrary(system_segments())


@functools.lru_cache(maxsize=16)
def check(text: str, origin: str = "<file>") -> CheckResult:
    return check_file(text, origin=origin, library=system_library())


@functools.lru_cache(maxsize=16)
def parse(text: str) -> ast.SegmentFile | None:
    """The file's syntax tree, or None when it does not parse."""
    try:
        return parse_file(text)
    except SegmentError:
        return None


@functools.lru_cache(maxsize=16)
def tokens(text: str) -> tuple[Token, ...]:
    """The grammar's tokens of ``text``, up to the first character the lexer refuses."""
    out: list[Token] = []
    try:
        for tok in _lark().lex(text):
            out.append(tok)
    except LarkError:
        pass
    return tuple(out)


def segment_names(text: str) -> list[tuple[str, str | None]]:
    """The (name, title) of each segment the file declares, even when it does not parse."""
    parsed = parse(text)
    if parsed is not None:
        return [(s.name, s.title) for s in parsed.segments]
    toks = tokens(text)
    found: list[tuple[str, str | None]] = []
    for i, tok in enumerate(toks):
        declares = tok.type == "SEGMENT" and (i == 0 or toks[i - 1].type != "IN")
        if declares and i + 1 < len(toks) and toks[i + 1].type == "IDENT":
            found.append((str(toks[i + 1]), None))
    return found
