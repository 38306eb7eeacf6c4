"""Read a store from a folder of CSV or Parquet files named after the tables.

Every value is validated as it is read; a value that cannot be read is refused with the file,
the line and the value (a :class:`~segdsl.errors.DataError`), never guessed at.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "customers.csv").write_text("customer_id,name,tier\\n00001,Ann,gold\\n")
>>> _ = (d / "orders.csv").write_text("order_id,customer_id,ordered_at,total\\n"
...                                   "o1,00001,2024-01-31T23:30:00Z,0.10\\n")
>>> store = read_folder(d, timezone="Europe/Paris")
>>> store.customers.customer_id, str(store.orders.local_date[0]), store.orders.total_minor[0]
(['00001'], '2024-02-01', np.int64(10))
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from segdsl.catalog import STANDARD_CUSTOMER_COLUMNS, FieldType
from segdsl.errors import DataError, UsageError
from segdsl.store.mapping import CANONICAL_COLUMNS
from segdsl.store.model import (
    CustomColumn,
    Customers,
    CustomValue,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)

TABLE_FILES = ("customers", "orders", "order_items", "products", "product_collections")
_PLAIN_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Money and numeric cells: optional sign, digits, optional fraction. No exponents (1e3),
# no thousands separators: a store's export that writes those is refused, not guessed at.
_DECIMAL_TEXT = re.compile(r"[-+]?[0-9]+(\.[0-9]+)?")
MAX_MINOR = 2**62


def zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {timezone!r}; use an IANA name such as "
                         "Europe/London or UTC") from None


class _Table:
    """One table's rows as cells (text from CSV, typed values from Parquet)."""

    def __init__(self, name: str, path: Path, header: list[str], rows: list[Sequence[Any]],
                 first_line: int, lines: list[int] | None = None):
        self.name, self.path, self.header, self.rows = name, path, header, rows
        self.first_line = first_line  # the line (CSV) or row (Parquet) number of rows[0]
        self.lines = lines  # CSV: the line each record starts on
        self.index = {h: i for i, h in enumerate(header)}

    def where(self) -> str:
        return self.path.name

    def line(self, i: int) -> int:
        return self.lines[i] if self.lines is not None else self.first_line + i

    def has(self, column: str) -> bool:
        return column in self.index

    def require(self, *columns: str) -> None:
        missing = [c for c in columns if c not in self.index]
        if missing:
            header = ", ".join(self.header) if any(self.header) else "no column names"
            cased = [h for c in missing for h in self.header if h.lower() == c.lower()]
            hint = f" (column names are lower case: `{cased[0]}` is not `{cased[0].lower()}`)" \
                if cased else ""
            raise DataError(f"missing column{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}; the header has {header}{hint}",
                            where=self.where(), row=self.first_line - 1 if self.rows else None)

    def unused(self) -> list[str]:
        """Columns of the file that no field reads (customers has none: they are custom
        attributes)."""
        if self.name == "customers":
            return []
        return [h for h in self.header if h not in CANONICAL_COLUMNS[self.name]]

    def column(self, name: str) -> list[Any]:
        if name not in self.index:
            return [None] * len(self.rows)
        i = self.index[name]
        return [_empty_to_none(r[i]) if i < len(r) else None for r in self.rows]


def _empty_to_none(v: Any) -> Any:
    if isinstance(v, str) and v.strip() == "":
        return None
    return v


