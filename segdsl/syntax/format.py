"""The formatter: one canonical layout for ``.seg`` files and bare conditions.

>>> print(format_source('SEGMENT vip "VIP"  WHERE Orders>=3 AND aov>50 OR country="IN"  # hi'))
segment vip "VIP"
  where (orders >= 3 and aov > 50) or country = "IN"  # hi
<BLANKLINE>
>>> format_condition('NOT  Orders  BETWEEN 1 AND 3')
'not orders between 1 and 3'

Layout rules (docs/cli.md, ``segdsl fmt``):

* keywords lower-case; built-in field names lower-case (they ignore case); ``custom.<col>``
  keeps the column's spelling and quoting; segment names as written;
* one space around operators, ``, `` between list values;
* ``segment name "Title"``, then ``description``, ``window`` and ``where`` indented by two
  spaces, in that order; one blank line between segments; ``\\n`` line ends unless the input's
  first line end is ``\\r\\n``;
* a ``where`` line longer than :data:`WIDTH` is broken before every AND/OR of the top-level
  chain (continuation lines indented by four); a group that is still too long is broken the
  same way, four deeper;
* where AND and OR are mixed without parentheses, the parentheses that the left-to-right rule
  implies are written (``a and b or c`` → ``(a and b) or c``); the author's own parentheses
  are all kept, even redundant ones: removing them is never needed for a canonical layout
  and keeping them cannot change the meaning;
* strings are re-escaped canonically (only ``\\"`` and ``\\\\``); numbers and dates are kept
  as written (relative dates with a lower-case unit);
* comments are kept: one that ends a line stays at the end of the output line holding the
  code before it; one on a line of its own goes above the output line holding the code after
  it (or at the end of the file). Blank lines around comments are kept (at most one) between
  segments and at the top and end of a file.

Text that does not parse is returned unchanged; :func:`format_document` also returns the
syntax diagnostics.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from segdsl.errors import Diagnostic, SegmentError, Span
from segdsl.syntax import ast
from segdsl.syntax.parser import parse_condition, parse_file

WIDTH = 80
_IDENT = re.compile(r"(?!\d)\w+")


@dataclass
class Formatted:
    """The formatted text (the input itself when it does not parse) and its diagnostics."""

    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.is_error for d in self.diagnostics)


def format_document(text: str, *, condition: bool = False) -> Formatted:
    """Format a ``.seg`` file (or, with ``condition=True``, a bare condition)."""
    try:
        if condition:
            return Formatted(_Formatter(text).condition(parse_condition(text)))
        return Formatted(_Formatter(text).file(parse_file(text)))
    except SegmentError as err:
        return Formatted(text, list(err.diagnostics))


def format_source(text: str) -> str:
    """The canonical layout of a ``.seg`` file; the text unchanged when it does not parse."""
    return format_document(text).text


def format_condition(text: str) -> str:
    """The canonical layout of a bare condition; the text unchanged when it does not parse."""
    return format_document(text, condition=True).text


# --- rendering -------------------------------------------------------------------------------

def quote(value: str) -> str:
    """A text literal with the canonical escapes: only ``\\`` and ``"`` are escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _lower_ident(name: str) -> str:
    # str.lower() can turn a letter into a letter plus a combining mark (İ → i̇), which is
    # no longer an identifier: keep such a name as written rather than break the file.
    low = name.lower()
    return low if _IDENT.fullmatch(low) else name


def _field(f: ast.FieldName) -> str:
    if f.namespace is None:
        return _lower_ident(f.name)
    return f"{_lower_ident(f.namespace)}.{quote(f.name) if f.quoted else f.name}"


def _operand(o: ast.Operand) -> str:
    match o:
        case ast.FieldName():
            return _field(o)
        case ast.StringLit():
            return quote(o.value)
        case ast.NumberLit() | ast.DateLit():
            return o.text
        case ast.RelativeDateLit():
            return o.text.lower()  # today, yesterday, -30d: the case never matters
    raise TypeError(o)


