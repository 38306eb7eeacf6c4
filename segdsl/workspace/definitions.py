"""What a workspace defines: the SYSTEM segments shipped with segdsl and the CUSTOM ones in
its ``segments/`` folder, each with a hash of its definition text (a changed hash forces a
refresh)."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path

from segdsl.catalog import StoreSchema
from segdsl.check.checker import check_file
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
        # Trailing spaces and line endings do not change what a segment means.
        normal = "\n".join(line.rstrip() for line in self.text.strip().splitlines())
        return hashlib.sha256(normal.encode("utf-8")).hexdigest()


@functools.cache
def _system() -> tuple[Definition, ...]:
    # The SYSTEM files ship inside the package and never change while it runs: check once.
    return tuple(Definition(s, SYSTEM, "<system>") for s in system_segments())


def system_definitions() -> list[Definition]:
    return list(_system())


def custom_definitions(folder: Path, schema: StoreSchema | None) -> list[Definition]:
    """Every segment of every ``*.seg`` file in ``folder`` (sorted by path); a file with
    errors stops here with its diagnostics."""
    if not folder.is_dir():
        return []
    out: list[Definition] = []
    for path in sorted(folder.rglob("*.seg")):
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise UsageError(f"{path}: cannot read: {err}") from None
        result = check_file(source, schema=schema, origin=str(path))
        if not result.ok:
            raise SegmentError(result.diagnostics, source, str(path))
        out.extend(Definition(s, CUSTOM, str(path)) for s in result.segments)
    return out


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
