"""Parsing a long file segment by segment, so that an edit re-parses only the segment edited.

The core parser (:func:`segdsl.syntax.parser.parse_file`) reads a whole file in one go; for a
file of thousands of lines that takes a second, too long to redo on every keystroke. The text
is cut before each ``segment`` keyword that starts a segment, each piece is parsed by the core
parser on its own and kept by its text, and the pieces' trees are moved to their place in the
file (their spans shifted). The result is what :func:`parse_file` gives for the whole text:

- a ``segment`` word starts a piece only where nothing but a new segment can follow (after a
  value, a name, ``)`` or ``null``): there the grammar accepts ``segment`` and no identifier,
  so the whole-file parser also reads it as the keyword; elsewhere (``where segment > 1``,
  ``custom.segment``) it is left inside the piece, which stays correct, only less
  incremental;
- every piece starts where the whole-file parser is between two segments, so its tokens and
  parser states are the ones of the whole-file parse; the first piece that fails holds the
  first error of the file, and it is parsed once more with the next ``segment`` keyword
  appended so that the error reads exactly as it does for the whole file;
- the size limits are per segment, except the nesting of parentheses counted on the raw text
  and the length of the text: a text over the length limit, or a piece that leaves a
  parenthesis open, is parsed whole.

>>> text = 'segment a "A" where orders > 1\\nsegment b "B" where aov > 2  # x\\n'
>>> parse_incremental(text) == parse_file(text)
True
>>> parse_incremental(text + "segment c")
Traceback (most recent call last):
...
segdsl.errors.SegmentError: the condition ends too early after `c`; expected a text in double \
quotes
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import OrderedDict
from dataclasses import dataclass, is_dataclass
from typing import Any, Literal, TypeVar

from lark import Token
from lark.exceptions import LarkError

from segdsl.errors import Diagnostic, Fix, SegmentError, Span
from segdsl.syntax import ast
from segdsl.syntax.parser import MAX_SOURCE_CHARS, _lark, parse_file

_CANDIDATE = re.compile(r"(?<!\w)segment(?!\w)", re.IGNORECASE)
_ENDS_CONDITION = {"NULL", "TODAY", "YESTERDAY"}
_CACHE_SIZE = 20_000
T = TypeVar("T")


def _scanner() -> re.Pattern[str]:
    # The grammar's own definitions of the tokens that may hide a `segment` word.
    terminals = {t.name: t.pattern.to_regexp() for t in _lark().terminals}
    return re.compile(f"(?P<s>{terminals['STRING']})|(?P<c>{terminals['COMMENT']})|"
                      r"(?P<w>\w+)|(?P<sp>\s+)|(?P<o>.)", re.DOTALL)


_SCAN: re.Pattern[str] | None = None
_LAST_WORD = re.compile(r"\w+\Z")


def _last_significant(text: str, start: int, end: int
                      ) -> tuple[str, str] | None | Literal[False]:
    """The last token other than spaces and comments in ``text[start:end]`` as (kind, text);
    None when there is none; False when ``end`` falls inside a string or a comment."""
    global _SCAN
    scan = _SCAN = _SCAN or _scanner()
    line = text[start:end]
    if '"' not in line and "#" not in line:  # no string or comment: read it from the end
        stripped = line.rstrip()
        if not stripped:
            return None
        word = _LAST_WORD.search(stripped)
        return ("w", word.group()) if word else ("o", stripped[-1])
    last: tuple[str, str] | None = None
    pos = start
    while pos < end:
        m = scan.match(text, pos)
        assert m is not None  # the last alternative matches any character
        if m.end() > end and m.lastgroup in ("s", "c"):
            return False
        if m.lastgroup not in ("sp", "c"):
            last = (m.lastgroup or "o", m.group())
        pos = m.end()
    return last


def _keywords() -> frozenset[str]:
    from segdsl_lsp.analysis import keywords

    return keywords()


def _is_boundary(text: str, at: int, breaks: list[int]) -> tuple[bool, int]:
    """Whether the ``segment`` at ``at`` surely starts a segment, and from where the text
    decided it. ``breaks``: the offsets of the text's line-break characters (strings and
    comments never span them)."""
    k = bisect.bisect_left(breaks, at)
    end = at
    while True:
        line_start = breaks[k - 1] + 1 if k > 0 else 0
        found = _last_significant(text, line_start, end)
        if found is False:
            return False, line_start  # inside a string or a comment
        if found is not None:
            break
        if k == 0:
            return True, 0  # nothing before it: the start of the file
        k -= 1  # nothing before it on its line: look at the line above
        end = breaks[k]
    kind, word = found
    if kind == "s":
        return True, line_start
    if kind == "w":
        if word[0].isdigit():
            return True, line_start
        upper = word.upper()
        return upper in _ENDS_CONDITION or upper not in _keywords(), line_start
    return word == ")", line_start


def _common_prefix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:  # halving on slices: each comparison is one memcmp
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


# The last text scanned: each `segment` candidate's decision and where its reading began.
_scanned: tuple[str, dict[int, tuple[bool, int]]] = ("", {})


@functools.lru_cache(maxsize=8)
def pieces(text: str) -> tuple[int, ...]:
    """Where the pieces start: 0, then before each ``segment`` that surely starts one.

    A decision reads the text from the start of the line holding the token before the
    candidate up to just after it; after an edit, a candidate whose reading lies wholly
    before or wholly after the edited region keeps the decision it had."""
    global _scanned
    old, decided = _scanned
    prefix = _common_prefix(old, text, min(len(old), len(text)))
    suffix = _common_suffix(old, text, min(len(old), len(text)) - prefix)
    delta, old_tail = len(text) - len(old), len(old) - suffix
    breaks: list[int] | None = None  # found when a decision must be made afresh
    now: dict[int, tuple[bool, int]] = {}
    starts: list[int] = []
    for m in _CANDIDATE.finditer(text):
        at = m.start()
        before = decided.get(at) if at + 8 <= prefix else None
        after = decided.get(at - delta) if at - delta >= old_tail else None
        if before is not None:
            decision = before
        elif after is not None and after[1] - 1 >= old_tail:
            decision = (after[0], after[1] + delta)
        else:
            if breaks is None:
                breaks = [m.start() for m in re.finditer(r"[\r\n]", text)]
            decision = _is_boundary(text, at, breaks)
        now[at] = decision
        if decision[0]:
            starts.append(at)
    _scanned = (text, now)
    return (0, *(s for s in starts[1:] if s > 0)) if starts else (0,)


# The order in which the whole-file parser reports problems: the nesting of parentheses is
# counted before parsing, a syntax error stops the parse, the size limits are judged on the
# parsed tree (all of them), and a bad escape is found while building the syntax tree.
_NESTING, _SYNTAX, _LIMITS, _ESCAPE = range(4)


def _kind(diagnostics: list[Diagnostic]) -> int:
    code = diagnostics[0].code
    return {"E105": _NESTING, "E106": _LIMITS, "E107": _LIMITS, "E103": _ESCAPE}.get(code,
                                                                                   _SYNTAX)


@dataclass(frozen=True)
class _Piece:
    segments: tuple[ast.Segment, ...]
    error: list[Diagnostic] | None
    kind: int | None  # _NESTING... for an error
    open_parentheses: bool


_pieces: OrderedDict[tuple[str, str], _Piece] = OrderedDict()
# The pieces as placed in the last text assembled, by (text, next word, offset, lines,
# columns moved).
_placed: dict[tuple[str, str, int, int, int], tuple[ast.Segment, ...]] = {}


def _remember(cache: OrderedDict[Any, T], key: Any, value: T) -> T:
    cache[key] = value
    if len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)
    return value


def _depth_left_open(piece: str) -> bool:
    depth = 0
    for m in re.finditer(r"[()]", piece):
        depth = depth + 1 if m.group() == "(" else max(0, depth - 1)
    return depth > 0


def _parse_piece(piece: str, next_word: str) -> _Piece:
    key = (piece, next_word)
    if key in _pieces:
        _pieces.move_to_end(key)
        return _pieces[key]
    try:
        result = _Piece(parse_file(piece).segments, None, None, _depth_left_open(piece))
    except SegmentError as err:
        error = list(err.diagnostics)
        span = error[0].span
        at_end = span is not None and span.start >= len(piece.rstrip())
        if next_word and _kind(error) == _SYNTAX and at_end:
            # The piece ended too early: in the whole file the parser meets the next
            # `segment` there instead, and says so.
            try:
                parse_file(piece + next_word)
            except SegmentError as longer:
                error = list(longer.diagnostics)
        result = _Piece((), error, _kind(error), _depth_left_open(piece))
    return _remember(_pieces, key, result)


_NODES = frozenset(c for c in vars(ast).values() if isinstance(c, type) and is_dataclass(c))


class _Shift:
    """Moves spans by ``offset`` characters and ``lines`` lines; on line ``first_line`` (the
    line a piece starts on, as the spans count it) columns move by ``columns`` too."""

    def __init__(self, offset: int, lines: int, columns: int, first_line: int = 1):
        self.offset, self.lines, self.columns, self.first = offset, lines, columns, first_line

    @classmethod
    def to(cls, start: int, line: int, column: int) -> _Shift:
        """From a piece's own spans to the file's, the piece starting at (line, column)."""
        return cls(start, line - 1, column - 1)

    @classmethod
    def back(cls, start: int, line: int, column: int) -> _Shift:
        """From the file's spans to those of the piece starting at (line, column)."""
        return cls(-start, 1 - line, 1 - column, line)

    def span(self, s: Span) -> Span:
        # Spans are frozen: build the copy's fields directly (much faster than __init__,
        # which matters when thousands of spans move after an edit near the top of a file).
        d = s.__dict__
        line, end_line, off = d["line"], d["end_line"], self.offset
        copy = object.__new__(Span)
        copy.__dict__.update(
            start=d["start"] + off, end=d["end"] + off, line=line + self.lines,
            column=d["column"] + self.columns if line == self.first else d["column"],
            end_line=end_line + self.lines,
            end_column=(d["end_column"] + self.columns if end_line == self.first
                        else d["end_column"]))
        return copy

    def node(self, node: Any) -> Any:
        fields = dict(node.__dict__)
        for name, value in fields.items():
            kind = type(value)
            if kind is Span:
                fields[name] = self.span(value)
            elif kind in _NODES:
                fields[name] = self.node(value)
            elif kind is tuple and value and type(value[0]) in _NODES:
                fields[name] = tuple(self.node(v) for v in value)
        copy = object.__new__(type(node))
        copy.__dict__.update(fields)  # a fresh copy of a frozen node, filled before use
        return copy

    def diagnostic(self, d: Diagnostic) -> Diagnostic:
        fix = Fix(self.span(d.fix.span), d.fix.replacement) if d.fix is not None else None
        return Diagnostic(d.code, d.severity, d.message,
                          self.span(d.span) if d.span is not None else None, d.hint, fix)


