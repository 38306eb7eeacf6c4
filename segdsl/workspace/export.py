"""A segment's members with their fields, as CSV (for spreadsheets) or JSON Lines.

Money is computed from integer minor units with :class:`~decimal.Decimal`, so 0.3 is written
``0.30``, never ``0.30000000000000004``. CSV cells that a spreadsheet would run as a formula
get a leading ``'`` (see :func:`neutralise`).
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from typing import IO, Any

from segdsl.backends.sql.batch import export_sql, product_types_sql
from segdsl.check.checker import check_file
from segdsl.errors import SegmentError, UsageError
from segdsl.workspace import Workspace
from segdsl.workspace.db import StateDb, open_engine
from segdsl.workspace.state import MEMBERS, read_states

COLUMNS = ("customer_id", "name", "email", "phone", "store_aov", "customer_aov", "orders",
           "amount_spent", "last_order_date", "product_type")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
# Digits, spaces, ( ) . - and one leading +: no letters, no operator a spreadsheet could call.
_PHONE = re.compile(r"^\+?[\d ().-]*\d[\d ().-]*$")


def neutralise(value: str, column: str = "") -> str:
    """The cell as a spreadsheet should see it: a leading ``'`` before anything that would be
    read as a formula, except plain numbers (``-12.50``) and, in the phone column, phone
    numbers (``+44 20 7946 0958``), which are left exactly as stored.

    >>> neutralise("=HYPERLINK(1)"), neutralise("-12.50"), neutralise("+44 20 7946 0958", "phone")
    ("'=HYPERLINK(1)", '-12.50', '+44 20 7946 0958')
    >>> neutralise("+44 20 7946 0958"), neutralise("@SUM(A1)"), neutralise("plain")
    ("'+44 20 7946 0958", "'@SUM(A1)", 'plain')
    """
    if not value.startswith(_FORMULA_START) or _NUMBER.match(value):
        return value
    if column == "phone" and _PHONE.match(value):
        return value
    return "'" + value


@dataclass(frozen=True)
class Export:
    segment: str
    window: str
    records: list[dict[str, Any]]


def _money(minor: Decimal, scale: int) -> Decimal:
    return minor.scaleb(-scale).quantize(Decimal(1).scaleb(-scale))


def _average(minor: Decimal, count: int, scale: int) -> Decimal | None:
    if count == 0:
        return None
    return (minor / count).scaleb(-scale).quantize(Decimal(1).scaleb(-scale), ROUND_HALF_EVEN)


def export_segment(ws: Workspace, name: str) -> Export:
    """The stored members of ``name`` with their fields over its window (as of now)."""
    engine = open_engine(ws.url)
    try:
        info = engine.describe(ws.config.mapping)
        info.require_store(f"the workspace database ({ws.url})", ws.config.mapping)
        db = StateDb(engine)
        states = {k.lower(): v for k, v in read_states(db).items()}
        state = states.get(name.lower())
        if state is None:
            raise UsageError(f"no refreshed segment named {name!r}; see `segdsl list`, and "
                             f"`segdsl refresh {name}` for a new one")
        if state.stale_data(info.load_id):
            # The members are ids of the data loaded before: exported against this data they
            # would be wrong or missing, so refuse rather than write a wrong file.
            raise UsageError(f"{state.name} was computed from data loaded before the current "
                             f"data (loaded at {info.loaded_at}); run `segdsl refresh "
                             f"{state.name}` first, then export")
        # The stored definition: the one the members were computed with.
        checked = check_file(state.definition, schema=info.schema(), origin=state.name)
        if not checked.ok:
            raise SegmentError(checked.diagnostics, state.definition, state.name)
        segment = checked.segments[0]
        ctx = ws.context()
        scale = info.money_scale
        kw: dict[str, Any] = {"members_table": MEMBERS, "dialect": db.dialect,
                              "mapping": ws.config.mapping}
        rows = db.execute(export_sql(segment, ctx, money_scale=scale, **kw))
        types: dict[str, list[str]] = {}
        if {"order_items", "products"} <= info.tables:
            for cid, ptype in db.execute(product_types_sql(segment, ctx, **kw)):
                types.setdefault(str(cid), []).append(str(ptype))
        records = [_record(row, types.get(str(row[0]), []), scale) for row in rows]
        return Export(state.name, state.window, records)
    finally:
        engine.close()


def _record(row: tuple[Any, ...], types: list[str], scale: int) -> dict[str, Any]:
    cid, name, email, phone, orders, sum_minor, last, store_minor, store_orders = row
    orders, store_orders = int(orders), int(store_orders or 0)
    sum_minor, store_minor = Decimal(int(sum_minor)), Decimal(int(store_minor))
    return {"customer_id": str(cid), "name": name, "email": email, "phone": phone,
            "store_aov": _average(store_minor, store_orders, scale),
            "customer_aov": _average(sum_minor, orders, scale), "orders": orders,
            "amount_spent": _money(sum_minor, scale),
            "last_order_date": _day(last), "product_type": "; ".join(sorted(types))}


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)[:10]


def _cell(value: Any, column: str) -> str:
    if value is None:
        return ""
    return neutralise(str(value), column)


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[list[str]]:
    yield list(COLUMNS)
    for r in records:
        yield [_cell(r[c], c) for c in COLUMNS]


def write_csv(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    csv.writer(out, lineterminator="\r\n").writerows(csv_lines(records))


def write_jsonl(records: Iterable[dict[str, Any]], out: IO[str]) -> None:
    """The same records; money as exact decimal strings (a JSON number would be a float to
    most readers), no spreadsheet escaping."""
    for r in records:
        item = {c: (str(r[c]) if isinstance(r[c], Decimal) else r[c]) for c in COLUMNS}
        out.write(json.dumps(item, ensure_ascii=False) + "\n")


def write_export(export: Export, path: Path, fmt: str) -> None:
    try:
        with path.open("w", encoding="utf-8", newline="") as out:
            (write_jsonl if fmt == "jsonl" else write_csv)(export.records, out)
    except OSError as err:
        raise UsageError(f"{path}: cannot write: {err.strerror}") from None
