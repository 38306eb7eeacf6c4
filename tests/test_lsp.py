"""The language server end to end: a real client talks JSON-RPC to `python -m segdsl_lsp`
over stdio (pytest-lsp)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

URI = "file:///tmp/test.seg"
TIMEOUT = 10.0


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m",
                                                              "segdsl_lsp"]))
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities()))
    yield lsp_client
    await lsp_client.shutdown_session()


async def diagnostics_for(client: LanguageClient, uri: str = URI) -> list[types.Diagnostic]:
    """Wait for the next publishDiagnostics of ``uri``."""
    async def wait() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)
    return await asyncio.wait_for(wait(), TIMEOUT)


async def open_doc(client: LanguageClient, text: str, uri: str = URI) -> list[types.Diagnostic]:
    waiting = asyncio.ensure_future(diagnostics_for(client, uri))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="segdsl", version=1,
                                             text=text)))
    return await waiting


def rng(line: int, start: int, end: int) -> types.Range:
    return types.Range(start=types.Position(line=line, character=start),
                       end=types.Position(line=line, character=end))


@pytest.mark.asyncio
async def test_diagnostic_range_counts_utf16_after_emoji_and_accents(client: LanguageClient
                                                                      ) -> None:
    # `"Café 😀"` is 8 code points but 9 UTF-16 units (the emoji is a surrogate pair).
    text = 'segment vip "Café 😀" where ordrs > 3'
    diags = await open_doc(client, text)
    assert [d.code for d in diags] == ["E201"]
    # Before `ordrs`: `segment vip ` (12) + `"Café 😀"` (9 units) + ` where ` (7) = 28.
    assert diags[0].range == rng(0, 28, 33)
    assert diags[0].severity == types.DiagnosticSeverity.Error
    assert "did you mean `orders`?" in diags[0].message

    waiting = asyncio.ensure_future(diagnostics_for(client))
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(
            text=text.replace("ordrs", "orders"))]))
    assert await waiting == []


@pytest.mark.asyncio
async def test_crlf_document(client: LanguageClient) -> None:
    text = 'segment a "A"\r\n  where orders > 3\r\nsegment b "Bé" where\r\n  aov > "x"\r\n'
    diags = await open_doc(client, text)
    assert [d.code for d in diags] == ["E21" + diags[0].code[-1]]
    assert diags[0].range.start.line == 3
    assert diags[0].range.start.character == 8  # `"x"` on `  aov > "x"`
    assert diags[0].range.end == types.Position(line=3, character=11)
    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(
        text_document=types.TextDocumentIdentifier(uri=URI)))
    assert symbols is not None
    assert [(s.name, s.detail) for s in symbols] == [("a", "A"), ("b", "Bé")]  # type: ignore[union-attr]
    first = symbols[0]
    assert isinstance(first, types.DocumentSymbol)
    assert first.selection_range == rng(0, 8, 9)
    assert first.range.start == types.Position(line=0, character=0)
    assert first.range.end == types.Position(line=1, character=18)


async def labels_at(client: LanguageClient, line: int, character: int) -> list[str]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=types.Position(line=line, character=character)))
    assert result is not None
    items = result.items if isinstance(result, types.CompletionList) else result
    return [i.label for i in items]


@pytest.mark.asyncio
async def test_completion_of_fields_at_end_and_on_empty_last_lines(client: LanguageClient
                                                                    ) -> None:
    await open_doc(client, 'segment a "A" where orders > 3 AND ')
    assert {"orders", "aov", "country"} <= set(await labels_at(client, 0, 35))


@pytest.mark.asyncio
async def test_completion_after_trailing_newline_and_on_empty_line(client: LanguageClient
                                                                    ) -> None:
    await open_doc(client, 'segment a "A"\n  where\n')
    labels = await labels_at(client, 2, 0)
    assert {"orders", "aov", "IN SEGMENT", "NOT"} <= set(labels)


@pytest.mark.asyncio
async def test_completion_on_empty_last_line_with_crlf(client: LanguageClient) -> None:
    await open_doc(client, 'segment a "😀"\r\n  where orders > 1 OR\r\n\r\n')
    assert "amount_spent" in await labels_at(client, 2, 0)
    assert "amount_spent" in await labels_at(client, 3, 0)


@pytest.mark.asyncio
async def test_field_completion_items_carry_type_and_doc(client: LanguageClient) -> None:
    await open_doc(client, 'segment a "A" where ')
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=URI),
        position=types.Position(line=0, character=20)))
    assert isinstance(result, types.CompletionList)
    aov = next(i for i in result.items if i.label == "aov")
    assert aov.kind == types.CompletionItemKind.Field
    assert aov.detail == "money"
    assert isinstance(aov.documentation, str) and "average order value" in aov.documentation


@pytest.mark.asyncio
async def test_operator_completion_follows_the_field_type(client: LanguageClient) -> None:
    await open_doc(client, 'segment a "A" where name \nsegment b "B" where orders ')
    text_ops = await labels_at(client, 0, 25)
    assert ">" not in text_ops and "BETWEEN" not in text_ops
    assert {"=", "CONTAINS", "STARTS WITH", "ENDS WITH"} <= set(text_ops)
    number_ops = await labels_at(client, 1, 27)
    assert {">", ">=", "BETWEEN"} <= set(number_ops) and "CONTAINS" not in number_ops


@pytest.mark.asyncio
async def test_segment_and_country_completion(client: LanguageClient) -> None:
    await open_doc(client, 'segment mine "Mine" where orders > 1\n'
                           'segment b "B" where IN SEGMENT \n'
                           'segment c "C" where country = \n'
                           'segment d "D" where country IN (')
    names = await labels_at(client, 1, 31)
    assert {"champions", "at_risk", "mine"} <= set(names)
    assert "GB" in await labels_at(client, 2, 30)
    assert "FR" in await labels_at(client, 3, 32)


@pytest.mark.asyncio
async def test_hover_on_field_and_on_or(client: LanguageClient) -> None:
    text = 'segment a "Ünïcode 😀" where orders >= 3 AND aov > 50 OR country = "IN"'
    await open_doc(client, text)

    async def hover(character: int) -> str:
        result = await client.text_document_hover_async(types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=URI),
            position=types.Position(line=0, character=character)))
        assert result is not None and isinstance(result.contents, types.MarkupContent)
        return result.contents.value

    # UTF-16: the emoji counts 2, so `aov` starts at code point 44 = unit 45.
    assert text.index("aov") == 44
    assert "money" in await hover(46)
    assert "average order value" in await hover(46)
    reading = await hover(text.index(" OR ") + 2 + 1)  # inside `OR` (+1: the emoji)
    assert "(orders >= 3 AND aov > 50) OR country = \"IN\"" in reading


def test_cli_lsp_command_refuses_a_bad_tcp_address() -> None:
    from click.testing import CliRunner

    from segdsl.cli.main import cli

    assert "--tcp HOST:PORT" in CliRunner().invoke(cli, ["lsp", "--help"]).output
    result = CliRunner().invoke(cli, ["lsp", "--tcp", "nope"])
    assert result.exit_code == 2 and "HOST:PORT" in result.output