def _comparison(c: ast.Condition) -> str:
    match c:
        case ast.Compare():
            return f"{_field(c.field)} {c.op} {_operand(c.value)}"
        case ast.Between():
            return f"{_field(c.field)} between {_operand(c.low)} and {_operand(c.high)}"
        case ast.InList():
            values = ", ".join(_operand(v) for v in c.values)
            return f"{_field(c.field)} {'not in' if c.negated else 'in'} ({values})"
        case ast.TextMatch():
            word = c.kind.replace("_", " ")
            return f"{_field(c.field)} {word} {_operand(c.pattern)}"
        case ast.IsNull():
            return f"{_field(c.field)} is {'not ' if c.negated else ''}null"
        case ast.InSegment():
            return f"in segment {quote(c.name) if c.quoted else c.name}"
    raise TypeError(c)


@dataclass
class _Chain:
    """A run of one operator, ``first op x op y ...``; a ``_Chain`` as ``first`` stands for the
    parentheses that the left-to-right rule implies and that the formatter writes."""

    first: ast.Condition | _Chain
    rest: list[tuple[str, Span, ast.Condition]]

    @property
    def start(self) -> int:
        return _start(self.first)

    @property
    def end(self) -> int:
        return self.rest[-1][2].span.end if self.rest else _end(self.first)


def _start(x: ast.Condition | _Chain) -> int:
    return x.start if isinstance(x, _Chain) else x.span.start


def _end(x: ast.Condition | _Chain) -> int:
    return x.end if isinstance(x, _Chain) else x.span.end


def _chain(node: ast.Condition) -> _Chain:
    # The parser builds a left-deep tree; walk down its left spine without recursion.
    rest: list[tuple[str, Span, ast.Condition]] = []
    while isinstance(node, ast.BoolOp):
        rest.append((node.op, node.op_span, node.right))
        node = node.left
    chain = _Chain(node, [])
    for op, span, right in reversed(rest):
        if chain.rest and chain.rest[-1][0] != op:
            chain = _Chain(chain, [])  # the operator changes: what came before is grouped
        chain.rest.append((op, span, right))
    return chain


_Elem = ast.Condition | _Chain


def _flat(x: _Elem) -> str:
    if isinstance(x, _Chain):
        first = f"({_flat(x.first)})" if isinstance(x.first, _Chain) else _flat(x.first)
        return first + "".join(f" {op} {_flat(item)}" for op, _, item in x.rest)
    match x:
        case ast.BoolOp():
            return _flat(_chain(x))
        case ast.Group():
            return f"({_flat(x.inner)})"
        case ast.Not():
            return f"not {_flat(x.operand)}"
    return _comparison(x)


@dataclass
class _Line:
    text: str
    lo: int | None  # the source range of the code on the line, for placing comments
    hi: int | None
    header: bool = False  # a `segment` line: blank lines may go above it

    def cover(self, lo: int, hi: int) -> None:
        self.lo = lo if self.lo is None else min(self.lo, lo)
        self.hi = hi if self.hi is None else max(self.hi, hi)


def _render(x: _Elem, col: int, cont: int, *, force: bool = False) -> list[_Line]:
    """``x`` starting at column ``col``; continuation lines begin with ``cont`` spaces. The
    first line's text has no indentation (the caller writes what goes before it). ``force``
    breaks a chain even when it fits."""
    flat = _flat(x)
    chain = isinstance(x, ast.BoolOp) or (isinstance(x, _Chain) and bool(x.rest))
    breakable = isinstance(x, (_Chain, ast.BoolOp, ast.Group, ast.Not))
    if not breakable or (col + len(flat) <= WIDTH and not (force and chain)):
        return [_Line(flat, _start(x), _end(x))]
    if isinstance(x, ast.BoolOp):
        x = _chain(x)
    if isinstance(x, ast.Not):
        return _prefixed("not ", _render(x.operand, col + 4, cont), x.span.start)
    if isinstance(x, ast.Group) or (isinstance(x, _Chain) and not x.rest):
        inner: _Elem = x.inner if isinstance(x, ast.Group) else x.first
        lines = _render(inner, col + 1, cont)
        lines[-1].text += ")"
        lines[-1].cover(_end(x) - 1, _end(x))  # the closing parenthesis
        return _prefixed("(", lines, _start(x))
    assert isinstance(x, _Chain)  # what is left: a comparison never reaches here
    lines = _render_implied(x.first, col, cont + 4)
    for op, span, item in x.rest:
        head = " " * cont + op + " "
        lines += _prefixed(head, _render(item, len(head), cont + 4), span.start)
    return lines


