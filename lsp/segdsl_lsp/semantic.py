"""Semantic tokens (full document), from the grammar's own lexer tokens, comments included.

Each token's kind is its terminal: keywords (the grammar's reserved words), comparison
operators, strings, numbers, dates (``number`` with the ``date`` modifier), comments. An
identifier is a field (``property``) unless the parse says it names a segment (``class``,
with ``declaration`` where the segment is declared); where the parse says a keyword-looking
word is a field (``custom.segment``) the parse wins. A text that does not parse is coloured
from its tokens alone.

>>> data = semantic_tokens('segment a "A" where orders > 3  # hi', "utf-16")
>>> [data[i:i + 5] for i in range(0, len(data), 5)][:3]
[[0, 0, 7, 0, 0], [0, 8, 1, 6, 1], [0, 2, 3, 3, 0]]
"""

from __future__ import annotations

from lark import Token

from segdsl.syntax import ast
from segdsl_lsp import analysis
from segdsl_lsp.positions import LineIndex, units

TOKEN_TYPES = ["keyword", "property", "operator", "string", "number", "comment", "class"]
TOKEN_MODIFIERS = ["declaration", "defaultLibrary", "date"]
KEYWORD, FIELD, OPERATOR, STRING, NUMBER, COMMENT, SEGMENT = range(len(TOKEN_TYPES))
DECLARATION, DATE = 1 << 0, 1 << 2
_FIXED = {"COMMENT": (COMMENT, 0), "STRING": (STRING, 0), "NUMBER": (NUMBER, 0),
          "DATE": (NUMBER, DATE), "REL_DATE": (NUMBER, DATE), "CMP_OP": (OPERATOR, 0),
          "TODAY": (KEYWORD, DATE), "YESTERDAY": (KEYWORD, DATE)}


def _roles(parsed: ast.SegmentFile) -> dict[int, tuple[int, int]]:
    """What the parse says about identifiers, by start offset."""
    roles: dict[int, tuple[int, int]] = {}
    for seg in parsed.segments:
        roles[seg.name_span.start] = (SEGMENT, DECLARATION)
        for node in analysis.walk(seg.condition):
            if isinstance(node, ast.InSegment) and not node.quoted:
                roles[node.name_span.start] = (SEGMENT, 0)
            operands = [getattr(node, a, None) for a in ("field", "value", "low", "high",
                                                         "pattern")]
            operands += list(node.values) if isinstance(node, ast.InList) else []
            for o in operands:
                if isinstance(o, ast.FieldName):
                    roles[o.span.start] = (FIELD, 0)  # `custom` and what follows the dot
                    roles[o.span.end - len(_last_part(o))] = (FIELD, 0)
    return roles


def _last_part(f: ast.FieldName) -> str:
    if f.namespace is None:
        return f.name
    return f.display[len(f.namespace) + 1:]


def _classify(tok: Token, prev: Token | None, roles: dict[int, tuple[int, int]] | None
              ) -> tuple[int, int] | None:
    start = tok.start_pos or 0
    if roles is not None and start in roles and tok.type != "STRING":
        return roles[start]
    if tok.type in _FIXED:
        return _FIXED[tok.type]
    if tok.type == "IDENT":
        if roles is None and prev is not None and prev.type == "SEGMENT":
            return SEGMENT, 0
        return FIELD, 0
    if tok.type.upper() in analysis.keywords():
        return KEYWORD, 0
    return None  # punctuation


def semantic_tokens(text: str, encoding: str) -> list[int]:
    """The LSP encoding: per token, (line delta, start delta, length, type, modifiers)."""
    parsed = analysis.parse(text)
    roles = _roles(parsed) if parsed is not None else None
    index = LineIndex(text)
    data: list[int] = []
    last_line = last_char = 0
    prev: Token | None = None
    for tok in analysis.tokens(text, comments=True):
        kind = _classify(tok, prev, roles)
        if tok.type != "COMMENT":
            prev = tok
        if kind is None:
            continue
        line, char = index.position(tok.start_pos or 0, encoding)
        data += [line - last_line, char - last_char if line == last_line else char,
                 units(str(tok), encoding), *kind]
        last_line, last_char = line, char
    return data
