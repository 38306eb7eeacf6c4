"""The language server: pygls wiring around the feature modules.

Documents are synchronised in full; diagnostics are published when a document opens and,
debounced, after it changes; closing a document clears them.
"""

from __future__ import annotations

import asyncio

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from segdsl import __version__
from segdsl.errors import Diagnostic, Severity
from segdsl_lsp import analysis
from segdsl_lsp.completion import complete
from segdsl_lsp.hover import hover_text
from segdsl_lsp.positions import LineIndex, encoding_name
from segdsl_lsp.symbols import document_symbols

DEBOUNCE_SECONDS = 0.15


class SegdslServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("segdsl", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Full)
        self.pending: dict[str, asyncio.Task[None]] = {}

    @property
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        text = document.source
        result = analysis.check(text, document.filename or "<file>")
        index = LineIndex(text)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[to_lsp(d, index, self.encoding) for d in result.diagnostics]))

    def schedule(self, uri: str) -> None:
        if (task := self.pending.pop(uri, None)) is not None:
            task.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._later(uri))

    async def _later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.publish(uri)


def to_lsp(d: Diagnostic, index: LineIndex, encoding: str) -> types.Diagnostic:
    message = f"{d.message}\nhint: {d.hint}" if d.hint else d.message
    severity = (types.DiagnosticSeverity.Error if d.severity is Severity.ERROR
                else types.DiagnosticSeverity.Warning)
    return types.Diagnostic(range=index.span_range(d.span, encoding), message=message,
                            severity=severity, code=d.code, source="segdsl")


server = SegdslServer()


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SegdslServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SegdslServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SegdslServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if (task := ls.pending.pop(uri, None)) is not None:
        task.cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[" ", "(", ","]))
def completion(ls: SegdslServer, params: types.CompletionParams) -> types.CompletionList:
    text = ls.text(params.text_document.uri)
    pos = params.position
    offset = LineIndex(text).offset(pos.line, pos.character, ls.encoding)
    return types.CompletionList(is_incomplete=False, items=complete(text, offset))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: SegdslServer, params: types.HoverParams) -> types.Hover | None:
    text = ls.text(params.text_document.uri)
    pos = params.position
    found = hover_text(text, LineIndex(text).offset(pos.line, pos.character, ls.encoding))
    if found is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value=found))


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: SegdslServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    return document_symbols(ls.text(params.text_document.uri), ls.encoding)


def serve(tcp: tuple[str, int] | None = None) -> None:
    """Run the server on stdio, or on ``tcp`` = (host, port)."""
    if tcp is None:
        server.start_io()
    else:
        server.start_tcp(*tcp)
