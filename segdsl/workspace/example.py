"""The Online Retail example: find its canonical CSV files (inside the installed package, or in
the checkout) and load them into a workspace's database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from segdsl.errors import UsageError
from segdsl.workspace import Workspace

AS_OF = date(2011, 12, 9)  # the last day of the data
TIMEZONE = "Europe/London"
CURRENCY = "GBP"
EXAMPLE_SEGMENTS = """\
# Example CUSTOM segments for the Online Retail data (see docs/language.md).
segment big_spenders "Big spenders"
  window from -1y
  where orders >= 3 and aov > 500

segment christmas_buyers "Christmas stockists"
  window from -1y
  where collection = "christmas" and amount_spent >= 1000
"""


def example_folder() -> Path:
    package = Path(__file__).resolve().parents[1]
    # The wheel ships the files as package data; a checkout has them in examples/.
    for candidate in (package / "examples" / "online-retail",
                      package.parent / "examples" / "online-retail"):
        if (candidate / "customers.csv").is_file():
            return candidate
    raise UsageError("the Online Retail example data is not installed with this segdsl")


def load_example(ws: Workspace) -> tuple[int, int]:
    """Load the example store into the workspace's database; (customers, orders)."""
    from segdsl.store.reader import read_folder
    from segdsl.workspace.db import open_engine

    store = read_folder(example_folder(), timezone=TIMEZONE)
    engine = open_engine(ws.url, create=True)
    try:
        engine.load(store, replace=True)
    finally:
        engine.close()
    segments = ws.segments_dir / "examples.seg"
    if not segments.exists():
        segments.write_text(EXAMPLE_SEGMENTS, encoding="utf-8")
    return len(store.customers), len(store.orders)
