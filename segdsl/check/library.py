"""The segments a condition may refer to with ``IN SEGMENT``, beyond those of its own file.

A :class:`SegmentLibrary` holds checked segments (the built-in ones, a store's saved ones) and
finds one by what a reference says: a name, matched without regard to case, and failing that a
title, matched the same way. Names win over titles, so a title can never hide a name.

>>> from segdsl.check.checker import check_file
>>> lib = SegmentLibrary(check_file('segment champions "Can\\'t Lose Them" where orders >= 5'
...                                 ).segments)
>>> lib.find("CHAMPIONS")[0].name, lib.find("can't lose them")[0].name, lib.find("x")
('champions', 'champions', [])
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from segdsl.check.typed import CheckedSegment


@dataclass(frozen=True)
class Refusal:
    """A segment that exists but does not check (in ``origin``, at ``line``, for ``reason``,
    its first error): a reference to it is refused with that reason (E233), not as an
    unknown name."""

    name: str
    title: str
    origin: str
    line: int
    reason: str


class SegmentLibrary:
    """Checked segments by name and title, and the names of segments known not to check.
    Later additions replace earlier ones of the same name (so a store's segment can shadow a
    built-in one)."""

    def __init__(self, segments: Iterable[CheckedSegment] = ()):
        self._by_name: dict[str, CheckedSegment] = {}
        self._refused: dict[str, Refusal] = {}
        for segment in segments:
            self.add(segment)

    @classmethod
    def of(cls, library: SegmentLibrary | Iterable[CheckedSegment] | None) -> SegmentLibrary:
        """``library`` as a SegmentLibrary (an iterable of segments is wrapped; None is empty)."""
        if isinstance(library, SegmentLibrary):
            return library
        return cls(library or ())

    def add(self, segment: CheckedSegment) -> None:
        self._by_name[segment.name.lower()] = segment
        self._refused.pop(segment.name.lower(), None)

    def refuse(self, refusal: Refusal) -> None:
        """Know ``refusal.name`` as a segment that does not check."""
        self._by_name.pop(refusal.name.lower(), None)
        self._refused[refusal.name.lower()] = refusal

    def refusal(self, name: str) -> Refusal | None:
        """Why the segment named ``name`` does not check (None: it checks, or is unknown)."""
        return self._refused.get(name.lower())

    def get(self, name: str) -> CheckedSegment | None:
        """The segment named ``name`` (case ignored), titles aside."""
        return self._by_name.get(name.lower())

    def titled(self, title: str) -> list[CheckedSegment]:
        """Every segment whose title is ``title`` (case ignored); titles need not be unique."""
        key = title.lower()
        return [s for s in self._by_name.values() if s.title.lower() == key]

    def find(self, reference: str) -> list[CheckedSegment]:
        """The segment named ``reference``; else every segment with that title (several when
        titles repeat: the caller reports the ambiguity)."""
        named = self.get(reference)
        return [named] if named is not None else self.titled(reference)

    def names(self) -> list[str]:
        return [s.name for s in self._by_name.values()]

    def __iter__(self) -> Iterator[CheckedSegment]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name
