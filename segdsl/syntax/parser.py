"""Text → syntax AST, with a span on every node, or syntax diagnostics in plain words.

>>> cond = parse_condition('orders >= 3 AND aov > 50 OR country = "IN"')
>>> cond.op, cond.left.op      # ((orders >= 3 AND aov > 50) OR country = "IN")
('or', 'and')
>>> parse_condition("aov > 50 AND")
Traceback (most recent call last):
...
segdsl.errors.SegmentError: the condition ends too early after `AND`; expected `not`, `(`, \
a field name or `in segment`
"""

from __future__ import annotations

import contextlib
import functools
import sys
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from segdsl.errors import Diagnostic, SegmentError, Severity, Span
from segdsl.syntax import ast
from segdsl.syntax.limits import MAX_COMPARISONS as MAX_COMPARISONS
from segdsl.syntax.limits import MAX_DEPTH as MAX_DEPTH
from segdsl.syntax.limits import MAX_NESTING as MAX_NESTING
from segdsl.syntax.limits import MAX_SOURCE_CHARS as MAX_SOURCE_CHARS
from segdsl.syntax.limits import point_span as point_span
from segdsl.syntax.limits import raw_text_diagnostics

RELATIVE_AMOUNT_CAP = 10**18  # stands for a relative amount too long to read as a number
# The limits (MAX_COMPARISONS, MAX_DEPTH) are counted exactly on the parse tree, without
# recursion, before any stage that recurses over it; limits.py judges the raw text first.
_NESTING_RULES = {"negation", "group"}
_CONDITION_ROOTS = {"condition_only", "segment"}


