"""The language server: pygls wiring around the feature modules.

Documents are synchronised in full; diagnostics are published when a document opens and,
debounced, after it changes; closing a document clears them. A file is checked against the
SYSTEM segments and the segments of the workspace's other files, and, when it lies in a segdsl
workspace whose database holds a store, against that store's schema.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer

from segdsl import __version__
from segdsl.check.checker import CheckResult
from segdsl.config import CONFIG_NAME
from segdsl.errors import Diagnostic
from segdsl_lsp import analysis, semantic
from segdsl_lsp.actions import code_actions
from segdsl_lsp.commands import SHOW_SQL, show_sql
from segdsl_lsp.completion import complete
from segdsl_lsp.diagnostics import to_lsp
from segdsl_lsp.formatting import format_edits
from segdsl_lsp.hover import hover_text, segment_header, segment_hover
from segdsl_lsp.index import Declaration, Reference, SegmentIndex, uri_to_path
from segdsl_lsp.navigation import Navigator
from segdsl_lsp.positions import LineIndex, encoding_name, line_index
from segdsl_lsp.store import Snapshot, Stores
from segdsl_lsp.symbols import document_symbols

# Long enough to skip the checks of a burst of keystrokes, short enough to stay well inside
# the 100 ms a change should take to show (benchmarks/lsp.py measures it).
DEBOUNCE_SECONDS = 0.03
log = logging.getLogger(__name__)


class SegdslServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("segdsl", __version__,
                         text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.pending: dict[str, asyncio.Task[None]] = {}
        self.index = SegmentIndex(self.open_texts, self.roots)
        self.stores = Stores()

    @property
    def encoding(self) -> str:
        return encoding_name(self.workspace.position_encoding)

    def open_texts(self) -> dict[str, str]:
        return {uri: doc.source for uri, doc in self.workspace.text_documents.items()}

    def roots(self) -> list[Path]:
        found = [uri_to_path(f.uri) for f in self.workspace.folders.values()]
        if not found and self.workspace.root_uri:
            found = [uri_to_path(self.workspace.root_uri)]
        return [p for p in found if p is not None]

    def text(self, uri: str) -> str:
        return self.workspace.get_text_document(uri).source

    def offset(self, uri: str, pos: types.Position) -> tuple[str, int]:
        text = self.text(uri)
        return text, line_index(text).offset(pos.line, pos.character, self.encoding)

    def snapshot(self, uri: str) -> Snapshot | None:
        path = uri_to_path(uri)
        return self.stores.snapshot(path) if path is not None else None

    def context(self, uri: str) -> analysis.CheckContext:
        """What the document is checked against: the other files' segments, the store."""
        snapshot = self.snapshot(uri)
        return self.index.context(uri, snapshot.schema if snapshot else None)

    def result(self, uri: str) -> CheckResult:
        """The document checked in its workspace (its checked segments, for the SQL)."""
        document = self.workspace.get_text_document(uri)
        return analysis.check(document.source, document.filename or "<file>",
                              self.context(uri))

    def diagnostics(self, uri: str) -> list[Diagnostic]:
        document = self.workspace.get_text_document(uri)
        return analysis.diagnostics(document.source, document.filename or "<file>",
                                    self.context(uri))

    def publish(self, uri: str) -> None:
        document = self.workspace.get_text_document(uri)
        index = line_index(document.source)
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(
            uri=uri, version=document.version,
            diagnostics=[to_lsp(d, index, self.encoding) for d in self.diagnostics(uri)]))

    def schedule(self, uri: str) -> None:
        if (task := self.pending.pop(uri, None)) is not None:
            task.cancel()
        self.pending[uri] = asyncio.get_running_loop().create_task(self._later(uri))

    async def _later(self, uri: str) -> None:
        await asyncio.sleep(DEBOUNCE_SECONDS)
        self.pending.pop(uri, None)
        self.publish(uri)

    def navigator(self) -> Navigator:
        return Navigator(self.index, self.encoding)


server = SegdslServer()


# --- documents -------------------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: SegdslServer, params: types.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: SegdslServer, params: types.DidChangeTextDocumentParams) -> None:
    ls.schedule(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: SegdslServer, params: types.DidSaveTextDocumentParams) -> None:
    ls.index.invalidate()


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: SegdslServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if (task := ls.pending.pop(uri, None)) is not None:
        task.cancel()
    ls.index.invalidate()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def watched_files(ls: SegdslServer, params: types.DidChangeWatchedFilesParams) -> None:
    ls.index.invalidate()
    if any(change.uri.endswith(CONFIG_NAME) for change in params.changes):
        ls.stores.forget_config()


