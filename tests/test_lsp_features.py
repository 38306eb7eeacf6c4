"""The language server's editing and workspace features end to end: a real client talks
JSON-RPC to `python -m segdsl_lsp` over stdio (pytest-lsp). Positions are UTF-16 (the LSP
default); texts put emoji and accents before what is asked about, and some use CRLF."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from segdsl.system import system_sources

TIMEOUT = 10.0
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "segdsl_lsp"])


# --- helpers (independent of the server's own position code) -----------------------------------

def utf16_offset(text: str, line: int, character: int) -> int:
    """The code-point offset of an LSP (UTF-16) position, counted here from scratch."""
    lines = re.split(r"(?<=\r\n)|(?<=\n)(?<!\r\n)|(?<=\r)(?!\n)", text)
    start = sum(len(x) for x in lines[:line])
    units = 0
    for i, ch in enumerate(lines[line] if line < len(lines) else ""):
        if units >= character:
            return start + i
        units += len(ch.encode("utf-16-le")) // 2
    return start + len(lines[line]) if line < len(lines) else len(text)


def utf16_position(text: str, offset: int) -> types.Position:
    before = text[:offset]
    line_start = max(before.rfind("\n"), before.rfind("\r")) + 1
    line = len(re.findall(r"\r\n|\n|\r", before))
    return types.Position(line=line,
                          character=len(before[line_start:].encode("utf-16-le")) // 2)


def apply(text: str, edits: list[types.TextEdit]) -> str:
    spans = sorted(((utf16_offset(text, e.range.start.line, e.range.start.character),
                     utf16_offset(text, e.range.end.line, e.range.end.character), e.new_text)
                    for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


async def open_doc(client: LanguageClient, uri: str, text: str) -> list[types.Diagnostic]:
    async def wait() -> list[types.Diagnostic]:
        while True:
            params = await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
            if params.uri == uri:
                return list(params.diagnostics)
    waiting = asyncio.ensure_future(asyncio.wait_for(wait(), TIMEOUT))
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="segdsl", version=1,
                                             text=text)))
    return await waiting


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


CAPABILITIES: dict[int, types.ServerCapabilities] = {}


async def start(client: LanguageClient, folder: Path | None) -> None:
    folders = [types.WorkspaceFolder(uri=folder.as_uri(), name=folder.name)] if folder else None
    result = await client.initialize_session(types.InitializeParams(
        capabilities=types.ClientCapabilities(), workspace_folders=folders))
    CAPABILITIES[id(client)] = result.capabilities


@pytest_lsp.fixture(config=SERVER)
async def client(lsp_client: LanguageClient) -> AsyncIterator[LanguageClient]:
    await start(lsp_client, None)
    yield lsp_client
    await lsp_client.shutdown_session()


URI = "file:///tmp/features.seg"


# --- formatting ----------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_formatting_is_one_whole_document_edit_with_explicit_parentheses(
        client: LanguageClient) -> None:
    text = 'SEGMENT vip "Café 😀"  WHERE Orders>=3 AND aov>50 OR country="IN"\r\n'
    await open_doc(client, URI, text)
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(URI), options=types.FormattingOptions(tab_size=2,
                                                                insert_spaces=True)))
    assert edits is not None and len(edits) == 1
    assert edits[0].range.start == types.Position(line=0, character=0)
    assert edits[0].range.end == types.Position(line=1, character=0)  # after the CRLF
    formatted = apply(text, edits)
    assert formatted == ('segment vip "Café 😀"\r\n'
                         '  where (orders >= 3 and aov > 50) or country = "IN"\r\n')
    # Formatting the result again changes nothing.
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=2),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=formatted)]))
    again = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(URI), options=types.FormattingOptions(tab_size=2,
                                                                insert_spaces=True)))
    assert not again


@pytest.mark.asyncio
async def test_no_formatting_edit_when_the_text_does_not_parse(client: LanguageClient) -> None:
    await open_doc(client, URI, 'segment vip "V" where orders >')
    edits = await client.text_document_formatting_async(types.DocumentFormattingParams(
        text_document=doc(URI), options=types.FormattingOptions(tab_size=2,
                                                                insert_spaces=True)))
    assert not edits


# --- code actions ------------------------------------------------------------------------------

async def actions_for(client: LanguageClient, uri: str, diagnostic: types.Diagnostic
                      ) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc(uri), range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))
    assert result is not None
    return [a for a in result if isinstance(a, types.CodeAction)]


@pytest.mark.asyncio
async def test_quick_fix_adds_the_parentheses_where_and_and_or_mix(client: LanguageClient
                                                                  ) -> None:
    text = 'segment é "Ünï 😀" where orders >= 3 AND aov > 50 OR country = "GB"'
    diags = await open_doc(client, URI, text)
    assert [d.code for d in diags] == ["W301"]
    # The warning sits on OR: 7 + `é ` + `"Ünï 😀"` (8 units) + ` where ` ... counted here.
    assert diags[0].range.start == utf16_position(text, text.index("OR"))
    actions = await actions_for(client, URI, diags[0])
    assert len(actions) == 1
    action = actions[0]
    assert action.kind == types.CodeActionKind.QuickFix
    assert action.diagnostics is not None and action.diagnostics[0].code == "W301"
    assert action.edit is not None and action.edit.changes is not None
    fixed = apply(text, action.edit.changes[URI])
    assert fixed == 'segment é "Ünï 😀" where (orders >= 3 AND aov > 50) OR country = "GB"'


@pytest.mark.asyncio
async def test_quick_fix_replaces_an_unknown_field_with_the_suggestion(client: LanguageClient
                                                                      ) -> None:
    text = 'segment a "😀😀"\r\n  where ordrs > 3 AND amount_spnt > 10\r\n'
    diags = await open_doc(client, URI, text)
    assert [d.code for d in diags] == ["E201", "E201"]
    second = diags[1]
    assert second.range.start == types.Position(line=1, character=22)
    actions = await actions_for(client, URI, second)
    assert [a.title for a in actions] == ["Replace with `amount_spent`"]
    assert actions[0].edit is not None and actions[0].edit.changes is not None
    fixed = apply(text, actions[0].edit.changes[URI])
    assert fixed == 'segment a "😀😀"\r\n  where ordrs > 3 AND amount_spent > 10\r\n'


# --- semantic tokens ------------------------------------------------------------------------------

@pytest.mark.asyncio
async def test_semantic_tokens_follow_the_lexer_in_utf16(client: LanguageClient) -> None:
    text = ('segment vip "Café 😀" # note\n'
            '  window from 2024-01-01\n'
            '  where orders >= 3 and custom.segment = "x" or IN SEGMENT champions\n')
    await open_doc(client, URI, text)
    result = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(URI)))
    assert result is not None
    legend = CAPABILITIES[id(client)].semantic_tokens_provider
    assert isinstance(legend, types.SemanticTokensOptions)
    type_names = legend.legend.token_types
    modifier_names = legend.legend.token_modifiers
    decoded: list[tuple[int, int, int, str, set[str]]] = []
    line = char = 0
    data = result.data
    for i in range(0, len(data), 5):
        dl, dc, length, kind, mods = data[i:i + 5]
        line += dl
        char = char + dc if dl == 0 else dc
        decoded.append((line, char, length, type_names[kind],
                        {m for b, m in enumerate(modifier_names) if mods & (1 << b)}))
    by_text = {}
    lines = text.split("\n")
    for ln, ch, length, kind, mods in decoded:
        units = lines[ln].encode("utf-16-le")
        by_text[(ln, units[2 * ch:2 * (ch + length)].decode("utf-16-le"))] = (kind, mods)
    assert by_text[(0, "segment")] == ("keyword", set())
    assert by_text[(0, "vip")] == ("class", {"declaration"})
    assert by_text[(0, '"Café 😀"')] == ("string", set())
    # The comment starts after the emoji: its UTF-16 column counts the surrogate pair.
    assert by_text[(0, "# note")] == ("comment", set())
    assert (0, 22, 6, "comment", set()) in decoded
    assert by_text[(1, "2024-01-01")] == ("number", {"date"})
    assert by_text[(2, "orders")] == ("property", set())
    assert by_text[(2, ">=")] == ("operator", set())
    assert by_text[(2, "3")] == ("number", set())
    # `segment` after `custom.` is a column name (the parse says so), not the keyword.
    assert by_text[(2, "segment")] == ("property", set())
    assert by_text[(2, "champions")] == ("class", set())
    assert by_text[(2, "SEGMENT")] == ("keyword", set())


# --- the workspace: references across files, rename ------------------------------------------

A_SEG = ('# the best ones 😀\n'
         'segment vip "Very Important"\n'
         '  where orders >= 5\n')
B_SEG = ('segment vip_gb "VIP in GB"\r\n'
         '  where IN SEGMENT vip AND country = "GB"\r\n'
         'segment vip_fr "VIP in FR"\r\n'
         '  where IN SEGMENT "Very Important" AND country = "FR"\r\n')


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "a.seg").write_text(A_SEG, encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.seg").write_bytes(B_SEG.encode("utf-8"))
    return tmp_path


@pytest_lsp.fixture(config=SERVER)
async def ws_client(lsp_client: LanguageClient, folder: Path) -> AsyncIterator[LanguageClient]:
    await start(lsp_client, folder)
    yield lsp_client
    await lsp_client.shutdown_session()


def at(text: str, needle: str, nth: int = 0, plus: int = 1) -> types.Position:
    offset = [m.start() for m in re.finditer(re.escape(needle), text)][nth]
    return utf16_position(text, offset + plus)


@pytest.mark.asyncio
async def test_definition_across_files_and_into_the_system_file(ws_client: LanguageClient,
                                                                folder: Path) -> None:
    # c.seg is open but not on disk; it refers to a.seg's segment and to a SYSTEM one.
    c_uri = (folder / "c.seg").as_uri()
    c_text = 'segment mine "Ça 😀" where IN SEGMENT VIP OR IN SEGMENT champions'
    assert await open_doc(ws_client, c_uri, c_text) == []  # `vip` of a.seg is known

    found = await ws_client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(c_uri), position=at(c_text, "VIP")))
    assert isinstance(found, list) and len(found) == 1
    assert isinstance(found[0], types.Location)
    assert found[0].uri == (folder / "a.seg").as_uri()
    assert found[0].range == types.Range(start=types.Position(line=1, character=8),
                                         end=types.Position(line=1, character=11))

    system = await ws_client.text_document_definition_async(types.DefinitionParams(
        text_document=doc(c_uri), position=at(c_text, "champions")))
    assert isinstance(system, list) and len(system) == 1 and isinstance(system[0],
                                                                         types.Location)
    assert system[0].uri.endswith("/segdsl/system/rfm.seg")
    rfm = system_sources()["rfm.seg"]
    line = next(i for i, ln in enumerate(rfm.splitlines()) if ln.startswith("segment champions"))
    assert system[0].range.start == types.Position(line=line, character=8)


@pytest.mark.asyncio
async def test_references_across_files_by_name_and_by_title(ws_client: LanguageClient,
                                                            folder: Path) -> None:
    a_uri, b_uri = (folder / "a.seg").as_uri(), (folder / "sub" / "b.seg").as_uri()
    await open_doc(ws_client, a_uri, A_SEG)
    refs = await ws_client.text_document_references_async(types.ReferenceParams(
        text_document=doc(a_uri), position=at(A_SEG, "vip"),
        context=types.ReferenceContext(include_declaration=True)))
    assert refs is not None
    got = sorted((r.uri, r.range.start.line, r.range.start.character, r.range.end.character)
                 for r in refs)
    assert got == sorted([(a_uri, 1, 8, 11),           # the declaration
                          (b_uri, 1, 19, 22),          # IN SEGMENT vip
                          (b_uri, 3, 19, 35)])         # IN SEGMENT "Very Important"


@pytest.mark.asyncio
async def test_open_document_wins_over_the_file_on_disk(ws_client: LanguageClient,
                                                        folder: Path) -> None:
    a_uri, b_uri = (folder / "a.seg").as_uri(), (folder / "sub" / "b.seg").as_uri()
    edited = B_SEG.replace("IN SEGMENT vip AND", "orders > 1 AND")  # unsaved: no longer refers
    await open_doc(ws_client, b_uri, edited)
    refs = await ws_client.text_document_references_async(types.ReferenceParams(
        text_document=doc(a_uri), position=at(A_SEG, "vip"),
        context=types.ReferenceContext(include_declaration=False)))
    assert refs is not None
    assert [(r.uri, r.range.start.line) for r in refs] == [(b_uri, 3)]


@pytest.mark.asyncio
async def test_a_cycle_through_another_file_is_reported_as_one(ws_client: LanguageClient,
                                                              folder: Path) -> None:
    # q (in q.seg) refers to p, and p (in p.seg) to q: checked together, q's reference to p
    # closes the cycle, so p's reference to q is refused with that reason, not as unknown.
    q_uri, p_uri = (folder / "q.seg").as_uri(), (folder / "p.seg").as_uri()
    await open_doc(ws_client, q_uri, 'segment q "Q" where orders > 1 and IN SEGMENT p')
    found = await open_doc(ws_client, p_uri, 'segment p "P" where IN SEGMENT q')
    q_path = folder.resolve() / "q.seg"
    assert [(d.code, d.message) for d in found] == [
        ("E233", f"segment `q` does not check ({q_path} line 1: segments refer to each other "
                 f"in a cycle: p → q → p)\nhint: fix `q` in {q_path} first")]
    assert found[0].range.start == types.Position(line=0, character=31)


@pytest.mark.asyncio
async def test_rename_changes_the_declaration_and_references_by_name(
        ws_client: LanguageClient, folder: Path) -> None:
    a_uri, b_uri = (folder / "a.seg").as_uri(), (folder / "sub" / "b.seg").as_uri()
    c_uri = (folder / "c.seg").as_uri()
    c_text = 'segment mine "Ça 😀" where IN SEGMENT Vip'
    await open_doc(ws_client, c_uri, c_text)
    prepared = await ws_client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=doc(c_uri), position=at(c_text, "Vip")))
    assert isinstance(prepared, types.PrepareRenamePlaceholder)
    assert prepared.placeholder == "vip"
    assert prepared.range == types.Range(start=at(c_text, "Vip", plus=0),
                                         end=at(c_text, "Vip", plus=3))

    edit = await ws_client.text_document_rename_async(types.RenameParams(
        text_document=doc(c_uri), position=at(c_text, "Vip"), new_name="très_vip"))
    assert edit is not None and edit.changes is not None
    assert set(edit.changes) == {a_uri, b_uri, c_uri}
    assert apply(A_SEG, edit.changes[a_uri]) == A_SEG.replace("segment vip", "segment très_vip")
    # The reference by title keeps meaning the same segment: left alone.
    assert apply(B_SEG, edit.changes[b_uri]) == B_SEG.replace("SEGMENT vip AND",
                                                              "SEGMENT très_vip AND")
    assert apply(c_text, edit.changes[c_uri]) == c_text.replace("Vip", "très_vip")


@pytest.mark.asyncio
async def test_rename_is_refused_where_it_cannot_be_done(ws_client: LanguageClient,
                                                         folder: Path) -> None:
    b_uri = (folder / "sub" / "b.seg").as_uri()
    await open_doc(ws_client, b_uri, B_SEG)

    async def prepare(pos: types.Position) -> Any:
        return await ws_client.text_document_prepare_rename_async(types.PrepareRenameParams(
            text_document=doc(b_uri), position=pos))
    assert await prepare(at(B_SEG, "country")) is None            # a field
    assert await prepare(at(B_SEG, "AND")) is None                # a keyword
    assert await prepare(at(B_SEG, '"Very Important"')) is None   # a title, not a name
    assert isinstance(await prepare(at(B_SEG, "vip_gb")), types.PrepareRenamePlaceholder)

    async def rename(new_name: str) -> str:
        with pytest.raises(Exception) as err:
            await ws_client.text_document_rename_async(types.RenameParams(
                text_document=doc(b_uri), position=at(B_SEG, "vip_gb"), new_name=new_name))
        return str(err.value)
    assert "cannot name a segment" in await rename("2fast")
    assert "cannot name a segment" in await rename("and")
    assert "cannot name a segment" in await rename("two words")
    assert "vip_fr" in await rename("VIP_FR")                    # another segment's name
    assert "SYSTEM" in await rename("champions")
    # `IN SEGMENT "Dee"` means the segment titled Dee; a segment named dee would win over it.
    d_uri = (folder / "d.seg").as_uri()
    await open_doc(ws_client, d_uri, 'segment d "Dee" where orders > 1\n'
                                     'segment e "E" where IN SEGMENT "Dee"\n')
    assert "names win over titles" in await rename("dee")
    assert isinstance(await ws_client.text_document_rename_async(types.RenameParams(
        text_document=doc(b_uri), position=at(B_SEG, "vip_gb"), new_name="vip_uk")),
        types.WorkspaceEdit)


@pytest.mark.asyncio
async def test_system_segments_cannot_be_renamed(client: LanguageClient) -> None:
    text = 'segment a "A" where IN SEGMENT champions'
    await open_doc(client, URI, text)
    prepared = await client.text_document_prepare_rename_async(types.PrepareRenameParams(
        text_document=doc(URI), position=at(text, "champions")))
    assert prepared is None


# --- a workspace with a real store -----------------------------------------------------------

@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`segdsl init --example`, a text custom attribute added, then `segdsl refresh --all`."""
    root = tmp_path_factory.mktemp("store") / "shop"
    cli = [sys.executable, "-c", "from segdsl.cli.main import main; main()"]
    subprocess.run([*cli, "init", "--example", str(root)], check=True, capture_output=True)
    con = duckdb.connect(str(root / "segdsl.duckdb"))
    con.execute("ALTER TABLE customers ADD COLUMN tier VARCHAR")
    con.execute("UPDATE customers SET tier = CASE WHEN country = 'GB' THEN 'Silver' "
                "ELSE 'Gold' END")
    con.close()
    (root / "segments" / "tiers.seg").write_text(
        'segment gold "Gold 😀 tier"\n  where custom.tier = "Gold"\n', encoding="utf-8")
    subprocess.run([*cli, "refresh", "--all"], check=True, capture_output=True, cwd=root)
    return root