def grammar_text() -> str:
    """The grammar shipped in the wheel (segdsl/grammar) or, from a checkout, grammar/."""
    packaged = resources.files("segdsl").joinpath("grammar/segment.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "segment.lark").read_text("utf-8")


@functools.cache
def _lark() -> Lark:
    return Lark(grammar_text(), parser="lalr", start=["file", "condition_only", "window_only"],
                propagate_positions=True, maybe_placeholders=True)


def token_span(tok: Token) -> Span:
    return Span(tok.start_pos or 0, tok.end_pos or 0, tok.line or 1, tok.column or 1,
                tok.end_line or tok.line or 1, tok.end_column or tok.column or 1)


def _meta_span(meta: Any) -> Span:
    return Span(meta.start_pos, meta.end_pos, meta.line, meta.column, meta.end_line,
                meta.end_column)


class _SyntaxError(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


class _Description:
    def __init__(self, text: str, span: Span):
        self.text = text
        self.span = span


def _repeated(clause: str, span: Span, first: Span) -> None:
    """A clause given twice: refused, since one of the two would be silently ignored (and
    `segdsl fmt` would drop it)."""
    raise _SyntaxError(Diagnostic(
        "E221", Severity.ERROR, f"a second `{clause}` clause in this segment (the first is on "
        f"line {first.line})", span, hint="remove one: a segment has at most one "
        f"`{clause}`"))


def unquote(tok: Token) -> str:
    """The value of a string token; only ``\\"`` and ``\\\\`` are escapes."""
    body = tok.value[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\":
            nxt = body[i + 1] if i + 1 < len(body) else ""
            if nxt not in ('"', "\\"):
                span = token_span(tok)
                at = span.start + 1 + i
                bad = Span(at, at + 2, span.line, span.column + 1 + i, span.line,
                           span.column + 3 + i)
                raise _SyntaxError(Diagnostic(
                    "E103", Severity.ERROR, f"unknown escape `\\{nxt}` in a text value", bad,
                    hint='only \\" (a double quote) and \\\\ (a backslash) are escapes'))
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToAst(Transformer[Token, Any]):
    """Lark tree → :mod:`segdsl.syntax.ast` nodes."""

    # files and segments
    def file(self, meta: Any, children: list[ast.Segment]) -> ast.SegmentFile:
        return ast.SegmentFile(tuple(children))

    def condition_only(self, meta: Any, children: list[ast.Condition]) -> ast.Condition:
        return children[0]

    def window_only(self, meta: Any, children: list[Any]) -> ast.Window:
        start, end = children[0]
        return ast.Window(start, end, _meta_span(meta))

    def segment(self, meta: Any, children: list[Any]) -> ast.Segment:
        name_tok, title_tok = children[1], children[2]
        description: _Description | None = None
        window: ast.Window | None = None
        for clause in children[3:-2]:
            if isinstance(clause, ast.Window):
                if window is not None:
                    _repeated("window", clause.span, window.span)
                window = clause
            else:
                if description is not None:
                    _repeated("description", clause.span, description.span)
                description = clause
        return ast.Segment(name_tok.value, unquote(title_tok),
                           description.text if description else None, window,
                           children[-1], _meta_span(meta), token_span(name_tok))

    def description(self, meta: Any, children: list[Token]) -> _Description:
        return _Description(unquote(children[1]), _meta_span(meta))

    def window(self, meta: Any, children: list[Any]) -> ast.Window:
        start, end = children[1]
        return ast.Window(start, end, _meta_span(meta))

    def window_from(self, meta: Any, children: list[Any]) -> tuple[Any, Any]:
        return children[1], children[3]

    def window_to(self, meta: Any, children: list[Any]) -> tuple[Any, Any]:
        return None, children[1]

    # boolean structure
    def binary(self, meta: Any, children: list[Any]) -> ast.BoolOp:
        left, op, right = children
        return ast.BoolOp(op.value.lower(), left, right, _meta_span(meta), token_span(op))

    def negation(self, meta: Any, children: list[Any]) -> ast.Not:
        return ast.Not(children[1], _meta_span(meta))

    def group(self, meta: Any, children: list[Any]) -> ast.Group:
        return ast.Group(children[1], _meta_span(meta))

    # comparisons
    def compare(self, meta: Any, children: list[Any]) -> ast.Compare:
        field, op, value = children
        return ast.Compare(field, op.value, value, _meta_span(meta), token_span(op))

    def between(self, meta: Any, children: list[Any]) -> ast.Between:
        return ast.Between(children[0], children[2], children[4], _meta_span(meta))

    def in_list(self, meta: Any, children: list[Any]) -> ast.InList:
        return ast.InList(children[0], children[-1], False, _meta_span(meta))

    def not_in_list(self, meta: Any, children: list[Any]) -> ast.InList:
        return ast.InList(children[0], children[-1], True, _meta_span(meta))

    def value_list(self, meta: Any, children: list[Any]) -> tuple[Any, ...]:
        return tuple(c for c in children[1:-1] if c is not None and not isinstance(c, Token))

    def _text_match(self, kind: str, meta: Any, children: list[Any]) -> ast.TextMatch:
        return ast.TextMatch(children[0], kind, children[-1], _meta_span(meta))

    def contains(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("contains", meta, children)

    def starts_with(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("starts_with", meta, children)

    def ends_with(self, meta: Any, children: list[Any]) -> ast.TextMatch:
        return self._text_match("ends_with", meta, children)

    def is_null(self, meta: Any, children: list[Any]) -> ast.IsNull:
        return ast.IsNull(children[0], False, _meta_span(meta))

    def is_not_null(self, meta: Any, children: list[Any]) -> ast.IsNull:
        return ast.IsNull(children[0], True, _meta_span(meta))

    def in_segment(self, meta: Any, children: list[Token]) -> ast.InSegment:
        name = children[-1]
        quoted = name.type == "STRING"
        return ast.InSegment(unquote(name) if quoted else name.value, quoted, _meta_span(meta),
                             token_span(name))

    # fields and values
    def plain_field(self, meta: Any, children: list[Token]) -> ast.FieldName:
        return ast.FieldName(children[0].value, _meta_span(meta))

    def dotted_field(self, meta: Any, children: list[Token]) -> ast.FieldName:
        ns, _, part = children
        quoted = part.type == "STRING"
        name = unquote(part) if quoted else part.value
        return ast.FieldName(name, _meta_span(meta), namespace=ns.value, quoted=quoted)

    def number(self, meta: Any, children: list[Token]) -> ast.NumberLit:
        return ast.NumberLit(Decimal(children[0].value), children[0].value, _meta_span(meta))

    def string(self, meta: Any, children: list[Token]) -> ast.StringLit:
        return ast.StringLit(unquote(children[0]), _meta_span(meta))

    def date(self, meta: Any, children: list[Token]) -> ast.DateLit:
        return ast.DateLit(children[0].value, _meta_span(meta))

    def relative_date(self, meta: Any, children: list[Token]) -> ast.RelativeDateLit:
        text = children[0].value
        digits = text[1:-1].lstrip("0")
        # Python refuses to read an int of more than 4,300 digits; any amount past
        # RELATIVE_AMOUNT_CAP is refused by the checker (E218) whatever its exact value.
        amount = -int(digits or "0") if len(digits) <= 18 else -RELATIVE_AMOUNT_CAP
        return ast.RelativeDateLit(amount, text[-1].lower(), text, _meta_span(meta))

    def today(self, meta: Any, children: list[Token]) -> ast.RelativeDateLit:
        return ast.RelativeDateLit(0, "d", children[0].value, _meta_span(meta))

    def yesterday(self, meta: Any, children: list[Token]) -> ast.RelativeDateLit:
        return ast.RelativeDateLit(-1, "d", children[0].value, _meta_span(meta))


# --- syntax errors in words -------------------------------------------------------------------

_WORDS = {
    "AND": "`and`", "OR": "`or`", "NOT": "`not`", "BETWEEN": "`between`", "IN": "`in`",
    "CONTAINS": "`contains`", "STARTS": "`starts with`", "ENDS": "`ends with`",
    "WITH": "`with`", "IS": "`is`", "NULL": "`null`", "TODAY": "`today`",
    "YESTERDAY": "`yesterday`", "SEGMENT": "`segment`", "DESCRIPTION": "`description`",
    "WINDOW": "`window`", "FROM": "`from`", "TO": "`to`", "WHERE": "`where`",
    "CMP_OP": "a comparison (=, !=, <, <=, >, >=)", "LPAR": "`(`", "RPAR": "`)`",
    "COMMA": "`,`", "DOT": "`.`", "NUMBER": "a number", "STRING": "a text in double quotes",
    "DATE": "a date (YYYY-MM-DD)", "REL_DATE": "a relative date such as -30d",
    "IDENT": "a field name", "$END": "the end of the input",
}
_OPERATORS = {"CMP_OP", "BETWEEN", "IN", "CONTAINS", "STARTS", "ENDS", "IS"}
_VALUES = {"NUMBER", "STRING", "DATE", "REL_DATE", "TODAY", "YESTERDAY"}


def describe_expected(expected: set[str]) -> str:
    """Turn a set of grammar terminal names into an English list."""
    names = set(expected)
    parts: list[str] = []
    if names >= _OPERATORS:
        parts.append("an operator (=, !=, <, <=, >, >=, between, in, not in, contains, "
                     "starts with, ends with, is null)")
        names -= _OPERATORS | {"NOT"}
    if names >= _VALUES:
        parts.append("a value (number, text, date)" + (" or a field" if "IDENT" in names else ""))
        names -= _VALUES | {"IDENT"}
    if "SEGMENT" in names and "$END" in names:
        names -= {"$END"}
    # Where a condition starts, IN can only begin IN SEGMENT.
    in_segment = {"IN", "LPAR", "IDENT"} <= names
    names -= {"IN"} if in_segment else set()
    order = list(_WORDS)
    for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
        if name in ("AND", "OR") and {"AND", "OR"} <= names:
            if name == "AND":
                parts.append("`and`/`or`")
            continue
        parts.append(_WORDS.get(name, name.lower()))
    if in_segment:
        parts.append("`in segment`")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def _syntax_diagnostic(source: str, err: UnexpectedInput) -> Diagnostic:
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream or 0
        span = point_span(source, pos)
        ch = source[pos] if pos < len(source) else ""
        hint = None
        if ch == "'":
            hint = "text values are written in double quotes: \"like this\""
        elif ch == '"':
            return Diagnostic("E102", Severity.ERROR, "this text has no closing double quote",
                              span, hint='end the text with "')
        elif ch == "!":
            hint = "not-equal is written !="
        elif ch.isdigit():
            hint = ("numbers are written as plain decimals, such as 100000 or 0.5 (no exponent, "
                    "no thousands separator); dates as YYYY-MM-DD")
        return Diagnostic("E101", Severity.ERROR, f"unexpected character `{ch}`", span,
                          hint=hint or f"expected {describe_expected(set(err.allowed or ()))}")
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    expected_names = set(err.expected)
    if err.interactive_parser is not None:
        # LALR merges states, so err.expected can list tokens that would fail a step later;
        # accepts() simulates each candidate and keeps only the ones that really continue.
        with contextlib.suppress(Exception):  # a best-effort refinement of the message only
            expected_names = set(err.interactive_parser.accepts()) or expected_names  # type: ignore[no-untyped-call]
    expected = describe_expected(expected_names)
    before = source[:tok.start_pos].rstrip() if tok.type != "$END" else source.rstrip()
    if expected_names == {"IDENT", "STRING"} and before[-7:].lower() == "segment":
        # After IN SEGMENT the identifier is a segment's name, not a field's.
        expected = "a segment's name, or its title in double quotes"
    if tok.type == "$END":
        prev = source.rstrip()
        span = point_span(source, len(prev))
        last = prev.split()[-1] if prev.split() else ""
        after = f" after `{last}`" if last else ""
        what = "the input is empty" if not prev else f"the condition ends too early{after}"
        return Diagnostic("E100", Severity.ERROR, f"{what}; expected {expected}", span)
    span = token_span(tok)
    hint = None
    keyword = tok.type in _WORDS and tok.type not in _VALUES | {
        "IDENT", "NUMBER", "STRING", "LPAR", "RPAR", "COMMA", "DOT", "CMP_OP"}
    if keyword and "IDENT" in expected_names:
        hint = f"`{tok.value}` is a keyword; a custom column of that name is written " \
               f'custom."{tok.value}"'
    return Diagnostic("E100", Severity.ERROR, f"unexpected `{tok.value}`; expected {expected}",
                      span, hint=hint)


def _size(condition: Tree[Token]) -> tuple[int, int]:
    """(comparisons, deepest nesting) of a condition subtree. NOT, parentheses and every switch
    between AND and OR each nest one level: SQL needs a parenthesis for each of them."""
    comparisons, deepest = 0, 0
    stack: list[tuple[Tree[Token], int]] = [(condition, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data == "binary":
            op = node.children[1].type  # type: ignore[union-attr]
            for child in node.children:
                if isinstance(child, Tree):
                    switch = child.data == "binary" and \
                        child.children[1].type != op  # type: ignore[union-attr]
                    deepest = max(deepest, depth + switch)
                    stack.append((child, depth + switch))
        elif node.data in _NESTING_RULES:
            deepest = max(deepest, depth + 1)
            stack += [(c, depth + 1) for c in node.children if isinstance(c, Tree)]
        else:
            comparisons += _weight(node)
    return comparisons, deepest


def _weight(comparison: Tree[Token]) -> int:
    """How many comparisons a comparison stands for: one per value of an IN list, since SQL
    may need one per value (exact money compares by cross-multiplying, one value at a time),
    and a database caps the size and depth of a statement."""
    if comparison.data not in ("in_list", "not_in_list"):
        return 1
    values = next((c for c in comparison.children
                   if isinstance(c, Tree) and c.data == "value_list"), None)
    if values is None:
        return 1
    return max(1, sum(1 for c in values.children if c is not None and not (
        isinstance(c, Token) and c.type in ("LPAR", "RPAR", "COMMA"))))


def _limit_diagnostics(tree: Tree[Token]) -> list[Diagnostic]:
    roots = [tree] if tree.data in _CONDITION_ROOTS else \
        [t for t in tree.children if isinstance(t, Tree) and t.data == "segment"]
    out = []
    for root in roots:
        condition = root.children[-1]
        if not isinstance(condition, Tree):
            continue
        span = _meta_span(root.meta)
        comparisons, depth = _size(condition)
        if comparisons > MAX_COMPARISONS:
            out.append(Diagnostic("E106", Severity.ERROR, f"this condition has {comparisons:,} "
                                  f"comparisons (each value of an IN list counts as one); the "
                                  f"limit is {MAX_COMPARISONS:,}", span,
                                  hint="split it into several segments (IN SEGMENT combines "
                                  "them)"))
        elif depth > MAX_DEPTH:
            out.append(Diagnostic("E107", Severity.ERROR, f"the condition nests {depth:,} levels "
                                  "deep (NOT, parentheses and each switch between AND and OR); "
                                  f"the limit is {MAX_DEPTH}", span,
                                  hint="a double NOT cancels out; split deep conditions into "
                                  "segments"))
    return out


def _parse(source: str, start: str, origin: str) -> Any:
    refused = raw_text_diagnostics(source, start)
    if refused:
        raise SegmentError(refused, source, origin)
    # A chain of N comparisons is a left-deep tree N levels deep; the transformer below and
    # the later stages recurse over it, within the limits counted here.
    if sys.getrecursionlimit() < 10_000:
        sys.setrecursionlimit(10_000)
    try:
        tree: Tree[Token] = _lark().parse(source, start=start)
        too_big = _limit_diagnostics(tree) if start != "window_only" else []
        if too_big:
            raise SegmentError(too_big, source, origin)
        # No token callbacks are defined (tokens pass through as they are): skip looking them up.
        return _ToAst(visit_tokens=False).transform(tree)
    except UnexpectedInput as err:
        raise SegmentError([_syntax_diagnostic(source, err)], source, origin) from None
    except VisitError as err:
        if isinstance(err.orig_exc, _SyntaxError):
            raise SegmentError([err.orig_exc.diagnostic], source, origin) from None
        raise


def parse_condition(source: str, origin: str = "<expr>") -> ast.Condition:
    """Parse a bare condition (what ``--expr`` takes)."""
    result: ast.Condition = _parse(source, "condition_only", origin)
    return result


def parse_window(source: str, origin: str = "<window>") -> ast.Window:
    """Parse ``from D [to D]`` or ``to D`` (how the command line's --from/--to are read)."""
    result: ast.Window = _parse(source, "window_only", origin)
    return result


def parse_file(source: str, origin: str = "<file>") -> ast.SegmentFile:
    """Parse a ``.seg`` file: zero or more ``segment`` blocks."""
    result: ast.SegmentFile = _parse(source, "file", origin)
    return result
