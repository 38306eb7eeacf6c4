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
from segdsl_lsp.incremental import lex_incremental


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


class Parsed:
    """A text's pieces (:mod:`segdsl_lsp.incremental`) or its syntax diagnostics; the whole
    tree is assembled from the pieces when a feature first asks for it (the diagnostics do
    not need it: they are found piece by piece where they can be)."""

    def __init__(self, pieces: list[incremental.Placed] | None,
                 diagnostics: list[Diagnostic]):
        self.pieces = pieces
        self.diagnostics = diagnostics

    @functools.cached_property
    def tree(self) -> ast.SegmentFile | None:
        return incremental.assemble(self.pieces) if self.pieces is not None else None


@functools.lru_cache(maxsize=32)
def parse_result(text: str) -> Parsed:
    try:
        return Parsed(incremental.parse_pieces(text), [])
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
    if parsed.pieces is None:
        return parsed.diagnostics
    if not _independent([s for p in parsed.pieces for s in p.segments], context):
        return check(text, origin, context).diagnostics
    out: list[Diagnostic] = []
    for piece in parsed.pieces:
        found = _piece_diagnostics(piece.source, piece.segments, context)
        out += [piece.shift.diagnostic(d) for d in found] if piece.shift.offset else found
    return out


def _independent(segments: list[ast.Segment], context: CheckContext) -> bool:
    names = [s.name.lower() for s in segments]
    own = set(names) | {s.title.lower() for s in segments}
    if len(set(names)) != len(names):
        return False  # E220 is the file's to report
    for seg in segments:
        for name in _references_of(seg):
            if name.lower() in own or not context.library.find(name):
                return False  # a reference into the file, or one the file's names explain
    return True


_references: dict[int, tuple[ast.Segment, tuple[str, ...]]] = {}


def _references_of(seg: ast.Segment) -> tuple[str, ...]:
    """The names ``seg``'s ``IN SEGMENT`` references use (kept: pieces' segments are re-used
    from one text to the next)."""
    found = _references.get(id(seg))
    if found is not None and found[0] is seg:
        return found[1]
    names = tuple(r.name for r in in_segment_references(seg.condition))
    if len(_references) > 50_000:
        _references.clear()
    _references[id(seg)] = (seg, names)
    return names


def walk(cond: ast.Condition) -> Iterator[ast.Condition]:
    """Every node of a condition, outermost first, left before right."""
    stack = [cond]
    while stack:  # left-deep chains can be long: no recursion
        node = stack.pop()
        yield node
        if isinstance(node, ast.BoolOp):
            stack += [node.right, node.left]
        elif isinstance(node, ast.Not):
            stack.append(node.operand)
        elif isinstance(node, ast.Group):
            stack.append(node.inner)


def in_segment_references(cond: ast.Condition) -> Iterator[ast.InSegment]:
    return (node for node in walk(cond) if isinstance(node, ast.InSegment))


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
    """Where the segment holding ``offset`` starts (0 when none does): from the pieces when
    the text parses (no need to assemble the tree), else from the tokens."""
    parsed = parse_result(text)
    if parsed.pieces is not None:
        start = 0
        for piece in parsed.pieces:
            if piece.shift.offset > offset:
                break
            for seg in piece.segments:
                if seg.span.start + piece.shift.offset > offset:
                    break
                start = seg.span.start + piece.shift.offset
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
    parsed = parse_result(text)
    if parsed.pieces is not None:
        return [(s.name, s.title) for p in parsed.pieces for s in p.segments]
    toks = tokens(text)
    found: list[tuple[str, str | None]] = []
    for i, tok in enumerate(toks):
        declares = tok.type == "SEGMENT" and (i == 0 or toks[i - 1].type != "IN")
        if declares and i + 1 < len(toks) and toks[i + 1].type == "IDENT":
            found.append((str(toks[i + 1]), None))
    return found
