"""What `check`, `compile` and `run` read: --expr, a .seg file or a folder of them, and which
segments ``IN SEGMENT`` may name there.

A file (or folder) inside a workspace (the nearest ``segdsl.toml`` at or above it, else the
current folder's) is checked together with the workspace's other segment files, as
``segdsl refresh`` checks them, so a reference to a segment of another file is valid here as
it is there. A folder is every ``.seg`` file below it, checked together. Elsewhere a file is
checked on its own, against the SYSTEM segments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from segdsl.catalog import StoreSchema
from segdsl.check.checker import CheckResult, check_condition, check_file, check_window
from segdsl.check.files import check_files
from segdsl.check.typed import CheckedSegment
from segdsl.config import CONFIG_NAME, Config, load_config
from segdsl.errors import Diagnostic, SegmentError, UsageError
from segdsl.syntax import ast


@dataclass
class SegmentInput:
    origin: str  # what was asked for: the file, the folder, or <expr>
    expr: str | None = None
    files: dict[str, str] = field(default_factory=dict)  # the asked-for files: origin -> text
    context: dict[str, str] = field(default_factory=dict)  # the workspace's other files
    is_folder: bool = False

    @property
    def is_file(self) -> bool:
        """Segments with names (a file or a folder), not a bare condition."""
        return self.expr is None


def nearest_config(start: Path) -> Path | None:
    """The ``segdsl.toml`` in ``start`` or the nearest folder above it."""
    for folder in [start, *start.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder / CONFIG_NAME
    return None


def _read(path: Path, shown: str) -> str:
    try:
        # utf-8-sig: editors on Windows save a byte-order mark that is not part of the text.
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{shown}: no such file") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{shown}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UsageError(f"{shown}: cannot read: {err.strerror}") from None


def _seg_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.seg") if p.is_file())


def _workspace_files(target: Path) -> dict[Path, str]:
    """The segment files of the workspace ``target`` is in (none when it is in none)."""
    start = target.resolve() if target.is_dir() else target.resolve().parent
    config_path = nearest_config(start) or nearest_config(Path.cwd().resolve())
    if config_path is None:
        return {}
    config = load_config(config_path)
    folder = config.segments or config_path.parent / "segments"
    if not folder.is_dir():
        return {}
    return {p.resolve(): str(p) for p in _seg_files(folder)}


def read_input(file: str | None, expr: str | None) -> SegmentInput:
    if file and expr:
        raise UsageError("give either FILE or --expr, not both")
    if expr is not None:
        return SegmentInput("<expr>", expr=expr)
    if not file:
        raise UsageError("give a .seg FILE (or a folder of them) or --expr EXPR")
    path = Path(file)
    if path.is_dir():
        found = _seg_files(path)
        if not found:
            raise UsageError(f"{file}: no .seg files in this folder")
        asked = {p.resolve(): str(p) for p in found}
    else:
        asked = {path.resolve(): file}
    files = {shown: _read(p, shown) for p, shown in asked.items()}
    workspace = _workspace_files(path)
    context = {shown: _read(p, shown) for p, shown in workspace.items() if p not in asked}
    return SegmentInput(file, files=files, context=context, is_folder=path.is_dir())


@dataclass
class Checked:
    """The check of what was asked for: one result per file (or one for --expr)."""

    origin: str
    results: list[CheckResult]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def segments(self) -> list[CheckedSegment]:
        return [s for r in self.results for s in r.segments]

    @segments.setter
    def segments(self, chosen: list[CheckedSegment]) -> None:
        keep = {id(s) for s in chosen}
        for r in self.results:
            r.segments = [s for s in r.segments if id(s) in keep]

    def diagnostics(self) -> list[tuple[CheckResult, Diagnostic]]:
        return [(r, d) for r in self.results for d in r.diagnostics]

    def warnings(self) -> list[tuple[CheckResult, Diagnostic]]:
        return [(r, d) for r, d in self.diagnostics() if not d.is_error]

    def render(self, only_warnings: bool = False) -> list[str]:
        return [d.render(r.source, r.origin)
                for r, d in (self.warnings() if only_warnings else self.diagnostics())]

    def error(self) -> SegmentError:
        from segdsl.workspace.definitions import WorkspaceError

        failed = [SegmentError(r.diagnostics, r.source, r.origin) for r in self.results
                  if not r.ok]
        return failed[0] if len(failed) == 1 else WorkspaceError(failed)


def check_input(inp: SegmentInput, schema: StoreSchema | None, window: ast.Window | None,
                segment_name: str | None) -> Checked:
    """Check FILE, a folder or --expr; a CLI window overrides each segment's own."""
    from segdsl.system import system_segments

    library = system_segments()
    if inp.expr is not None:
        if segment_name:
            raise UsageError("--segment picks a segment of a FILE; it has no meaning with --expr")
        result = check_condition(inp.expr, schema=schema, window=window,
                                 origin=inp.origin, library=library)
        return Checked(inp.origin, [result])
    if len(inp.files) == 1 and not inp.context:
        [(origin, source)] = inp.files.items()
        results = [check_file(source, schema=schema, origin=origin,
                              library=library)]
    else:
        every = dict(sorted({**inp.context, **inp.files}.items(),
                            key=lambda item: str(Path(item[0]).resolve())))
        found = check_files(every, schema=schema, library=library)
        results = [found.files[origin] for origin in inp.files]
    checked = Checked(inp.origin, results)
    if window is not None and checked.ok:
        win = check_window(window, "", "--from/--to")
        for r in results:
            r.segments = [replace(s, window=win) for s in r.segments]
    if segment_name and checked.ok:
        chosen = [s for s in checked.segments if s.name.lower() == segment_name.lower()]
        if not chosen:
            names = ", ".join(s.name for s in checked.segments) or "none"
            raise UsageError(f"{inp.origin} has no segment named {segment_name!r} "
                             f"(it has: {names})")
        checked.segments = chosen
    return checked


def config_for(config_path: str | None, file: str | None) -> Config:
    """--config; else the workspace's ``segdsl.toml`` of FILE (the nearest at or above it);
    else the current folder's, when there is one."""
    if config_path:
        return load_config(Path(config_path))
    if file:
        path = Path(file).resolve()
        found = nearest_config(path if path.is_dir() else path.parent)
        if found is not None:
            return load_config(found)
    return load_config(None)
