"""Hover: a field's type and meaning; on AND/OR, how the chain around it groups (AND and OR
share one precedence level and apply strictly left to right).

>>> text = 'segment a "A" where orders >= 3 AND aov > 50 OR country = "IN"'
>>> print(hover_text(text, text.index("OR")))
`AND`/`OR` apply strictly left to right; this chain reads:
```
(orders >= 3 AND aov > 50) OR country = "IN"
```
>>> hover_text(text, text.index("aov")).splitlines()[0]
'**aov**: money'

On a segment's header (``segment name "Title"``) and on a reference to a segment, what the
segment is and, when the workspace has a store, its count and last refresh
(:func:`segment_hover`; the server supplies the state).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from segdsl.catalog import lookup
from segdsl.errors import Span
from segdsl.syntax import ast
from segdsl.syntax.parser import _lark
from segdsl.workspace.state import SegmentState
from segdsl_lsp import analysis


def _inside(span: Span, offset: int) -> bool:
    return span.start <= offset < span.end


def _children(node: ast.Condition) -> Iterator[ast.Condition]:
    if isinstance(node, ast.BoolOp):
        yield node.left
        yield node.right
    elif isinstance(node, ast.Not | ast.Group):
        yield node.operand if isinstance(node, ast.Not) else node.inner


def _fields(node: ast.Condition) -> Iterator[ast.FieldName]:
    for attr in ("field", "value", "low", "high", "pattern"):
        value = getattr(node, attr, None)
        if isinstance(value, ast.FieldName):
            yield value
    if isinstance(node, ast.InList):
        yield from (v for v in node.values if isinstance(v, ast.FieldName))


def _reading(node: ast.Condition, text: str, top: bool = True) -> str:
    if isinstance(node, ast.BoolOp):
        inner = (f"{_reading(node.left, text, False)} {node.op.upper()} "
                 f"{_reading(node.right, text, False)}")
        return inner if top else f"({inner})"
    return " ".join(text[node.span.start:node.span.end].split())


def _field_hover(name: ast.FieldName) -> str | None:
    if name.namespace is not None:
        return f"**{name.display}**: a custom attribute (an extra column of `customers`)"
    field = lookup(name.name)
    if field is None:
        return None
    return f"**{field.name}**: {field.type}\n\n{field.doc}"


def _in_condition(cond: ast.Condition, text: str, offset: int,
                  chain: ast.BoolOp | None) -> str | None:
    if isinstance(cond, ast.BoolOp):
        chain = chain or cond
        if _inside(cond.op_span, offset):
            return ("`AND`/`OR` apply strictly left to right; this chain reads:\n```\n"
                    f"{_reading(chain, text)}\n```")
        for child in _children(cond):
            if _inside(child.span, offset):
                return _in_condition(child, text, offset, chain)
        return None
    for child in _children(cond):  # NOT and parentheses start a new chain
        if _inside(child.span, offset):
            return _in_condition(child, text, offset, None)
    for name in _fields(cond):
        if _inside(name.span, offset):
            return _field_hover(name)
    return None


def hover_text(text: str, offset: int) -> str | None:
    parsed = analysis.parse(text)
    if parsed is None:  # still show a field's meaning while the file has a syntax error
        for tok in analysis.tokens(text):
            if tok.type == "IDENT" and (tok.start_pos or 0) <= offset < (tok.end_pos or 0):
                field = lookup(str(tok))
                return f"**{field.name}**: {field.type}\n\n{field.doc}" if field else None
        return None
    for segment in parsed.segments:
        if _inside(segment.condition.span, offset):
            return _in_condition(segment.condition, text, offset, None)
    return None


@functools.cache
def _title_pattern() -> re.Pattern[str]:
    string = next(t for t in _lark().terminals if t.name == "STRING")
    return re.compile(r"\s*(" + string.pattern.to_regexp() + ")")


def segment_header(parsed: ast.SegmentFile, text: str, offset: int) -> ast.Segment | None:
    """The segment whose header (``segment name "Title"``) holds ``offset``."""
    for seg in parsed.segments:
        end = seg.name_span.end
        title = _title_pattern().match(text, end)
        if title is not None:
            end = title.end()
        if seg.span.start <= offset <= end:
            return seg
    return None


def segment_hover(name: str, title: str | None, description: str | None, *, system: bool,
                  state: SegmentState | None, has_store: bool) -> str:
    head = f"**{name}**" + (f" — {title}" if title else "") + (" (SYSTEM)" if system else "")
    parts = [head]
    if description:
        parts.append(description)
    if state is not None:
        at = state.refreshed_at.strftime("%Y-%m-%d %H:%M UTC")
        parts.append(f"{state.count:,} customers, last refreshed {at} "
                     f"(+{state.entered:,} / -{state.left:,}; window {state.window})")
    elif has_store:
        parts.append("not refreshed yet (`segdsl refresh`)")
    return "\n\n".join(parts)
