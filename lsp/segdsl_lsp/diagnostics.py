"""The core's diagnostics as LSP diagnostics: the code (``E201``...), the severity, and the
hint on a second line of the message."""

from __future__ import annotations

from lsprotocol import types

from segdsl.errors import Diagnostic, Severity
from segdsl_lsp.positions import LineIndex


def to_lsp(d: Diagnostic, index: LineIndex, encoding: str) -> types.Diagnostic:
    message = f"{d.message}\nhint: {d.hint}" if d.hint else d.message
    severity = (types.DiagnosticSeverity.Error if d.severity is Severity.ERROR
                else types.DiagnosticSeverity.Warning)
    return types.Diagnostic(range=index.span_range(d.span, encoding), message=message,
                            severity=severity, code=d.code, source="segdsl")