@pytest_lsp.fixture(config=SERVER)
async def store_client(lsp_client: LanguageClient, store: Path
                       ) -> AsyncIterator[LanguageClient]:
    await start(lsp_client, store)
    yield lsp_client
    await lsp_client.shutdown_session()


def read_store(root: Path, sql: str) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(root / "segdsl.duckdb"), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


async def hover_at(client: LanguageClient, uri: str, pos: types.Position) -> str:
    result = await client.text_document_hover_async(types.HoverParams(
        text_document=doc(uri), position=pos))
    assert result is not None and isinstance(result.contents, types.MarkupContent)
    return result.contents.value


@pytest.mark.asyncio
async def test_hover_on_a_segment_header_shows_the_store_count(store_client: LanguageClient,
                                                               store: Path) -> None:
    uri = (store / "segments" / "examples.seg").as_uri()
    text = (store / "segments" / "examples.seg").read_text(encoding="utf-8")
    assert await open_doc(store_client, uri, text) == []
    [(count, refreshed)] = read_store(store, "SELECT member_count, refreshed_at FROM "
                                      "segdsl_segments WHERE segment = 'big_spenders'")
    shown = await hover_at(store_client, uri, at(text, "big_spenders"))
    assert "Big spenders" in shown
    assert f"{count:,} customers" in shown
    assert str(refreshed)[:16].replace("T", " ") in shown

    tiers_uri = (store / "segments" / "tiers.seg").as_uri()
    tiers = (store / "segments" / "tiers.seg").read_text(encoding="utf-8")
    assert await open_doc(store_client, tiers_uri, tiers) == []
    [(gold,)] = read_store(store, "SELECT count(*) FROM customers WHERE tier = 'Gold'")
    on_title = await hover_at(store_client, tiers_uri, at(tiers, "tier\"", plus=0))
    assert f"{gold:,} customers" in on_title  # on the title, after the emoji


