"""Completion, driven by the core grammar: the LALR parser is fed the text before the cursor
and says which tokens may come next; each expected token becomes suggestions.

>>> labels = lambda text: [i.label for i in complete(text, len(text))]
>>> "orders" in labels('segment a "A" where ')
True
>>> ">" in labels('segment a "A" where name '), "CONTAINS" in labels('segment a "A" where name ')
(False, True)
>>> "champions" in labels('segment a "A" where IN SEGMENT ')
True
>>> "GB" in labels('segment a "A" where country = ')
True

With a store (``values``: distinct values by field, from :mod:`segdsl_lsp.store`), the
values of ``product_type``, ``collection`` and text custom attributes are offered too:

>>> text = 'segment a "A" where product_type IN ('
>>> [i.insert_text for i in complete(text, len(text), {"product_type": ("Gifts", "Toys")})
...  if i.kind == types.CompletionItemKind.Value]
['"Gifts"', '"Toys"']
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence

from lark import Token
from lark.exceptions import LarkError
from lsprotocol import types

from segdsl.catalog import FIELDS, Field, lookup
from segdsl.syntax.format import quote
from segdsl.syntax.parser import _lark
from segdsl_lsp import analysis

_WORD_BEFORE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = {"AND": "AND", "OR": "OR", "NOT": "NOT", "WHERE": "where", "SEGMENT": "segment",
             "DESCRIPTION": "description", "WINDOW": "window", "FROM": "from", "TO": "to",
             "TODAY": "today", "YESTERDAY": "yesterday"}
_VALUE_TOKENS = {"STRING", "NUMBER", "DATE", "REL_DATE"}


def _operators(field: Field | None) -> list[str]:
    ops = ["=", "!="]
    if field is None or field.type.ordered:
        ops += ["<", "<=", ">", ">=", "BETWEEN"]
    ops += ["IN", "NOT IN"]
    if field is None or field.type.textual:
        ops += ["CONTAINS", "STARTS WITH", "ENDS WITH"]
    return ops + ["IS NULL", "IS NOT NULL"]


def _expected(prefix: str) -> tuple[set[str], list[Token]] | None:
    """The terminals the grammar accepts after ``prefix`` and its tokens; None when the
    prefix itself is not valid."""
    parser = _lark().parse_interactive(prefix, start="file")
    toks: list[Token] = []
    try:
        for tok in parser.iter_parse():
            toks.append(tok)
        return set(parser.accepts()), toks  # type: ignore[no-untyped-call]
    except LarkError:
        return None


def _current_field(toks: list[Token]) -> Field | None:
    """The field of the comparison being written: the last identifier before the cursor."""
    for i in range(len(toks) - 1, -1, -1):
        tok = toks[i]
        if tok.type == "IDENT":
            if i >= 2 and toks[i - 1].type == "DOT":
                return None  # custom.<column>: any operator may apply
            return lookup(str(tok))
        if tok.type in ("AND", "OR", "WHERE", "NOT") and i < len(toks) - 1:
            break
    return None


def _current_key(toks: list[Token]) -> str | None:
    """The field of the comparison being written as the store's values are keyed: a
    catalog field's name, or ``custom.<column>`` (lower-cased)."""
    for i in range(len(toks) - 1, -1, -1):
        tok = toks[i]
        if tok.type == "IDENT":
            if i >= 2 and toks[i - 1].type == "DOT":
                return f"{toks[i - 2]}.{tok}".lower()
            found = lookup(str(tok))
            return found.name if found else None
        if tok.type in ("AND", "OR", "WHERE", "NOT") and i < len(toks) - 1:
            break
    return None


def _value_items(values: Sequence[str]) -> list[types.CompletionItem]:
    return [types.CompletionItem(label=v, kind=types.CompletionItemKind.Value,
                                 detail="in the store", insert_text=quote(v), filter_text=v)
            for v in values]


@functools.cache
def field_items() -> tuple[types.CompletionItem, ...]:
    return tuple(types.CompletionItem(
        label=f.name, kind=types.CompletionItemKind.Field, detail=str(f.type),
        documentation=f.doc) for f in FIELDS.values() if f.available)


def _keyword(label: str) -> types.CompletionItem:
    return types.CompletionItem(label=label, kind=types.CompletionItemKind.Keyword)


def _segment_items(text: str) -> list[types.CompletionItem]:
    items: dict[str, types.CompletionItem] = {}
    for name, title in analysis.segment_names(text):
        items.setdefault(name.lower(), types.CompletionItem(
            label=name, kind=types.CompletionItemKind.Reference, detail=title or "this file"))
    for seg in analysis.system_library():
        items.setdefault(seg.name.lower(), types.CompletionItem(
            label=seg.name, kind=types.CompletionItemKind.Reference,
            detail=f"SYSTEM: {seg.title}", documentation=seg.description))
    return list(items.values())


@functools.cache
def _country_items() -> tuple[types.CompletionItem, ...]:
    import pycountry

    return tuple(types.CompletionItem(
        label=c.alpha_2, kind=types.CompletionItemKind.Value, detail=c.name,
        insert_text=f'"{c.alpha_2}"', filter_text=f"{c.alpha_2} {c.name}")
        for c in pycountry.countries)


def complete(text: str, offset: int,
             values: Mapping[str, Sequence[str]] | None = None) -> list[types.CompletionItem]:
    """What may be written at ``offset`` of ``text``. The parser is fed only the segment
    being written (from its ``segment`` keyword): what comes before it cannot change what
    may follow, and a long file is not parsed again on every request."""
    prefix = text[analysis.segment_start(text, offset):offset]
    word = _WORD_BEFORE.search(prefix)
    if word:
        prefix = prefix[:word.start()]
    found = _expected(prefix)
    if found is None:
        return [*field_items(), *(_keyword(k) for k in ("AND", "OR", "NOT"))]
    expected, toks = found
    items: list[types.CompletionItem] = []
    last = [t.type for t in toks[-2:]]
    if "IDENT" in expected and last == ["IN", "SEGMENT"]:
        return _segment_items(text)
    if "IDENT" in expected and last[-1:] == ["SEGMENT"]:
        return []  # naming a new segment
    if "CMP_OP" in expected:
        field = _current_field(toks)
        items += [types.CompletionItem(label=op, kind=types.CompletionItemKind.Operator)
                  for op in _operators(field)]
    elif "IDENT" in expected and expected & _VALUE_TOKENS:
        field = _current_field(toks)
        if field is not None and field.country:
            items += _country_items()
        key = _current_key(toks)
        if values and key is not None and key in values:
            items += _value_items(values[key])
    elif "IDENT" in expected:
        items += field_items()
        if "IN" in expected:
            items.append(_keyword("IN SEGMENT"))
    items += [_keyword(_KEYWORDS[k]) for k in sorted(expected & _KEYWORDS.keys())]
    return items
