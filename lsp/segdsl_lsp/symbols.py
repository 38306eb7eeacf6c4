"""Document symbols: the file's segments, with their titles."""

from __future__ import annotations

from lsprotocol import types

from segdsl_lsp import analysis
from segdsl_lsp.positions import LineIndex


def document_symbols(text: str, encoding: str) -> list[types.DocumentSymbol]:
    parsed = analysis.parse(text)
    if parsed is None:
        return []
    index = LineIndex(text)
    return [types.DocumentSymbol(
        name=s.name, detail=s.title, kind=types.SymbolKind.Class,
        range=index.span_range(s.span, encoding),
        selection_range=index.span_range(s.name_span, encoding)) for s in parsed.segments]
