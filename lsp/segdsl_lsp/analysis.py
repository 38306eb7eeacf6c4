"""One parse, one check and one token list per text, shared by every feature.

Everything comes from the core: :func:`segdsl.syntax.parser.parse_file`, the grammar's own
lexer, and :func:`segdsl.check.checker.check_parsed_file` on that same parse, with the SYSTEM
segments (and, in a workspace, the segments of its other files) as the library.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from lark import Token

from segdsl.catalog import StoreSchema
from segdsl.check.checker import CheckResult, check_parsed_file
from segdsl.check.library import SegmentLibrary
from segdsl.errors import Diagnostic, SegmentError
from segdsl.syntax import ast
from segdsl.syntax.parser import _lark
from segdsl.system import system_segments
from segdsl_lsp import incremental
from segdsl_lsp.incremental import lex_incremental, parse_incremental


@functools.cache
def system_library() -> SegmentLibrary:
    return SegmentLibrary(system_segments())


@dataclass(frozen=True, eq=False)
class CheckContext:
    """What a file is checked against: the segments ``IN SEGMENT`` may name beyond the file's
    own, and the store's schema when the file belongs to a workspace with a store. Compared by
    identity: a new context is made only when what it holds changed, so it is a cache key."""

    library: SegmentLibrary = field(default_factory=system_library)
    schema: StoreSchema | None = None


DEFAULT_CONTEXT = CheckContext()


@dataclass(frozen=True)
class Parsed:
    tree: ast.SegmentFile | None
    diagnostics: list[Diagnostic]


@functools.lru_cache(maxsize=32)
def parse_result(text: str) -> Parsed:
    try:
        return Parsed(parse_incremental(text), [])
    except SegmentError as err:
        return Parsed(None, list(err.diagnostics))


def parse(text: str) -> ast.SegmentFile | None:
    """The file's syntax tree, or None when it does not parse."""
    return parse_result(text).tree


@functools.lru_cache(maxsize=16)
def check(text: str, origin: str = "<file>",
          context: CheckContext = DEFAULT_CONTEXT) -> CheckResult:
    return check_uncached(text, origin, context)


def diagnostics(text: str, origin: str = "<file>",
                context: CheckContext = DEFAULT_CONTEXT) -> list[Diagnostic]:
    """What :func:`check` reports for ``text``, checked piece by piece when that gives the
    same: when no two segments share a name and every ``IN SEGMENT`` names a segment of the
    library (none of the file's own), each segment's diagnostics depend on that segment
    alone, so a piece's are kept by its text and only moved into place."""
    parsed = parse_result(text)
    if parsed.tree is None:
        return parsed.diagnostics
    placed = incremental.layout(text)
    if placed is None or not _independent(parsed.tree, context):
        return check(text, origin, context).diagnostics
    out: list[Diagnostic] = []
    for piece in placed:
        found = _piece_diagnostics(piece.source, piece.segments, context)
        out += [piece.shift.diagnostic(d) for d in found] if piece.shift.offset else found
    return out


def _independent(tree: ast.SegmentFile, context: CheckContext) -> bool:
    names = [s.name.lower() for s in tree.segments]
    own = set(names) | {s.title.lower() for s in tree.segments}
    if len(set(names)) != len(names):
        return False  # E220 is the file's to report
    for seg in tree.segments:
        for ref in in_segment_references(seg.condition):
            key = ref.name.lower()
            if key in own or not context.library.find(ref.name):
                return False  # a reference into the file, or one the file's names explain
    return True


def in_segment_references(cond: ast.Condition) -> Iterator[ast.InSegment]:
    stack = [cond]
    while stack:  # left-deep chains can be long: no recursion
        node = stack.pop()
        if isinstance(node, ast.InSegment):
            yield node
        elif isinstance(node, ast.BoolOp):
            stack += [node.right, node.left]
        elif isinstance(node, ast.Not):
            stack.append(node.operand)
        elif isinstance(node, ast.Group):
            stack.append(node.inner)


_piece_checks: dict[tuple[str, int], tuple[CheckContext, list[Diagnostic]]] = {}


def _piece_diagnostics(source: str, segments: tuple[ast.Segment, ...],
                       context: CheckContext) -> list[Diagnostic]:
    key = (source, id(context))
    found = _piece_checks.get(key)
    if found is not None and found[0] is context:
        return found[1]
    result = check_parsed_file(ast.SegmentFile(segments), source, schema=context.schema,
                               library=context.library)
    if len(_piece_checks) > 20_000:
        _piece_checks.clear()
    _piece_checks[key] = (context, result.diagnostics)
    return result.diagnostics


def check_uncached(text: str, origin: str, context: CheckContext) -> CheckResult:
    parsed = parse_result(text)
    if parsed.tree is None:
        return CheckResult([], parsed.diagnostics, text, origin)
    return check_parsed_file(parsed.tree, text, schema=context.schema, origin=origin,
                             library=context.library)


@functools.lru_cache(maxsize=16)
def tokens(text: str, comments: bool = False) -> tuple[Token, ...]:
    """The grammar's tokens of ``text`` (with ``comments``, its comments too), up to the
    first character the lexer refuses."""
    return tuple(lex_incremental(text, comments))


@functools.cache
def keywords() -> frozenset[str]:
    """The grammar's reserved words (its keyword terminals), upper-case."""
    return frozenset(t.name for t in _lark().terminals
                     if t.name not in ("IDENT", "COMMENT", "WS")
                     and re.fullmatch(r"[A-Z]+", t.name) and t.priority == 2)


def is_identifier(name: str) -> bool:
    """Whether ``name`` can name a segment: the grammar's IDENT, and no keyword."""
    ident = next(t for t in _lark().terminals if t.name == "IDENT")
    return (re.fullmatch(ident.pattern.to_regexp(), name) is not None
            and name.upper() not in keywords())


def segment_start(text: str, offset: int) -> int:
    """Where the segment holding ``offset`` starts (0 when none does): from the parse when the
    text parses, else from the tokens."""
    parsed = parse(text)
    if parsed is not None:
        start = 0
        for seg in parsed.segments:
            if seg.span.start > offset:
                break
            start = seg.span.start
        return start
    toks = tokens(text)
    start = 0
    for i, tok in enumerate(toks):
        if (tok.start_pos or 0) >= offset:
            break
        if tok.type == "SEGMENT" and (i == 0 or toks[i - 1].type != "IN"):
            start = tok.start_pos or 0
    return start


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
