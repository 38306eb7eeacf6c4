"""The SYSTEM segments: eight RFM segments every store gets, written in the language itself.

They live in ``.seg`` files next to this module (package data, read with
:mod:`importlib.resources`, so they work from a wheel or a zip as well as from a checkout).

>>> [s.name for s in system_segments()][:3]
['champions', 'loyal_customers', 'potential_loyalists']
>>> len(system_segments()), system_segments()[6].title
(8, 'Hibernating')
"""

from __future__ import annotations

from importlib import resources

from segdsl.check import check_file
from segdsl.check.typed import CheckedSegment

# The files, in the order their segments are listed.
FILES = ("rfm.seg",)
NAMES = ("champions", "loyal_customers", "potential_loyalists", "new_customers", "at_risk",
         "cant_lose_them", "hibernating", "lost")


def system_sources() -> dict[str, str]:
    """The raw text of each SYSTEM file, by file name."""
    folder = resources.files(__name__)
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in FILES}


def system_segments() -> list[CheckedSegment]:
    """The SYSTEM segments, checked (no store schema needed: they use core fields only).

    Raises :class:`~segdsl.errors.SegmentError` if a file does not check, which the tests
    rule out."""
    segments: list[CheckedSegment] = []
    for name, text in system_sources().items():
        result = check_file(text, origin=f"<system>/{name}")
        result.raise_for_errors()
        segments += result.segments
    return segments


__all__ = ["FILES", "NAMES", "system_segments", "system_sources"]
