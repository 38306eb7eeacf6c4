"""The segments of the editor's workspace: every ``.seg`` file under the folders the client
opened (an open document's text wins over its file on disk) plus the SYSTEM file
(``segdsl/system/rfm.seg``); what each declares and which segments it refers to.

A reference resolves as the checker resolves it (docs/language.md): a name before a title,
case ignored; the file's own segments first, then the other workspace files', then SYSTEM.
The checker resolves only against checked segments; the editor must also find its way in
files that do not check, so the same order is applied here to the declarations.

The same files give the checker its library: the segments of the workspace's other files
that check (:meth:`SegmentIndex.context`).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

from segdsl.catalog import StoreSchema
from segdsl.check.files import check_files
from segdsl.errors import Span
from segdsl.syntax.parser import token_span
from segdsl.syntax.parser import unquote as unquote_string
from segdsl.system import FILES as SYSTEM_FILES
from segdsl_lsp import analysis

RESCAN = 2.0  # seconds between looks at the folders on disk
_SKIP = {"node_modules", "__pycache__", "venv"}


def uri_to_path(uri: str) -> Path | None:
    parsed = urlparse(uri)
    return Path(unquote(parsed.path)) if parsed.scheme == "file" else None


def path_to_uri(path: Path) -> str:
    return path.resolve().as_uri()


@dataclass(frozen=True)
class Declaration:
    uri: str
    name: str
    title: str | None
    name_span: Span
    span: Span | None  # the whole segment (None when the file does not parse)
    system: bool = False
    description: str | None = None


@dataclass(frozen=True)
class Reference:
    uri: str
    name: str  # as written, without a title's quotes
    quoted: bool  # written as a title: "Title"
    name_span: Span


@dataclass(frozen=True)
class FileSymbols:
    declarations: tuple[Declaration, ...]
    references: tuple[Reference, ...]


def symbols_of(uri: str, text: str, system: bool = False) -> FileSymbols:
    """From the parse when the text parses; else from the grammar's tokens (best effort)."""
    parsed = analysis.parse(text)
    if parsed is not None:
        decls = tuple(Declaration(uri, s.name, s.title, s.name_span, s.span, system,
                                  s.description)
                      for s in parsed.segments)
        refs = tuple(Reference(uri, r.name, r.quoted, r.name_span)
                     for s in parsed.segments for r in analysis.in_segment_references(s.condition))
        return FileSymbols(decls, refs)
    toks = analysis.tokens(text)
    found_decls: list[Declaration] = []
    found_refs: list[Reference] = []
    for i in range(len(toks) - 1):
        tok, nxt = toks[i], toks[i + 1]
        if tok.type != "SEGMENT" or nxt.type not in ("IDENT", "STRING"):
            continue
        if i > 0 and toks[i - 1].type == "IN":
            quoted = nxt.type == "STRING"
            try:
                name = unquote_string(nxt) if quoted else str(nxt)
            except Exception:  # a bad escape: not a reference worth following
                continue
            found_refs.append(Reference(uri, name, quoted, token_span(nxt)))
        elif nxt.type == "IDENT":
            found_decls.append(Declaration(uri, str(nxt), None, token_span(nxt), None, system))
    return FileSymbols(tuple(found_decls), tuple(found_refs))


@functools.cache
def system_files() -> dict[str, str]:
    """The SYSTEM files by URI, and their text."""
    folder = resources.files("segdsl.system")
    out = {}
    for name in SYSTEM_FILES:
        entry = folder.joinpath(name)
        out[path_to_uri(Path(str(entry)))] = entry.read_text(encoding="utf-8")
    return out


