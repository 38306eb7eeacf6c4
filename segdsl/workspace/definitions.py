"""What a workspace defines: the SYSTEM segments shipped with segdsl and the CUSTOM ones in
its ``segments/`` folder, each with a hash of its definition text (a changed hash forces a
refresh)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from segdsl.catalog import StoreSchema
from segdsl.check.checker import CheckResult, check_file
from segdsl.check.library import SegmentLibrary
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


def custom_definitions(folder: Path, schema: StoreSchema | None) -> list[Definition]:
    """Every segment of every ``*.seg`` file in ``folder`` (sorted by path); a file with
    errors stops here with its diagnostics.

    ``IN SEGMENT`` may name a SYSTEM segment or a segment of any file of the workspace. Files
    are checked against a library of the SYSTEM segments and the files already checked, and a
    file that names one not yet known is retried once another file has been added, so the
    order of the files does not matter.
    """
    if not folder.is_dir():
        raise UsageError(f"the workspace's segments folder {folder} does not exist; create it "
                         "or fix `segments` in segdsl.toml")
    sources: dict[Path, str] = {}
    for path in sorted(folder.rglob("*.seg")):
        try:
            sources[path] = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: cannot read: {err}") from None
    library = SegmentLibrary(system_segments())
    checked: dict[Path, list[CheckedSegment]] = {}
    failed: dict[Path, CheckResult] = {}
    progress = True
    while progress and len(checked) < len(sources):
        progress = False
        for path, source in sources.items():
            if path in checked:
                continue
            result = check_file(source, schema=schema, origin=str(path), library=library)
            if result.ok:
                checked[path] = result.segments
                for segment in result.segments:
                    library.add(segment)
                failed.pop(path, None)
                progress = True
            else:
                failed[path] = result
    if failed:
        path, result = next(iter(failed.items()))
        raise SegmentError(result.diagnostics, result.source, str(path))
    return [Definition(s, CUSTOM, str(path)) for path in sources for s in checked[path]]


def all_definitions(folder: Path, schema: StoreSchema | None) -> list[Definition]:
    """SYSTEM then CUSTOM; names are unique across both (case-insensitively)."""
    defs = system_definitions() + custom_definitions(folder, schema)
    seen: dict[str, Definition] = {}
    for d in defs:
        other = seen.get(d.name.lower())
        if other is not None:
            raise UsageError(f"{d.origin}: a segment named {d.name!r} is already defined in "
                             f"{other.origin}; segment names are unique in a workspace")
        seen[d.name.lower()] = d
    return defs