def _position(offset: int, lines: list[int]) -> tuple[int, int]:
    """Lark's (line, column) of ``offset``: lines counted on ``\\n``, 1-based."""
    row = bisect.bisect_right(lines, offset) - 1
    return row + 1, offset - lines[row] + 1


def _backfill(text: str, starts: tuple[int, ...], keys: list[tuple[str, str]],
              line_starts: list[int]) -> None:
    """A text mostly new (just opened, or pasted): one whole-file parse is much faster than
    parsing its pieces one by one; its segments, moved back to their pieces, fill the cache."""
    try:
        whole = parse_file(text)
    except SegmentError:
        return  # the pieces, parsed one by one, will find the same error
    by_piece: list[list[ast.Segment]] = [[] for _ in starts]
    for seg in whole.segments:
        by_piece[bisect.bisect_right(starts, seg.span.start) - 1].append(seg)
    for start, key, segs in zip(starts, keys, by_piece, strict=True):
        if key in _pieces:
            continue
        line, column = _position(start, line_starts)
        back = _Shift.back(start, line, column)
        _remember(_pieces, key, _Piece(tuple(back.node(s) for s in segs), None, None,
                                       _depth_left_open(key[0])))


@dataclass(frozen=True)
class Placed:
    """A piece of a text: its own text, where it sits, its segments with its own spans."""

    source: str
    next_word: str
    shift: _Shift
    segments: tuple[ast.Segment, ...]

    @property
    def key(self) -> tuple[str, str, int, int, int]:
        return (self.source, self.next_word, self.shift.offset, self.shift.lines,
                self.shift.columns)


