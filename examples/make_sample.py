"""Regenerate the shipped Online Retail examples from the full UCI file.

    .venv/bin/python examples/make_sample.py /work/shared/data/online-retail/online_retail.csv.gz

writes ``examples/online-retail/`` (the canonical tables of 400 customers chosen by a seeded
hash of their id, with all their orders) and ``examples/online-retail-lines.csv`` (the raw
rows of the morning of 2010-12-01), then prints the importer's report on the full file and
the size of the slice. The same input always gives byte-identical output.

Data: Daqing Chen, Sai Liang Sain, Kun Guo (2012), UCI Machine Learning Repository, CC BY 4.0
(see examples/README.md).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
from pathlib import Path

import numpy as np

from segdsl.store.importer import PRESETS, import_line_items
from segdsl.store.model import (
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)
from segdsl.store.writer import write_folder

HERE = Path(__file__).resolve().parent
SEED = "segdsl-online-retail-sample"
CUSTOMERS = 400
TIMEZONE = "Europe/London"  # the retailer is in the UK; InvoiceDate is its local time
RAW_PREFIX = "2010-12-01 "
RAW_BEFORE = "2010-12-01 12:00:00"


def sample_ids(ids: list[str], n: int, seed: str = SEED) -> set[str]:
    """The ``n`` ids whose seeded SHA-256 comes first: a fixed pseudo-random choice.

    >>> sorted(sample_ids(["1", "2", "3"], 2)) == sorted(sample_ids(["3", "2", "1"], 2))
    True
    """
    def key(cid: str) -> str:
        return hashlib.sha256(f"{seed}:{cid}".encode()).hexdigest()

    return set(sorted(ids, key=key)[:n])


def select_customers(store: Store, keep: set[str]) -> Store:
    """The part of ``store`` about the customers in ``keep``: their orders, those orders'
    items, and the products (and collections) those items name."""
    c, o = store.customers, store.orders
    ci = [i for i, cid in enumerate(c.customer_id) if cid in keep]
    customers = Customers([c.customer_id[i] for i in ci], [c.name[i] for i in ci],
                          [c.email[i] for i in ci], [c.phone[i] for i in ci],
                          [c.country[i] for i in ci])
    oi = np.array([cid in keep for cid in o.customer_id], dtype=bool)
    orders = Orders([x for x, k in zip(o.order_id, oi, strict=True) if k],
                    [x for x, k in zip(o.customer_id, oi, strict=True) if k],
                    o.ordered_at[oi], o.total_minor[oi])
    kept_orders = set(orders.order_id)
    assert store.order_items and store.products and store.product_collections
    it = store.order_items
    ii = [i for i, oid in enumerate(it.order_id) if oid in kept_orders]
    items = OrderItems([it.order_id[i] for i in ii], [it.product_id[i] for i in ii],
                       [it.quantity[i] for i in ii], [it.price[i] for i in ii])
    used = set(items.product_id)
    p, pc = store.products, store.product_collections
    pi = [i for i, pid in enumerate(p.product_id) if pid in used]
    products = Products([p.product_id[i] for i in pi], [p.title[i] for i in pi],
                        [p.product_type[i] for i in pi])
    ki = [i for i, pid in enumerate(pc.product_id) if pid in used]
    colls = ProductCollections([pc.product_id[i] for i in ki], [pc.collection[i] for i in ki])
    scale = store.money_scale
    # the slice may not need the full store's scale (PADS at 0.001 makes it 3): drop the
    # decimals no total uses, so that totals read 12.50 rather than 12.500
    while scale > 2 and not np.any(orders.total_minor % 10):
        scale, orders.total_minor = scale - 1, orders.total_minor // 10
    return Store(customers, orders, items, products, colls, store.timezone, scale, store.source)


def write_raw_lines(source: Path, target: Path) -> int:
    """Copy the raw rows of the morning of 2010-12-01 (a cancellation, a guest row, POST)."""
    count = 0
    with gzip.open(source, "rt", encoding="utf-8", newline="") as fh, \
            target.open("w", encoding="utf-8", newline="") as out:
        reader, writer = csv.reader(fh), csv.writer(out, lineterminator="\n")
        writer.writerow(next(reader))
        for row in reader:
            if row[4].startswith(RAW_PREFIX) and row[4] < RAW_BEFORE:
                writer.writerow(row)
                count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="online_retail.csv.gz")
    args = parser.parse_args()
    result = import_line_items(args.source, PRESETS["online-retail"], timezone=TIMEZONE)
    print(result.report.summary())
    store = result.store
    slice_ = select_customers(store, sample_ids(store.customers.customer_id, CUSTOMERS))
    folder = HERE / "online-retail"
    write_folder(slice_, folder)
    sizes = {f.name: f.stat().st_size for f in sorted(folder.glob("*.csv"))}
    print(f"slice: {len(slice_.customers):,} customers, {len(slice_.orders):,} orders, "
          f"{len(slice_.order_items.order_id):,} items, "  # type: ignore[union-attr]
          f"{len(slice_.products.product_id):,} products, "  # type: ignore[union-attr]
          f"{sum(sizes.values()):,} bytes {sizes}")
    raw = write_raw_lines(args.source, HERE / "online-retail-lines.csv")
    print(f"raw lines: {raw} rows in examples/online-retail-lines.csv")


if __name__ == "__main__":
    main()