def csv_records(fh: TextIO, where: str) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV file as (the line each starts on, its cells), the header first.

    Refused with the line: an empty file (not even a header), a quoted cell that is never
    closed, invalid CSV, a record with more or fewer cells than the header (its values would
    shift into the wrong columns, so it is neither padded nor dropped), and text that is not
    UTF-8. Blank lines are skipped.
    """
    last_line = 0  # the last line read so far; a record starts on the line after it
    try:
        # strict: a quote that is never closed would otherwise swallow every later line into
        # one cell, silently.
        reader = csv.reader(fh, strict=True)
        header = next(reader, None)
        if header is None:
            raise DataError("the file is empty; it needs at least a header line", where=where)
        yield 1, header
        last_line = reader.line_num
        for row in reader:
            # A quoted cell may span lines: a record starts on the line after the last one.
            line_no, last_line = last_line + 1, reader.line_num
            if not row:
                continue
            if len(row) != len(header):
                raise DataError(f"this line has {len(row)} cell{'s' if len(row) != 1 else ''} "
                                f"but the header has {len(header)}", where=where, row=line_no)
            yield line_no, row
    except UnicodeDecodeError as err:
        raise DataError(f"the file is not UTF-8 text ({err.reason} at byte {err.start})",
                        where=where) from None
    except csv.Error as err:
        reason = ("a quoted cell is never closed (a double quote is missing)"
                  if "unexpected end of data" in str(err) else f"not valid CSV: {err}")
        raise DataError(reason, where=where, row=last_line + 1) from None


def _read_csv(name: str, path: Path) -> _Table:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        records = csv_records(fh, path.name)
        header = [h.strip() for h in next(records)[1]]
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            raise DataError(f"column `{repeated[0]}` appears twice in the header",
                            where=path.name, row=1)
        lines: list[int] = []
        rows: list[Sequence[Any]] = []
        for line_no, row in records:
            lines.append(line_no)
            rows.append(row)
    return _Table(name, path, header, rows, 2, lines)


def _read_parquet(name: str, path: Path) -> _Table:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as err:  # noqa: BLE001 - pyarrow raises many types for a bad file
        raise DataError(f"cannot read the Parquet file: {err}", where=path.name) from None
    header = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(len(header))]
    rows: list[Sequence[Any]] = list(zip(*columns, strict=True)) if columns else []
    return _Table(name, path, header, rows, 1)


def _find(folder: Path, name: str) -> Path | None:
    found = [p for p in (folder / f"{name}.csv", folder / f"{name}.parquet") if p.is_file()]
    if len(found) > 1:
        raise DataError(f"both {found[0].name} and {found[1].name} exist; keep one",
                        where=str(folder))
    return found[0] if found else None


def _load(folder: Path, name: str) -> _Table | None:
    path = _find(folder, name)
    if path is None:
        return None
    return _read_parquet(name, path) if path.suffix == ".parquet" else _read_csv(name, path)


# --- cell parsers ------------------------------------------------------------------------------

def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _required_id(t: _Table, i: int, column: str, v: Any) -> str:
    text = _text(v)
    if text is None:
        raise DataError(f"`{column}` is empty", where=t.where(), row=t.line(i))
    return text


def _unique_ids(t: _Table, column: str, noun: str) -> list[str]:
    """The non-empty, unique ids of ``column``; a repeat is refused with both lines."""
    ids: list[str] = []
    seen: dict[str, int] = {}
    for i, v in enumerate(t.column(column)):
        value = _required_id(t, i, column, v)
        if value in seen:
            raise DataError(f"{noun} `{value}` appears twice (first on line {seen[value]})",
                            where=t.where(), row=t.line(i))
        seen[value] = t.line(i)
        ids.append(value)
    return ids


def _decimal(t: _Table, i: int, column: str, v: Any) -> Decimal:
    if isinstance(v, Decimal):
        d = v
    elif isinstance(v, int | float) and not isinstance(v, bool):
        d = Decimal(str(v))  # a typed Parquet value
    else:
        text = str(v).strip()
        if not _DECIMAL_TEXT.fullmatch(text):
            raise DataError(f"`{column}` is not a plain decimal number (such as 12.50 or -3)",
                            where=t.where(), row=t.line(i), value=str(v))
        try:
            d = Decimal(text)
        except InvalidOperation:
            raise DataError(f"`{column}` is not a number", where=t.where(), row=t.line(i),
                            value=str(v)) from None
    if not d.is_finite():
        raise DataError(f"`{column}` is not a finite number", where=t.where(), row=t.line(i),
                        value=str(v))
    return d


def _timestamp(t: _Table, i: int, v: Any, tz: ZoneInfo) -> tuple[datetime, bool]:
    """The store-local wall-clock time, and whether it was converted from an offset."""
    if isinstance(v, datetime):
        ts = v
    elif isinstance(v, date):
        ts = datetime(v.year, v.month, v.day)
    else:
        try:
            ts = datetime.fromisoformat(str(v).strip())
        except ValueError:
            raise DataError("`ordered_at` is not a date or timestamp (expected YYYY-MM-DD or "
                            "YYYY-MM-DD HH:MM:SS, optionally with an offset)", where=t.where(),
                            row=t.line(i), value=str(v)) from None
    if ts.tzinfo is not None:
        return ts.astimezone(tz).replace(tzinfo=None), True
    return ts, False


def _date(t: _Table, i: int, column: str, v: Any) -> date:
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    text = str(v).strip()
    try:
        if _ISO_DATE.fullmatch(text):
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise DataError(f"`{column}` is not a date (YYYY-MM-DD)", where=t.where(), row=t.line(i),
                    value=text)


# --- tables --------------------------------------------------------------------------------

def infer_custom_type(values: Sequence[Any]) -> FieldType:
    """Number when every non-empty value is a plain decimal without a leading zero (so
    ``00123`` stays text), date when every one is an ISO date, text otherwise."""
    present = [v for v in values if v is not None]
    if not present:
        return FieldType.TEXT
    if all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in present):
        return FieldType.NUMBER
    if all(isinstance(v, date) for v in present):
        return FieldType.DATE
    texts = [str(v).strip() for v in present]
    if all(_PLAIN_NUMBER.fullmatch(s) for s in texts):
        return FieldType.NUMBER
    if all(_ISO_DATE.fullmatch(s) for s in texts):
        try:
            for s in texts:
                date.fromisoformat(s)
            return FieldType.DATE
        except ValueError:
            return FieldType.TEXT
    return FieldType.TEXT


def _custom_values(t: _Table, column: str, type_: FieldType) -> list[CustomValue]:
    raw = t.column(column)
    out: list[CustomValue] = []
    for i, v in enumerate(raw):
        if v is None:
            out.append(None)
        elif type_ is FieldType.NUMBER:
            out.append(_decimal(t, i, f"custom.{column}", v))
        elif type_ is FieldType.DATE:
            out.append(_date(t, i, f"custom.{column}", v))
        else:
            out.append(_text(v))
    return out


def _customers(t: _Table, custom_types: dict[str, FieldType]) -> Customers:
    t.require("customer_id")
    ids = _unique_ids(t, "customer_id", "customer")
    custom: dict[str, CustomColumn] = {}
    lowered: dict[str, str] = {}
    for column in t.header:
        if column in STANDARD_CUSTOMER_COLUMNS:
            continue
        if column.lower() in lowered:
            raise DataError(f"columns `{lowered[column.lower()]}` and `{column}` differ only in "
                            "case, so custom.<name> cannot tell them apart", where=t.where())
        lowered[column.lower()] = column
        type_ = custom_types.get(column) or infer_custom_type(t.column(column))
        custom[column] = CustomColumn(type_, _custom_values(t, column, type_))
    for declared in custom_types:
        if declared not in custom:
            raise UsageError(f"the config declares a type for custom attribute `{declared}`, "
                             f"but {t.where()} has no such column")
    texts = {c: [_text(v) for v in t.column(c)] for c in ("name", "email", "phone", "country")}
    return Customers(ids, texts["name"], texts["email"], texts["phone"], texts["country"],
                     custom)


def _orders(t: _Table, tz: ZoneInfo) -> tuple[Orders, int, int]:
    t.require("order_id", "customer_id", "ordered_at", "total")
    ids = _unique_ids(t, "order_id", "order")
    customers = [_text(v) for v in t.column("customer_id")]
    stamps: list[datetime] = []
    offsets = 0
    for i, v in enumerate(t.column("ordered_at")):
        if v is None:
            raise DataError("`ordered_at` is empty", where=t.where(), row=t.line(i))
        ts, converted = _timestamp(t, i, v, tz)
        stamps.append(ts)
        offsets += converted
    totals: list[Decimal] = []
    for i, v in enumerate(t.column("total")):
        if v is None:
            raise DataError("`total` is empty", where=t.where(), row=t.line(i))
        totals.append(_decimal(t, i, "total", v))
    scale = max([2] + [-int(d.as_tuple().exponent) for d in totals])
    minor: list[int] = []
    for i, d in enumerate(totals):
        m = int(d.scaleb(scale))
        if abs(m) >= MAX_MINOR:
            raise DataError(f"`total` is too large to be handled exactly at {scale} decimals",
                            where=t.where(), row=t.line(i), value=str(d))
        minor.append(m)
    stamp_array = np.array(stamps, dtype="datetime64[s]") if stamps else \
        np.empty(0, dtype="datetime64[s]")
    orders = Orders(ids, customers, stamp_array, np.array(minor, dtype=np.int64))
    return orders, scale, offsets


def _optional_decimals(t: _Table, column: str) -> list[Decimal | None]:
    return [None if v is None else _decimal(t, i, column, v)
            for i, v in enumerate(t.column(column))]


def _items(t: _Table) -> OrderItems:
    t.require("order_id", "product_id")
    order_ids = [_required_id(t, i, "order_id", v) for i, v in enumerate(t.column("order_id"))]
    return OrderItems(order_ids, [_text(v) for v in t.column("product_id")],
                      _optional_decimals(t, "quantity"), _optional_decimals(t, "price"))


def _products(t: _Table) -> Products:
    t.require("product_id")
    ids = _unique_ids(t, "product_id", "product")
    return Products(ids, [_text(v) for v in t.column("title")],
                    [_text(v) for v in t.column("product_type")])


def _collections(t: _Table) -> ProductCollections:
    t.require("product_id", "collection")
    ids = [_required_id(t, i, "product_id", v) for i, v in enumerate(t.column("product_id"))]
    return ProductCollections(ids, [_text(v) for v in t.column("collection")])


def read_folder(folder: str | Path, *, timezone: str = "UTC",
                custom_types: dict[str, FieldType] | None = None) -> Store:
    """Read ``customers`` and ``orders`` (required) and the optional tables from ``folder``."""
    path = Path(folder)
    if not path.is_dir():
        raise UsageError(f"{folder}: no such folder")
    tz = zone(timezone)
    customers_t, orders_t = _load(path, "customers"), _load(path, "orders")
    for name, table in (("customers", customers_t), ("orders", orders_t)):
        if table is None:
            raise DataError(f"no {name}.csv or {name}.parquet; a store needs customers and "
                            "orders", where=str(path))
    assert customers_t is not None and orders_t is not None
    customers = _customers(customers_t, custom_types or {})
    orders, scale, offsets = _orders(orders_t, tz)
    items_t, products_t = _load(path, "order_items"), _load(path, "products")
    collections_t = _load(path, "product_collections")
    store = Store(
        customers=customers,
        orders=orders,
        order_items=_items(items_t) if items_t else None,
        products=_products(products_t) if products_t else None,
        product_collections=_collections(collections_t) if collections_t else None,
        timezone=timezone,
        money_scale=scale,
        source=str(path),
        offset_timestamps=offsets,
    )
    store.warnings += _warnings(store, [t for t in (customers_t, orders_t, items_t,
                                                    products_t, collections_t) if t])
    return store


def _plural(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'s' if n != 1 else ''}"


def _warnings(store: Store, tables: list[_Table]) -> list[str]:
    """What the store keeps but a segment may not see as the owner expects, counted: nothing
    is left out silently."""
    out = []
    for t in tables:
        unused = t.unused()
        if unused:
            out.append(f"{t.where()}: {_plural(len(unused), 'column')} not used: "
                       f"{', '.join(unused)}")
    ignored = store.ignored_orders()
    if ignored:
        out.append(f"{_plural(ignored, 'order')} ignored: their customer is not in customers")
    negative = int((store.orders.total_minor < 0).sum())
    if negative:
        out.append(f"{_plural(negative, 'order')} with a negative total (refunds or credit "
                   "notes?) count as written: they lower amount_spent and aov")
    items = store.order_items
    if items is not None:
        orders = set(store.orders.order_id)
        orphans = sum(1 for o in items.order_id if o not in orders)
        if orphans:
            out.append(f"{_plural(orphans, 'order item')} ignored: their order is not in orders")
        no_product = sum(1 for p in items.product_id if p is None)
        if no_product:
            out.append(f"{_plural(no_product, 'order item')} without a product_id: they add no "
                       "product type or collection")
    return out


def iter_tables() -> Iterator[str]:
    yield from TABLE_FILES
