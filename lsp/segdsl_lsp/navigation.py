"""Go to definition, find references and rename for segments, across the workspace
(:mod:`segdsl_lsp.index`). Positions are converted with each file's own line index.

Rename changes the declaration and every reference written by name; references written by
title (``IN SEGMENT "Champions"``) keep meaning the same segment and are left alone. It is
refused for a SYSTEM segment, for a new name that is not an identifier (or is a keyword), and
for one that another segment already has or that a title reference would start to mean.
"""

from __future__ import annotations

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from segdsl.errors import Span
from segdsl_lsp import analysis
from segdsl_lsp.errors import RequestFailed
from segdsl_lsp.index import Declaration, Reference, SegmentIndex, system_files
from segdsl_lsp.positions import LineIndex


class Navigator:
    def __init__(self, index: SegmentIndex, encoding: str):
        self.index = index
        self.encoding = encoding
        self.everything = index.all_symbols()
        self._texts = {**system_files(), **index.texts()}

    def _text(self, uri: str) -> str:
        return self._texts.get(uri, "")

    def location(self, uri: str, span: Span) -> types.Location:
        index = LineIndex(self._text(uri))
        return types.Location(uri=uri, range=index.span_range(span, self.encoding))

    def _under(self, uri: str, text: str, offset: int) -> Declaration | Reference | None:
        return self.index.at(uri, text, offset)

    def definition(self, uri: str, text: str, offset: int) -> list[types.Location]:
        item = self._under(uri, text, offset)
        if not isinstance(item, Reference):
            return []
        return [self.location(d.uri, d.name_span)
                for d in self.index.resolve(item, self.everything)]

    def references(self, uri: str, text: str, offset: int,
                   include_declaration: bool) -> list[types.Location]:
        item = self._under(uri, text, offset)
        if item is None:
            return []
        out = []
        for decl in self.index.target(item, self.everything):
            if include_declaration:
                out.append(self.location(decl.uri, decl.name_span))
            out += [self.location(r.uri, r.name_span)
                    for r in self.index.references_to(decl, self.everything)]
        return out

    def _renamable(self, uri: str, text: str, offset: int) -> tuple[Declaration, Span] | None:
        item = self._under(uri, text, offset)
        if item is None or (isinstance(item, Reference) and item.quoted):
            return None  # a title is not a name
        targets = self.index.target(item, self.everything)
        if len(targets) != 1 or targets[0].system:
            return None
        return targets[0], item.name_span

    def prepare_rename(self, uri: str, text: str,
                       offset: int) -> types.PrepareRenamePlaceholder | None:
        found = self._renamable(uri, text, offset)
        if found is None:
            return None
        decl, span = found
        index = LineIndex(text)
        return types.PrepareRenamePlaceholder(range=index.span_range(span, self.encoding),
                                              placeholder=decl.name)

    def rename(self, uri: str, text: str, offset: int, new_name: str) -> types.WorkspaceEdit:
        found = self._renamable(uri, text, offset)
        if found is None:
            raise RequestFailed("only a segment's name can be renamed here (not a "
                                       "title, not a SYSTEM segment)")
        decl = found[0]
        self._refuse(decl, new_name)
        changes: dict[str, list[types.TextEdit]] = {}

        def edit(file: str, span: Span) -> None:
            index = LineIndex(self._text(file))
            changes.setdefault(file, []).append(types.TextEdit(
                range=index.span_range(span, self.encoding), new_text=new_name))

        edit(decl.uri, decl.name_span)
        for ref in self.index.references_to(decl, self.everything):
            if not ref.quoted:
                edit(ref.uri, ref.name_span)
        return types.WorkspaceEdit(changes=changes)

    def _refuse(self, decl: Declaration, new_name: str) -> None:
        if not analysis.is_identifier(new_name):
            raise JsonRpcInvalidParams(f"`{new_name}` cannot name a segment: a name is letters, "
                                       "digits and _, not starting with a digit, and not a "
                                       "keyword")
        key = new_name.lower()
        for fs in self.everything.values():
            for other in fs.declarations:
                if other != decl and other.name.lower() == key:
                    where = "a SYSTEM segment" if other.system else f"in {other.uri}"
                    raise JsonRpcInvalidParams(f"a segment named `{other.name}` exists already "
                                               f"({where})")
        for ref in self._title_references(key):
            if decl not in self.index.resolve(ref, self.everything):
                raise JsonRpcInvalidParams(
                    f'`IN SEGMENT "{ref.name}"` in {ref.uri} (line {ref.name_span.line}) '
                    f"would then mean this segment: names win over titles")

    def _title_references(self, key: str) -> list[Reference]:
        return [r for fs in self.everything.values() for r in fs.references
                if r.quoted and r.name.lower() == key]