def _render_implied(x: _Elem, col: int, cont: int) -> list[_Line]:
    if isinstance(x, _Chain):  # implied parentheses around a chain
        return _render(_Chain(x, []), col, cont)
    return _render(x, col, cont)


def _prefixed(prefix: str, lines: list[_Line], lo: int) -> list[_Line]:
    """``prefix`` written before the first line, whose code now starts at ``lo``."""
    lines[0].text = prefix + lines[0].text
    lines[0].cover(lo, lo + 1)
    return lines


# --- comments --------------------------------------------------------------------------------

@dataclass
class _Comment:
    text: str
    start: int
    trailing: bool  # code before it on its line
    blank_before: bool
    blank_after: bool


def _scan(source: str) -> tuple[str, list[_Comment]]:
    """The source with comments blanked out, and the comments. Only called on text that
    parsed, so every ``"`` outside a comment opens a one-line string token."""
    masked = list(source)
    comments: list[_Comment] = []
    lines = source.split("\n")  # how the lexer counts lines
    line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
    i = 0
    while i < len(source):
        ch = source[i]
        if ch == '"':
            # Blank the string's content too, so that no word in it passes for a keyword.
            start = i + 1
            i += 1
            while i < len(source) and source[i] != '"':
                i += 2 if source[i] == "\\" else 1
            masked[start:i] = " " * (i - start)
            i += 1
        elif ch == "#":
            end = i
            while end < len(source) and source[end] not in "\r\n":
                end += 1
            line_start = max(source.rfind("\n", 0, i), source.rfind("\r", 0, i)) + 1
            row = bisect.bisect_right(line_starts, i) - 1
            trailing = source[line_start:i].strip() != ""
            before = row > 0 and row - 1 < len(lines) and not lines[row - 1].strip()
            after = row + 1 < len(lines) and not lines[row + 1].strip()
            comments.append(_Comment(source[i:end].rstrip(), i, trailing, before, after))
            masked[i:end] = " " * (end - i)
            i = end
        else:
            i += 1
    return "".join(masked), comments


