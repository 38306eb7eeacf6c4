"""Stand-ins for the SYSTEM segments until ``segdsl.system.system_segments()`` exists.

Same names and window as the real ones (RFM-based), written with the fields available today;
:func:`segdsl.workspace.definitions.system_definitions` prefers the real module.
"""

from __future__ import annotations

from segdsl.check.checker import check_file
from segdsl.check.typed import CheckedSegment

_SOURCE = """
segment champions "Champions"
  window from -1y
  where orders >= 10 and days_since_last_order <= 30
segment loyal_customers "Loyal customers"
  window from -1y
  where orders >= 5 and days_since_last_order <= 90
segment potential_loyalists "Potential loyalists"
  window from -1y
  where orders between 2 and 4 and days_since_last_order <= 60
segment new_customers "New customers"
  window from -1y
  where orders = 1 and days_since_last_order <= 30
segment at_risk "At risk"
  window from -1y
  where orders >= 3 and days_since_last_order between 91 and 180
segment cant_lose_them "Can't lose them"
  window from -1y
  where orders >= 8 and days_since_last_order > 90
segment hibernating "Hibernating"
  window from -1y
  where orders <= 2 and days_since_last_order between 181 and 270
segment lost "Lost"
  window from -1y
  where days_since_last_order > 270
"""


def system_segments() -> list[CheckedSegment]:
    result = check_file(_SOURCE, origin="<system>")
    result.raise_for_errors()
    return result.segments
