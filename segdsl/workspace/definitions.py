"""What a workspace defines: the SYSTEM segments shipped with segdsl and the CUSTOM ones in
its ``segments/`` folder, each with a hash of its definition text (a changed hash forces a
refresh)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from segdsl.catalog import StoreSchema
from segdsl.check.files import check_files
from segdsl.check.typed import CheckedSegment
from segdsl.errors import SegmentError, UsageError
from segdsl.system import system_segments

SYSTEM = "SYSTEM"
CUSTOM = "CUSTOM"


@dataclass(frozen=True)
class Definition:
    segment: CheckedSegment
    kind: str
    origin: str

    @property
    def name(self) -> str:
        return self.segment.name

    @property
    def text(self) -> str:
        return self.segment.source

    @property
    def hash(self) -> str:
        """The definition's fingerprint, including every segment it refers to (transitively):
        a segment whose referenced segment changed has changed too, and must be refreshed."""
        return hashlib.sha256(_fingerprint(self.segment).encode("utf-8")).hexdigest()


def _fingerprint(segment: CheckedSegment) -> str:
    # Trailing spaces and line endings do not change what a segment means.
    own = "\n".join(line.rstrip() for line in segment.source.strip().splitlines())
    refs = sorted(segment.references, key=lambda s: s.name.lower())
    return own + "".join(f"\n--refers to {r.name}:\n{_fingerprint(r)}" for r in refs)


@functools.cache
def _system() -> tuple[Definition, ...]:
    # The SYSTEM files ship inside the package and never change while it runs: check once.
    return tuple(Definition(s, SYSTEM, "<system>") for s in system_segments())


def system_definitions() -> list[Definition]:
    return list(_system())


def read_segment_files(folder: Path) -> dict[str, str]:
    """Every ``*.seg`` file below ``folder`` (sorted by path): its path as text → its text."""
    if not folder.is_dir():
        raise UsageError(f"the workspace's segments folder {folder} does not exist; create it "
                         "or fix `segments` in segdsl.toml")
    sources: dict[str, str] = {}
    for path in sorted(folder.rglob("*.seg")):
        try:
            sources[_shown(path)] = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: cannot read: {err}") from None
    return sources


def _shown(path: Path) -> str:
    """``path`` as diagnostics show it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass
class Definitions:
    """A workspace's segments: SYSTEM then the CUSTOM ones that check (``definitions``); the
    diagnostics of each file with errors (``problems``); the CUSTOM segments that do not
    check (``refused``); ``complete`` when every file parsed, so that every segment the files
    define is in one of the two lists (a file that does not parse hides its names)."""

    definitions: list[Definition]
    problems: list[SegmentError]
    refused: list[str]
    complete: bool

    @property
    def ok(self) -> bool:
        return not self.problems

    def error(self) -> SegmentError:
        """The problems as one error (every file's diagnostics, each with its file)."""
        return WorkspaceError(self.problems)


class WorkspaceError(SegmentError):
    """Segment files of a workspace with errors: each file's diagnostics, rendered in turn."""

    def __init__(self, problems: list[SegmentError]):
        first = problems[0]
        super().__init__(first.diagnostics, first.source, first.origin)
        self.problems = problems

    def render(self) -> str:
        return "\n".join(p.render() for p in self.problems)


def workspace_definitions(folder: Path, schema: StoreSchema | None) -> Definitions:
    """SYSTEM and CUSTOM segments, every file checked together (``IN SEGMENT`` may name a
    SYSTEM segment or one of any file; names are unique across both, case ignored). A file
    with errors does not stop the others: the segments that check are defined, and the
    others are listed with their files' diagnostics."""
    found = check_files(read_segment_files(folder), schema=schema,
                        library=[d.segment for d in _system()])
    custom = [Definition(segment, CUSTOM, origin) for origin, segment in found.checked]
    problems = [SegmentError(r.diagnostics, r.source, r.origin) for r in found.failed]
    return Definitions(system_definitions() + custom, problems,
                       [r.name for r in found.refused], not found.unparsed)


def all_definitions(folder: Path, schema: StoreSchema | None) -> list[Definition]:
    """SYSTEM then CUSTOM; a file with errors stops here with every file's diagnostics."""
    defs = workspace_definitions(folder, schema)
    if not defs.ok:
        raise defs.error()
    return defs.definitions