class _Formatter:
    def __init__(self, source: str):
        self.source = source
        self.masked, self.comments = _scan(source)
        first_end = re.search(r"\r?\n", source)
        self.newline = first_end.group() if first_end else "\n"
        self.anchors = sorted(self._anchor(c) for c in self.comments)

    def _keyword_before(self, offset: int, length: int) -> int:
        """The start of the keyword of ``length`` characters that ends just before the code at
        ``offset`` (whitespace and comments between them)."""
        return self._code_before(offset) + 1 - length

    def _code_before(self, offset: int) -> int:
        """The last code character before ``offset`` (comments are blank in ``masked``)."""
        i = offset - 1
        while i >= 0 and self.masked[i].isspace():
            i -= 1
        return i

    def _string_end(self, offset: int) -> int:
        """The end of the string token that starts at the first ``"`` from ``offset``."""
        # String contents are blanked in ``masked``: its next quote closes the string.
        return self.masked.index('"', self.masked.index('"', offset) + 1) + 1

    def segment(self, seg: ast.Segment) -> list[_Line]:
        title_end = self._string_end(seg.name_span.end)
        out = [_Line(f"segment {seg.name} {quote(seg.title)}", seg.span.start, title_end,
                     header=True)]
        where = self._keyword_before(seg.condition.span.start, len("where"))
        if seg.description is not None:
            # The description kept is the last one written (the parser keeps the last).
            found = [m.start() for m in re.finditer(r"(?i)\bdescription\b",
                                                    self.masked[title_end:where])]
            lo = title_end + found[-1] if found else title_end
            out.append(_Line(f"  description {quote(seg.description)}", lo,
                             self._string_end(lo)))
        if seg.window is not None:
            out.append(_Line("  window " + self._window(seg.window), seg.window.span.start,
                             seg.window.span.end))
        lines = _render(seg.condition, len("  where "), 4,
                        force=self._commented(where, seg.condition))
        lines = _prefixed("  where ", lines, where)
        return out + lines

    @staticmethod
    def _window(w: ast.Window) -> str:
        parts = []
        if w.start is not None:
            parts.append(f"from {_operand(w.start)}")
        if w.end is not None:
            parts.append(f"to {_operand(w.end)}")
        return " ".join(parts)

    def file(self, parsed: ast.SegmentFile) -> str:
        lines: list[_Line] = []
        for seg in parsed.segments:
            if lines:
                lines.append(_Line("", None, None))
            lines += self.segment(seg)
        return self._finish(lines, file=True)

    def condition(self, cond: ast.Condition) -> str:
        return self._finish(_render(cond, 0, 2,
                                    force=self._commented(cond.span.start, cond)),
                            file=False)

    def _commented(self, lo: int, cond: ast.Condition) -> bool:
        """Whether a comment goes with the code after ``lo`` and up to the last top-level
        AND/OR of ``cond``. Such a condition is broken before each top-level AND/OR so that
        comments written between its parts stay between them. A comment above the condition
        or after its last AND/OR lands in the same place in either layout, and which code a
        comment goes with does not depend on the layout: so the rule is idempotent."""
        chain = _chain(cond)
        if not chain.rest:
            return False
        last_op = chain.rest[-1][1].start
        k = bisect.bisect_right(self.anchors, lo)
        return k < len(self.anchors) and self.anchors[k] <= last_op

    def _anchor(self, c: _Comment) -> int:
        """The code a comment goes with: the code before it on its line (a trailing comment)
        or the code after it (a comment on a line of its own; -1 at the end of the text)."""
        if c.trailing:
            return self._code_before(c.start)
        i = c.start
        while i < len(self.masked) and self.masked[i].isspace():
            i += 1
        return i if i < len(self.masked) else -1

    def _finish(self, lines: list[_Line], *, file: bool) -> str:
        before: dict[int, list[str]] = {}  # standalone comments, above line index
        tail: list[str] = []
        trailing: dict[int, list[str]] = {}
        code = sorted((ln.lo, i) for i, ln in enumerate(lines) if ln.lo is not None)
        for c in self.comments:
            anchor = self._anchor(c)
            if c.trailing:
                trailing.setdefault(self._line_of(lines, code, anchor, before=True),
                                    []).append(c.text)
                continue
            at: int | None = None if anchor < 0 else \
                self._line_of(lines, code, anchor, before=False)
            # Blank lines are kept around comments only where they separate segments.
            spaced = at is None or lines[at].header
            group = ([""] if spaced and c.blank_before else []) + [c.text] + \
                ([""] if spaced and c.blank_after else [])
            if at is None:
                tail += group
            else:
                indent = lines[at].text[:len(lines[at].text) - len(lines[at].text.lstrip())]
                before.setdefault(at, []).extend(indent + g if g else g for g in group)
        out: list[str] = []
        for i, ln in enumerate(lines):
            out += before.get(i, [])
            out.append(ln.text + "".join("  " + t for t in trailing.get(i, [])))
        out += tail
        # at most one blank line in a row, none at the start or the end
        text_lines: list[str] = []
        for s in out:
            if s == "" and (not text_lines or text_lines[-1] == ""):
                continue
            text_lines.append(s)
        while text_lines and text_lines[-1] == "":
            text_lines.pop()
        if not text_lines:
            return ""
        body = self.newline.join(text_lines)
        return body + self.newline if file else body

    @staticmethod
    def _line_of(lines: list[_Line], code: list[tuple[int, int]], offset: int, *,
                 before: bool) -> int:
        """The line whose code covers ``offset`` (``code``: (start, line index), sorted; the
        lines' ranges never overlap). Failing that (a clause written twice, of which the
        parser keeps the last), the nearest line before it (``before``) or after it."""
        if not code:
            return 0
        k = bisect.bisect_right(code, (offset, len(lines))) - 1
        if k >= 0 and offset < (lines[code[k][1]].hi or 0):
            return code[k][1]
        if before:
            return code[max(k, 0)][1]
        return code[min(k + 1, len(code) - 1)][1]
