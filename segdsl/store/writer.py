"""Write a :class:`~segdsl.store.model.Store` as a folder of canonical CSV files.

The files are the ones :func:`segdsl.store.reader.read_folder` reads, written so that reading
them back (with the same time zone) gives the same store: ids as text, ``ordered_at`` as the
store-local ``YYYY-MM-DD HH:MM:SS``, totals with exactly ``money_scale`` decimals (two when
the scale is lower: the reader counts at least cents), numbers in plain notation (never ``1E+3``).

>>> import tempfile, pathlib
>>> from segdsl.store.reader import read_folder
>>> src = pathlib.Path(tempfile.mkdtemp())
>>> _ = (src / "customers.csv").write_text("customer_id,tier\\n007,gold\\n")
>>> _ = (src / "orders.csv").write_text("order_id,customer_id,ordered_at,total\\n"
...                                     "A1,007,2024-02-29 10:00:00,12.5\\n")
>>> out = pathlib.Path(tempfile.mkdtemp())
>>> write_folder(read_folder(src), out)
>>> print((out / "orders.csv").read_text().strip())
order_id,customer_id,ordered_at,total
A1,007,2024-02-29 10:00:00,12.50
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path

from segdsl.errors import UsageError
from segdsl.store.mapping import CANONICAL_COLUMNS
from segdsl.store.model import CustomValue, Store
from segdsl.store.reader import TABLE_FILES

Cell = str | Decimal | date | None


def _cell(value: Cell) -> str:
    """The CSV text of a value: empty for None, plain notation for numbers."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _write(path: Path, header: Sequence[str], rows: Iterable[Sequence[Cell]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(header)
        out.writerows([_cell(v) for v in row] for row in rows)


def _check_folder(store: Store, folder: Path) -> None:
    """Refuse to leave files that would change what the folder reads as."""
    for name in TABLE_FILES:
        if (folder / f"{name}.parquet").exists():
            raise UsageError(f"{folder / name}.parquet exists; the reader would find it next to "
                             f"{name}.csv: remove it or write to another folder")
        if name not in store.tables and (folder / f"{name}.csv").exists():
            raise UsageError(f"{folder / name}.csv exists but the store has no {name} table: "
                             "remove it or write to another folder")


def _customers(store: Store, folder: Path) -> None:
    c = store.customers
    custom = list(c.custom)
    columns: list[Sequence[CustomValue]] = [c.customer_id, c.name, c.email, c.phone, c.country]
    columns += [c.custom[k].values for k in custom]
    _write(folder / "customers.csv", [*CANONICAL_COLUMNS["customers"], *custom],
           zip(*columns, strict=True))


def _orders(store: Store, folder: Path) -> None:
    o = store.orders
    stamps = [str(ts).replace("T", " ") for ts in o.ordered_at.astype("datetime64[s]")]
    # quantize keeps the trailing zeros that tell the reader the scale: 1250 cents is
    # "12.50"; a store counted in whole units is still written in cents (what the reader reads)
    unit = Decimal(1).scaleb(-max(2, store.money_scale))
    totals = [store.money(int(m)).quantize(unit) for m in o.total_minor]
    _write(folder / "orders.csv", CANONICAL_COLUMNS["orders"],
           zip(o.order_id, o.customer_id, stamps, totals, strict=True))


def write_folder(store: Store, folder: str | Path) -> None:
    """Write the store's tables as ``<table>.csv`` files in ``folder`` (created if needed).

    Custom attributes are written as extra ``customers`` columns; the reader infers their
    types again, so a text attribute whose every value looks like a number reads back as a
    number: declare its type (``custom_types``) when reading such a folder.
    """
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    _check_folder(store, path)
    _customers(store, path)
    _orders(store, path)
    if store.order_items is not None:
        i = store.order_items
        _write(path / "order_items.csv", CANONICAL_COLUMNS["order_items"],
               zip(i.order_id, i.product_id, i.quantity, i.price, strict=True))
    if store.products is not None:
        p = store.products
        _write(path / "products.csv", CANONICAL_COLUMNS["products"],
               zip(p.product_id, p.title, p.product_type, strict=True))
    if store.product_collections is not None:
        pc = store.product_collections
        _write(path / "product_collections.csv", CANONICAL_COLUMNS["product_collections"],
               zip(pc.product_id, pc.collection, strict=True))