# --- reading -----------------------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[" ", "(", ","]))
def completion(ls: SegdslServer, params: types.CompletionParams) -> types.CompletionList:
    text, offset = ls.offset(params.text_document.uri, params.position)
    snapshot = ls.snapshot(params.text_document.uri)
    return types.CompletionList(is_incomplete=False, items=complete(
        text, offset, snapshot.values if snapshot else None))


def _markdown(value: str | None) -> types.Hover | None:
    if value is None:
        return None
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown,
                                                    value=value))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: SegdslServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    text, offset = ls.offset(uri, params.position)
    parsed = analysis.parse(text)
    target: Declaration | None = None
    if parsed is not None:
        header = segment_header(parsed, text, offset)
        if header is not None:
            target = Declaration(uri, header.name, header.title, header.name_span,
                                 header.span, description=header.description)
    if target is None:
        under = ls.index.at(uri, text, offset)
        if isinstance(under, Reference):
            found = ls.index.resolve(under)
            target = found[0] if len(found) == 1 else None
    if target is None:
        return _markdown(hover_text(text, offset))
    snapshot = ls.snapshot(uri)
    state = snapshot.states.get(target.name.lower()) if snapshot else None
    return _markdown(segment_hover(target.name, target.title, target.description,
                                   system=target.system, state=state,
                                   has_store=snapshot is not None))


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def symbols(ls: SegdslServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    return document_symbols(ls.text(params.text_document.uri), ls.encoding)


@server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL,
                types.SemanticTokensLegend(token_types=semantic.TOKEN_TYPES,
                                           token_modifiers=semantic.TOKEN_MODIFIERS))
def semantic_tokens(ls: SegdslServer, params: types.SemanticTokensParams
                    ) -> types.SemanticTokens:
    return types.SemanticTokens(data=semantic.semantic_tokens(
        ls.text(params.text_document.uri), ls.encoding))


# --- editing -----------------------------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: SegdslServer, params: types.DocumentFormattingParams
               ) -> list[types.TextEdit]:
    return format_edits(ls.text(params.text_document.uri), ls.encoding)


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def actions(ls: SegdslServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    uri = params.text_document.uri
    text = ls.text(uri)
    index = line_index(text)
    start = index.offset(params.range.start.line, params.range.start.character, ls.encoding)
    end = index.offset(params.range.end.line, params.range.end.character, ls.encoding)
    return code_actions(uri, text, ls.diagnostics(uri), start, end, ls.encoding)


# --- segments across the workspace --------------------------------------------------------------

@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: SegdslServer, params: types.DefinitionParams) -> list[types.Location]:
    text, offset = ls.offset(params.text_document.uri, params.position)
    return ls.navigator().definition(params.text_document.uri, text, offset)


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def references(ls: SegdslServer, params: types.ReferenceParams) -> list[types.Location]:
    text, offset = ls.offset(params.text_document.uri, params.position)
    return ls.navigator().references(params.text_document.uri, text, offset,
                                     params.context.include_declaration)


@server.feature(types.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: SegdslServer, params: types.PrepareRenameParams
                   ) -> types.PrepareRenamePlaceholder | None:
    text, offset = ls.offset(params.text_document.uri, params.position)
    return ls.navigator().prepare_rename(params.text_document.uri, text, offset)


@server.feature(types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True))
def rename(ls: SegdslServer, params: types.RenameParams) -> types.WorkspaceEdit:
    text, offset = ls.offset(params.text_document.uri, params.position)
    return ls.navigator().rename(params.text_document.uri, text, offset, params.new_name)


@server.command(SHOW_SQL)
def show_sql_command(ls: SegdslServer, *args: Any) -> dict[str, Any]:
    """Arguments: uri, {"line", "character"}, [dialect]."""
    try:
        uri, pos = str(args[0]), args[1]
        position = types.Position(line=int(_get(pos, "line")),
                                  character=int(_get(pos, "character")))
    except (IndexError, KeyError, TypeError, ValueError):
        raise JsonRpcInvalidParams(f"{SHOW_SQL} takes a document URI, a position "
                                   "{line, character} and optionally a dialect") from None
    dialect = str(args[2]) if len(args) > 2 and args[2] is not None else None
    text, offset = ls.offset(uri, position)
    path = uri_to_path(uri)
    ws = ls.stores.workspace(path) if path is not None else None
    return show_sql(analysis.parse(text), ls.result(uri), offset, dialect, ws,
                    ls.snapshot(uri))


def _get(obj: Any, key: str) -> Any:
    return obj[key] if isinstance(obj, dict) else getattr(obj, key)


def serve(tcp: tuple[str, int] | None = None) -> None:
    """Run the server on stdio, or on ``tcp`` = (host, port)."""
    if tcp is None:
        server.start_io()
    else:
        server.start_tcp(*tcp)


__all__ = ["DEBOUNCE_SECONDS", "LineIndex", "SegdslServer", "serve", "server"]
