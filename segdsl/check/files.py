"""Several ``.seg`` files checked together, as one library: a workspace's CUSTOM segments.

Every file is parsed first; then every segment name of every file is known, and each file is
checked with all of them, so ``IN SEGMENT`` may name a segment of any file (the file's own
first, then the other files', then the ``library``'s), a cycle through several files is found
and spelt out (E231), and every file's own diagnostics are reported with that file. A
reference to a segment of another file that does not check is refused with the reason (E233).

>>> found = check_files({"a.seg": 'segment a "A" where IN SEGMENT b',
...                      "b.seg": 'segment b "B" where orders > 1 and IN SEGMENT a'})
>>> [(o, d.code, d.message) for o, r in found.files.items() for d in r.diagnostics]
... # doctest: +NORMALIZE_WHITESPACE
[('a.seg', 'E233', 'segment `b` does not check (b.seg line 1: segments refer to each other
  in a cycle: a → b → a)'),
 ('b.seg', 'E231', 'segments refer to each other in a cycle: a → b → a')]
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from segdsl.catalog import StoreSchema
from segdsl.check.checker import CheckResult, Library, Peers, file_checker
from segdsl.check.library import Refusal, SegmentLibrary
from segdsl.check.typed import CheckedSegment
from segdsl.errors import Diagnostic, SegmentError, Severity
from segdsl.syntax.parser import parse_file


@dataclass
class FilesCheck:
    """Each file's result (by origin, in the order given; a file's ``segments`` only when the
    whole file checks), and segment by segment which check and which do not."""

    files: dict[str, CheckResult] = field(default_factory=dict)
    checked: list[tuple[str, CheckedSegment]] = field(default_factory=list)  # (origin, seg)
    refused: list[Refusal] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # files with syntax errors

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.files.values())

    @property
    def failed(self) -> list[CheckResult]:
        """The files with errors, in order."""
        return [r for r in self.files.values() if not r.ok]

    def library(self, base: Library = None, *, without: str | None = None) -> SegmentLibrary:
        """``base`` plus every segment that checks, and the refused ones as refusals (so a
        reference to one says why); ``without`` leaves out one file's segments."""
        library = SegmentLibrary(SegmentLibrary.of(base))
        for origin, segment in self.checked:
            if origin != without:
                library.add(segment)
        for refusal in self.refused:
            # A refused repeat of a name that checks elsewhere does not hide that one.
            if refusal.origin != without and refusal.name not in library:
                library.refuse(refusal)
        return library


def check_files(files: Mapping[str, str], *, schema: StoreSchema | None = None,
                library: Library = None) -> FilesCheck:
    """Check ``files`` (origin → text) together against ``library`` (the built-in segments).

    A segment named like one of ``library`` or like one of an earlier file is refused (E220);
    the first definition of the name is the one references mean.
    """
    base = SegmentLibrary.of(library)
    peers = Peers()
    out = FilesCheck()
    parsed_errors: dict[str, CheckResult] = {}
    for origin, source in files.items():
        try:
            parsed = parse_file(source, origin)
        except SegmentError as err:
            parsed_errors[origin] = CheckResult([], err.diagnostics, source, origin)
            peers.unparsed.append(origin)
            continue
        checker = file_checker(parsed, source, schema=schema, origin=origin, library=base,
                               peers=peers)
        peers.checkers.append(checker)
        for i, seg in enumerate(checker.file_segments):
            key = seg.name.lower()
            if checker.file_index[key] != i:
                continue  # repeated in its own file: E220 already
            if base.get(seg.name) is not None:
                checker.file_diags[i].append(Diagnostic(
                    "E220", Severity.ERROR, f"a segment named `{seg.name}` is already a "
                    "built-in segment", seg.name_span,
                    hint="segment names must be unique; rename this one"))
            elif key in peers.names:
                other, j = peers.names[key]
                checker.file_diags[i].append(Diagnostic(
                    "E220", Severity.ERROR, f"a segment named `{seg.name}` is already defined "
                    f"in {other.origin} (line {other.file_segments[j].span.line})",
                    seg.name_span, hint="segment names are unique across the files"))
            else:
                peers.names[key] = (checker, i)
    for checker in peers.checkers:
        checker.check_all()
    by_origin = {c.origin: c for c in peers.checkers}
    for origin in files:
        if origin in parsed_errors:
            out.files[origin] = parsed_errors[origin]
            out.unparsed.append(origin)
            continue
        checker = by_origin[origin]
        out.files[origin] = checker.result()
        for i in range(len(checker.file_segments)):
            checked = checker.file_checked.get(i)
            if checked is not None and checker.segment_ok(i):
                out.checked.append((origin, checked))
            else:
                out.refused.append(checker.refusal(i))
    return out