@pytest.mark.asyncio
async def test_hover_on_a_header_without_a_store(ws_client: LanguageClient, folder: Path
                                                 ) -> None:
    a_uri = (folder / "a.seg").as_uri()
    await open_doc(ws_client, a_uri, A_SEG)
    shown = await hover_at(ws_client, a_uri, at(A_SEG, "vip"))
    assert shown.startswith("**vip** — Very Important") and "customers" not in shown


async def completion_labels(client: LanguageClient, uri: str, pos: types.Position
                            ) -> list[types.CompletionItem]:
    result = await client.text_document_completion_async(types.CompletionParams(
        text_document=doc(uri), position=pos))
    assert isinstance(result, types.CompletionList)
    return [i for i in result.items if i.kind == types.CompletionItemKind.Value]


@pytest.mark.asyncio
async def test_value_completion_from_the_store(store_client: LanguageClient, store: Path
                                               ) -> None:
    uri = (store / "segments" / "new.seg").as_uri()
    text = ('segment é "😀" where product_type IN (\r\n'
            'segment b "B" where collection = \n'
            'segment c "C" where custom.tier = \n'
            'segment d "D" where product_type =\n')
    await open_doc(store_client, uri, text)
    types_in_store = sorted(r[0] for r in read_store(
        store, "SELECT DISTINCT product_type FROM products WHERE product_type IS NOT NULL"))
    collections = sorted(r[0] for r in read_store(
        store, "SELECT DISTINCT collection FROM product_collections"))
    first = await completion_labels(store_client, uri, utf16_position(text, text.index("\r")))
    assert utf16_position(text, text.index("\r")).character == 38  # the emoji counts 2
    assert [i.label for i in first] == types_in_store and len(types_in_store) > 5
    assert first[0].insert_text == f'"{types_in_store[0]}"'
    second = await completion_labels(store_client, uri, types.Position(line=1, character=33))
    assert [i.label for i in second] == collections
    third = await completion_labels(store_client, uri, types.Position(line=2, character=34))
    tiers = sorted(r[0] for r in read_store(store, "SELECT DISTINCT tier FROM customers"))
    assert [i.label for i in third] == tiers == ["Gold", "Silver"]
    # On the empty last line, after the trailing newline.
    last = await completion_labels(store_client, uri, types.Position(line=4, character=0))
    assert [i.label for i in last] == types_in_store