class SegmentIndex:
    """The workspace's ``.seg`` files and their declarations and references."""

    def __init__(self, open_documents: Callable[[], dict[str, str]],
                 roots: Callable[[], list[Path]]):
        self._open = open_documents
        self._roots = roots
        self._scanned_roots: list[Path] = []
        self._disk: dict[Path, tuple[float, int, str]] = {}  # path -> (mtime, size, text)
        self._scanned_at = -RESCAN
        self._symbols: dict[str, tuple[str, FileSymbols]] = {}
        self._contexts: dict[str, tuple[tuple[tuple[str, str], ...],
                                        analysis.CheckContext]] = {}  # uri -> (texts, context)

    def invalidate(self) -> None:
        """Files changed on disk (or the folders did): look again at the next request."""
        self._scanned_at = -RESCAN

    def _scan(self) -> None:
        roots = self._roots()
        if roots == self._scanned_roots and time.monotonic() - self._scanned_at < RESCAN:
            return
        seen: dict[Path, tuple[float, int, str]] = {}
        for root in roots:
            for folder, dirs, files in os.walk(root):
                dirs[:] = [d for d in dirs if not d.startswith(".") and d not in _SKIP]
                for name in files:
                    if not name.endswith(".seg"):
                        continue
                    path = Path(folder, name).resolve()
                    try:
                        st = path.stat()
                        old = self._disk.get(path)
                        if old is not None and old[:2] == (st.st_mtime, st.st_size):
                            seen[path] = old
                        else:
                            seen[path] = (st.st_mtime, st.st_size,
                                          path.read_text(encoding="utf-8-sig"))
                    except (OSError, UnicodeDecodeError):
                        continue
        self._disk = seen
        self._scanned_roots = roots
        self._scanned_at = time.monotonic()

    def texts(self) -> dict[str, str]:
        """Every workspace file's text by URI: open documents over the files on disk."""
        self._scan()
        out = {path_to_uri(p): text for p, (_, _, text) in self._disk.items()}
        out.update(self._open())
        return out

    def symbols(self, uri: str, text: str) -> FileSymbols:
        cached = self._symbols.get(uri)
        if cached is not None and cached[0] == text:
            return cached[1]
        found = symbols_of(uri, text, system=uri in system_files())
        self._symbols[uri] = (text, found)
        return found

    def all_symbols(self) -> dict[str, FileSymbols]:
        files = {**system_files(), **self.texts()}
        return {uri: self.symbols(uri, text) for uri, text in files.items()}

    # --- resolution -------------------------------------------------------------------------
    def resolve(self, ref: Reference, everything: dict[str, FileSymbols] | None = None
                ) -> list[Declaration]:
        """The declarations ``ref`` means (several only when a title is ambiguous)."""
        everything = everything if everything is not None else self.all_symbols()
        own = everything.get(ref.uri, FileSymbols((), ()))
        others = [d for uri, fs in everything.items() if uri != ref.uri
                  for d in fs.declarations if not d.system]
        system = [d for fs in everything.values() for d in fs.declarations if d.system]
        key = ref.name.lower()
        for group in (own.declarations, others, system):
            named = [d for d in group if d.name.lower() == key]
            if named:
                return named[:1]
        for group in (own.declarations, others + system):
            titled = [d for d in group if d.title is not None and d.title.lower() == key]
            if titled:
                return titled
        return []

    def at(self, uri: str, text: str, offset: int) -> Declaration | Reference | None:
        """The declaration name or reference under ``offset`` of the file ``uri``."""
        fs = self.symbols(uri, text)
        items: list[Declaration | Reference] = [*fs.declarations, *fs.references]
        for item in items:
            if item.name_span.start <= offset <= item.name_span.end:
                return item
        return None

    def target(self, item: Declaration | Reference,
               everything: dict[str, FileSymbols] | None = None) -> list[Declaration]:
        return [item] if isinstance(item, Declaration) else self.resolve(item, everything)

    def references_to(self, decl: Declaration,
                      everything: dict[str, FileSymbols] | None = None) -> list[Reference]:
        everything = everything if everything is not None else self.all_symbols()
        return [r for fs in everything.values() for r in fs.references
                if decl in self.resolve(r, everything)]

    # --- the checker's library ----------------------------------------------------------------
    def context(self, uri: str, schema: StoreSchema | None = None) -> analysis.CheckContext:
        """The checker's context for ``uri``: SYSTEM plus the segments of every other workspace
        file, those files checked together (:func:`segdsl.check.files.check_files`, as
        ``segdsl refresh`` does): the ones that check, and the ones that do not as refusals,
        so that a reference to one says why it fails rather than that it is unknown.

        When another file refers to a segment of ``uri``, ``uri``'s own text is checked with
        them (and left out of the library), so a cycle through ``uri`` is found; otherwise
        ``uri``'s text cannot change what the others check to, and is left out, so the
        context stays the same while ``uri`` is edited (it is the pieces' cache key)."""
        texts = self.texts()
        others = tuple(sorted((u, t) for u, t in texts.items() if u != uri))
        key = others
        own = texts.get(uri)
        if own is not None and self._referred_to(uri, own, others):
            key = tuple(sorted((*others, (uri, own))))  # the files' order, as refresh has it
        cached = self._contexts.get(uri)
        if cached is not None and cached[0] == key and cached[1].schema is schema:
            return cached[1]
        found = check_files({_shown(u): t for u, t in key}, schema=schema,
                            library=analysis.system_library())
        library = found.library(analysis.system_library(), without=_shown(uri))
        context = analysis.CheckContext(library, schema)
        self._contexts[uri] = (key, context)
        return context

    def _referred_to(self, uri: str, text: str, others: tuple[tuple[str, str], ...]) -> bool:
        """Whether any of ``others`` names (or titles) a segment ``text`` declares."""
        declared = {d.name.lower() for d in self.symbols(uri, text).declarations}
        declared |= {d.title.lower() for d in self.symbols(uri, text).declarations if d.title}
        return any(r.name.lower() in declared
                   for u, t in others for r in self.symbols(u, t).references)


def _shown(uri: str) -> str:
    """A file as a diagnostic names it: its path (a URI that is not a file stays a URI)."""
    path = uri_to_path(uri)
    return str(path) if path is not None else uri
