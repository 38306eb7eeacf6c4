"""The Python API for services that embed segdsl: parse, check, compile, evaluate.

Everything here is a thin, typed front over the pipeline's stages, so a service gets exactly
what the command line gets.

>>> import segdsl
>>> result = segdsl.check("ordrs > 3")
>>> result.ok, result.diagnostics[0].code, result.diagnostics[0].hint
(False, 'E201', 'did you mean `orders`?')
>>> seg = segdsl.segment('orders >= 3 AND aov > 50 OR country = "IN"')
>>> sql = segdsl.compile_sql(seg, dialect="postgres", as_of="2024-03-31")
>>> sql.startswith("WITH")
True

Evaluating in memory over a store read from a folder of CSV files:

>>> import pathlib, tempfile
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "customers.csv").write_text("customer_id,country\\nc1,IN\\nc2,FR\\nc3,FR\\n")
>>> _ = (folder / "orders.csv").write_text("order_id,customer_id,ordered_at,total\\n"
...     "o1,c2,2024-03-01,60\\no2,c2,2024-03-02,60\\no3,c2,2024-03-03,60\\no4,c3,2024-03-03,9\\n")
>>> store = segdsl.read_store(folder)
>>> segdsl.evaluate(seg, store, as_of="2024-03-31")
['c1', 'c2']
>>> segdsl.matches(seg, store, "c3", as_of="2024-03-31")
False
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from segdsl.catalog import FieldType, StoreSchema
from segdsl.check.checker import CheckResult, check_condition, check_file
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping
from segdsl.store.model import Store
from segdsl.store.reader import read_folder
from segdsl.syntax import ast, parse_condition, parse_file

SegmentLike = CheckedSegment | str


def check(text: str, *, schema: StoreSchema | None = None) -> CheckResult:
    """Check a bare condition; the result holds the typed segment or the diagnostics."""
    return check_condition(text, schema=schema)


def segment(text: str, *, schema: StoreSchema | None = None, name: str = "expr"
            ) -> CheckedSegment:
    """A checked segment from a bare condition; raises :class:`~segdsl.errors.SegmentError`."""
    result = check_condition(text, schema=schema, name=name)
    result.raise_for_errors()
    return result.segments[0]


def segments(text: str, *, schema: StoreSchema | None = None, origin: str = "<file>"
             ) -> list[CheckedSegment]:
    """The checked segments of a ``.seg`` file's text; raises on any error."""
    result = check_file(text, schema=schema, origin=origin)
    result.raise_for_errors()
    return result.segments


def parse(text: str) -> ast.Condition:
    """The syntax tree of a bare condition, with spans (for tools)."""
    return parse_condition(text)


def parse_segments(text: str) -> ast.SegmentFile:
    """The syntax tree of a ``.seg`` file (for tools)."""
    return parse_file(text)


def context(as_of: date | str | None = None, timezone: str = "UTC") -> RunContext:
    """The as-of day (a date or ``YYYY-MM-DD``; default today in ``timezone``)."""
    day = date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
    return RunContext.for_timezone(timezone, day)


def _segment(seg: SegmentLike, schema: StoreSchema | None = None) -> CheckedSegment:
    return segment(seg, schema=schema) if isinstance(seg, str) else seg


def compile_sql(seg: SegmentLike, *, dialect: str = "duckdb", as_of: date | str | None = None,
                timezone: str = "UTC", mapping: TableMapping = DEFAULT_MAPPING,
                money_scale: int = 2, with_fields: bool = False, pretty: bool = False) -> str:
    """SQL selecting the segment's customer ids in ``dialect``; relative dates are resolved
    against ``as_of``. ``mapping`` renames tables and columns; ``money_scale`` is the number of
    decimals money is compared at (exactly)."""
    from segdsl.backends.sql import to_sql

    return to_sql(_segment(seg), context(as_of, timezone), dialect=dialect, mapping=mapping,
                  money_scale=money_scale, with_fields=with_fields, pretty=pretty)


def read_store(folder: str | Path, *, timezone: str = "UTC",
               custom_types: dict[str, FieldType] | None = None) -> Store:
    """Read and validate a store from a folder of CSV or Parquet files."""
    return read_folder(folder, timezone=timezone, custom_types=custom_types)


def evaluate(seg: SegmentLike, store: Store, *, as_of: date | str | None = None) -> list[str]:
    """The sorted ids of the store's customers in the segment, computed in memory."""
    from segdsl.backends.memory import evaluate as evaluate_memory

    checked = _segment(seg, store.schema())
    return evaluate_memory(checked, store, context(as_of, store.timezone))


def matches(seg: SegmentLike, store: Store, customer_id: str, *,
            as_of: date | str | None = None) -> bool:
    """Whether one customer is in the segment (computed from that customer's orders only)."""
    from segdsl.backends.memory import matches as matches_one

    checked = _segment(seg, store.schema())
    return matches_one(checked, store, customer_id, context(as_of, store.timezone))