def parse_pieces(text: str) -> list[Placed]:
    """The pieces of ``text``, each parsed (re-using those parsed before); raises
    :class:`SegmentError` with the diagnostics the whole-file parse gives."""
    if len(text) > MAX_SOURCE_CHARS:
        return [Placed(text, "", _Shift(0, 0, 0), parse_file(text).segments)]
    starts = pieces(text)
    ends = [*starts[1:], len(text)]
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    keys = [(text[a:b], text[b:b + len("segment")]) for a, b in zip(starts, ends, strict=True)]
    if sum(key not in _pieces for key in keys) > max(8, len(keys) // 2):
        _backfill(text, starts, keys, line_starts)
    errors: dict[int, list[Diagnostic]] = {}
    used: list[Placed] = []
    for start, end, (source, next_word) in zip(starts, ends, keys, strict=True):
        piece = _parse_piece(source, next_word)
        if piece.open_parentheses and end < len(text):
            # The nesting count runs across pieces: parse the text whole.
            return [Placed(text, "", _Shift(0, 0, 0), parse_file(text).segments)]
        shift = _Shift.to(start, *_position(start, line_starts))
        if piece.error is not None and piece.kind is not None:
            moved_errors = [shift.diagnostic(d) for d in piece.error]
            if piece.kind == _LIMITS:
                errors.setdefault(_LIMITS, []).extend(moved_errors)
            else:
                errors.setdefault(piece.kind, moved_errors)  # the first one counts
            continue
        used.append(Placed(source, next_word, shift, piece.segments))
    if errors:
        raise SegmentError(errors[min(errors)], text, "<file>")
    return used


def assemble(placed: list[Placed]) -> ast.SegmentFile:
    """The file's syntax tree: the pieces' segments with their spans moved into place (those
    of a piece that has not moved since the last call are re-used)."""
    global _placed
    segments: list[ast.Segment] = []
    now: dict[tuple[str, str, int, int, int], tuple[ast.Segment, ...]] = {}
    for piece in placed:
        moved = _placed.get(piece.key)
        if moved is None:
            moved = piece.segments if not piece.shift.offset else \
                tuple(piece.shift.node(s) for s in piece.segments)
        now[piece.key] = moved
        segments += moved
    _placed = now  # only what this text used: the next edit re-uses most of it
    return ast.SegmentFile(tuple(segments))


def parse_incremental(text: str) -> ast.SegmentFile:
    """:func:`parse_file` of ``text``, re-using the pieces parsed before."""
    return assemble(parse_pieces(text))


# --- tokens ------------------------------------------------------------------------------------

_lexed: OrderedDict[tuple[str, bool], tuple[tuple[Token, ...], bool]] = OrderedDict()


def _lex_piece(piece: str, comments: bool) -> tuple[tuple[Token, ...], bool]:
    """The piece's tokens (spaces left out) and whether the lexer read it to its end."""
    key = (piece, comments)
    if key in _lexed:
        _lexed.move_to_end(key)
        return _lexed[key]
    out: list[Token] = []
    complete = True
    try:
        for tok in _lark().lex(piece, dont_ignore=comments):
            if tok.type != "WS":
                out.append(tok)
    except LarkError:
        complete = False
    return _remember(_lexed, key, (tuple(out), complete))


def lex_incremental(text: str, comments: bool = False) -> list[Token]:
    """The grammar's (context-free) lexer over ``text``, up to the first character it refuses,
    piece by piece: pieces start outside strings and comments, so the tokens are the same."""
    starts = pieces(text)
    ends = [*starts[1:], len(text)]
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
    out: list[Token] = []
    for start, end in zip(starts, ends, strict=True):
        toks, complete = _lex_piece(text[start:end], comments)
        if start == 0:
            out += toks
        else:
            line, column = _position(start, line_starts)
            lines, columns = line - 1, column - 1
            out += [Token(t.type, t.value, (t.start_pos or 0) + start, (t.line or 1) + lines,
                          (t.column or 1) + (columns if t.line == 1 else 0),
                          (t.end_line or 1) + lines,
                          (t.end_column or 1) + (columns if t.end_line == 1 else 0),
                          (t.end_pos or 0) + start) for t in toks]
        if not complete:
            break
    return out