@pytest.mark.asyncio
async def test_show_sql_for_the_segment_under_the_cursor(store_client: LanguageClient,
                                                          store: Path) -> None:
    uri = (store / "segments" / "examples.seg").as_uri()
    text = (store / "segments" / "examples.seg").read_text(encoding="utf-8")
    await open_doc(store_client, uri, text)
    position = at(text, "amount_spent")  # inside christmas_buyers
    result = await store_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="segdsl.showSql", arguments=[uri, {"line": position.line,
                                                   "character": position.character},
                                             "duckdb"]))
    assert result["segment"] == "christmas_buyers" and result["dialect"] == "duckdb"
    # Run it on the store: the same customers the refresh stored.
    members = {r[0] for r in read_store(store, result["sql"])}
    stored = {r[0] for r in read_store(store, "SELECT customer_id FROM segdsl_members "
                                       "WHERE segment = 'christmas_buyers'")}
    assert members == stored and len(stored) > 10

    pg = await store_client.workspace_execute_command_async(types.ExecuteCommandParams(
        command="segdsl.showSql", arguments=[uri, {"line": position.line,
                                                   "character": position.character},
                                             "tsql"]))
    assert pg["dialect"] == "tsql" and "[" in pg["sql"] and pg["sql"] != result["sql"]
    with pytest.raises(Exception, match="unknown dialect"):
        await store_client.workspace_execute_command_async(types.ExecuteCommandParams(
            command="segdsl.showSql", arguments=[uri, {"line": 0, "character": 0}, "nope"]))


@pytest.mark.asyncio
async def test_store_schema_judges_custom_attributes_and_offers_the_fix(
        store_client: LanguageClient, store: Path) -> None:
    uri = (store / "segments" / "draft.seg").as_uri()
    text = 'segment é "Ünï 😀" where custom.teir = "Gold" OR IN SEGMENT champions'
    diags = await open_doc(store_client, uri, text)
    assert [d.code for d in diags] == ["E202"]  # the store has `tier`, not `teir`
    assert diags[0].range.start == utf16_position(text, text.index("custom.teir"))
    actions = await actions_for(store_client, uri, diags[0])
    assert [a.title for a in actions] == ["Replace with `custom.tier`"]
    assert actions[0].edit is not None and actions[0].edit.changes is not None
    assert apply(text, actions[0].edit.changes[uri]) == text.replace("teir", "tier")
    # Hover on a reference to a SYSTEM segment: its stored count.
    [(count,)] = read_store(store, "SELECT member_count FROM segdsl_segments "
                            "WHERE segment = 'champions'")
    shown = await hover_at(store_client, uri, at(text, "champions"))
    assert "(SYSTEM)" in shown and f"{count:,} customers" in shown
