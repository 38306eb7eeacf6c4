"""Quick fixes: the edits the checker's diagnostics carry (:class:`segdsl.errors.Fix`), such
as the parentheses where AND and OR are mixed (W301), the suggested field for an unknown one
(E201, E202) or segment (E230). Each action names the diagnostic it fixes.

>>> from segdsl_lsp import analysis
>>> text = 'segment a "A" where ordrs > 3'
>>> [a.title for a in code_actions("file:///a.seg", text, analysis.diagnostics(text), 0, len(text),
...                                "utf-16")]
['Replace with `orders`']
"""

from __future__ import annotations

from lsprotocol import types

from segdsl.errors import Diagnostic
from segdsl_lsp.diagnostics import to_lsp
from segdsl_lsp.positions import LineIndex


def _title(d: Diagnostic) -> str:
    assert d.fix is not None
    if d.code == "W301":
        return "Add parentheses to make the grouping explicit"
    return f"Replace with `{d.fix.replacement}`"


def code_actions(uri: str, text: str, diagnostics: list[Diagnostic], start: int, end: int,
                 encoding: str) -> list[types.CodeAction]:
    """The fixes of the diagnostics that touch the offsets ``start``..``end``."""
    index = LineIndex(text)
    actions = []
    for d in diagnostics:
        if d.fix is None or d.span is None:
            continue
        if d.span.end < start or d.span.start > end:
            continue
        edit = types.TextEdit(range=index.span_range(d.fix.span, encoding),
                              new_text=d.fix.replacement)
        actions.append(types.CodeAction(
            title=_title(d), kind=types.CodeActionKind.QuickFix,
            diagnostics=[to_lsp(d, index, encoding)], is_preferred=True,
            edit=types.WorkspaceEdit(changes={uri: [edit]})))
    return actions
