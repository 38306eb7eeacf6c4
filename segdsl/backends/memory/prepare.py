"""Turn a :class:`~segdsl.store.model.Store` into flat numpy arrays, once per store.

Everything that does not depend on the window is done here, so that computing fields for a
window is a handful of linear numpy passes:

- customers get an index 0..n-1 (the store's row order) and a permutation to id order;
- orders of known customers are kept and sorted by (customer, local day), so a customer's
  orders are one contiguous run whose first/last elements are the first/last order dates;
  orders whose customer is None or unknown are dropped here, hence ignored everywhere;
- text columns are factorised into codes over a vocabulary of *lowered* strings, so a text
  predicate runs once per distinct value and is then gathered by code;
- each item-set field (product type, collection) becomes (order, value code) facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt

from segdsl.catalog import FieldType
from segdsl.store.model import Store

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01: the integer form of dates used by every array here."""
    return (day - EPOCH).days


@dataclass(frozen=True)
class Factor:
    """A text column as codes into ``vocab`` (distinct lowered strings); -1 is missing."""

    vocab: list[str]
    codes: IntArray


@dataclass(frozen=True)
class ItemFacts:
    """One row per (item, value) pair of an item-set field: the order (a position in the
    sorted order arrays of :class:`MemoryStore`) and the lowered value's code."""

    order: IntArray
    code: IntArray
    vocab: list[str]


@dataclass
class MemoryStore:
    """A store prepared for vectorised evaluation (see the module docstring)."""

    store: Store
    customer_ids: list[str]
    sort_perm: IntArray  # customer indexes in customer-id order
    sorted_ids: npt.NDArray[np.object_]  # customer ids in id order
    order_cust: IntArray  # known orders only, sorted by (customer, day)
    order_day: IntArray
    order_total: IntArray
    total_bound: int  # max |total| * number of orders: bounds every partial sum, exactly
    text: dict[str, Factor] = field(default_factory=dict)  # standard and custom text columns
    numbers: dict[str, tuple[FloatArray, BoolArray]] = field(default_factory=dict)
    dates: dict[str, tuple[IntArray, BoolArray]] = field(default_factory=dict)
    item_sets: dict[str, ItemFacts] = field(default_factory=dict)  # by catalog column
    # The fields of the last few (window bounds, as-of day) evaluated, so that segments sharing
    # a window share one compute_fields (see evaluate); small, as each holds n-sized arrays.
    recent_fields: dict[tuple[date | None, date, date], Any] = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)


def factorise(values: Sequence[str | None]) -> Factor:
    """Codes of ``values`` over the vocabulary of their lowered forms.

    A dict pass instead of ``np.unique``: it needs no fixed-width string array (one long
    value would inflate every row) and lowers each *distinct* raw value once, with Python's
    own ``str.lower`` (full Unicode, exactly what the checker used on literals).

    >>> f = factorise(["GB", None, "gb", "Fr"])
    >>> f.vocab, f.codes.tolist()
    (['gb', 'fr'], [0, -1, 0, 1])
    """
    raw: dict[str | None, int] = {}
    raw_codes = np.fromiter((raw.setdefault(v, len(raw)) for v in values), dtype=np.int64,
                            count=len(values))
    lowered: dict[str, int] = {}
    remap = np.empty(len(raw), dtype=np.int64)
    for v, i in raw.items():
        remap[i] = -1 if v is None else lowered.setdefault(v.lower(), len(lowered))
    return Factor(list(lowered), remap[raw_codes])


def positions(keys: Sequence[str | None], universe: Sequence[str]) -> IntArray:
    """For each key, its index in ``universe`` (whose values are unique), or -1.

    The dict is built over the smaller side: a few item rows against ten million orders
    should not cost a ten-million-entry dict.
    """
    if len(keys) <= len(universe):
        wanted: dict[str | None, int] = {}
        key_codes = np.fromiter((wanted.setdefault(k, len(wanted)) for k in keys),
                                dtype=np.int64, count=len(keys))
        found = np.full(len(wanted), -1, dtype=np.int64)
        for i, u in enumerate(universe):
            j = wanted.get(u)
            if j is not None:
                found[j] = i
        return found[key_codes]
    index: dict[str | None, int] = {u: i for i, u in enumerate(universe)}
    # map() keeps the per-key work in C; None is never a key, so it gets -1 like any miss.
    return np.fromiter(map(index.get, keys, repeat(-1)), dtype=np.int64, count=len(keys))


def _sorted_orders(store: Store, customer_ids: list[str]) -> tuple[IntArray, ...]:
    """Known orders sorted by (customer, day); returns cust, day, total, and for each original
    order its position in the sorted arrays (-1 when dropped)."""
    orders = store.orders
    cust = positions(orders.customer_id, customer_ids)
    day = orders.local_date.astype(np.int64)
    total = np.asarray(orders.total_minor, dtype=np.int64)
    keep = np.flatnonzero(cust >= 0)
    # One int64 key (customer, then day) sorts faster than a two-key lexsort; ties are
    # orders of one customer on one day, whose relative order does not matter.
    day_kept = day[keep]
    low = int(day_kept.min()) if len(keep) else 0
    width = int(day_kept.max()) - low + 1 if len(keep) else 1
    order = keep[np.argsort(cust[keep] * width + (day_kept - low))]
    where = np.full(len(cust), -1, dtype=np.int64)
    where[order] = np.arange(len(order), dtype=np.int64)
    return cust[order], day[order], total[order], where


def _item_sets(store: Store, where: IntArray) -> dict[str, ItemFacts]:
    items = store.order_items
    if items is None:
        return {}
    # A trailing -1 so that an item of an unknown order (position -1) maps to "dropped".
    item_order = np.append(where, -1)[positions(items.order_id, store.orders.order_id)]
    out: dict[str, ItemFacts] = {}
    if store.products is not None:
        types = factorise(store.products.product_type)
        product = positions(items.product_id, store.products.product_id)
        code = np.append(types.codes, -1)[product]  # -1 (unknown product) hits the sentinel
        ok = (item_order >= 0) & (code >= 0)
        out["product_type"] = ItemFacts(item_order[ok], code[ok], types.vocab)
    if store.product_collections is not None:
        out["collection"] = _collections(store, items.product_id, item_order)
    return out


def _collections(store: Store, item_product: Sequence[str | None],
                 item_order: IntArray) -> ItemFacts:
    """Join items to product_collections on product_id; a product may be in many."""
    pc = store.product_collections
    assert pc is not None
    names = factorise(pc.collection)
    pids: dict[str, int] = {}
    row_pid = np.fromiter((pids.setdefault(p, len(pids)) for p in pc.product_id),
                          dtype=np.int64, count=len(pc.product_id))
    item_pid = np.fromiter((pids.get(p, -1) if p is not None else -1 for p in item_product),
                           dtype=np.int64, count=len(item_product))
    good = names.codes >= 0
    by_pid = np.argsort(row_pid[good], kind="stable")
    sorted_pid, sorted_code = row_pid[good][by_pid], names.codes[good][by_pid]
    lo = np.searchsorted(sorted_pid, item_pid, "left")
    hi = np.searchsorted(sorted_pid, item_pid, "right")
    counts = np.where((item_pid >= 0) & (item_order >= 0), hi - lo, 0)
    # Expand each item into its product's collection rows: row k of item i is lo[i] + k.
    item_of_row = np.repeat(np.arange(len(item_pid)), counts)
    run_start = np.repeat(np.cumsum(counts) - counts, counts)
    rows = np.repeat(lo, counts) + (np.arange(len(item_of_row)) - run_start)
    return ItemFacts(item_order[item_of_row], sorted_code[rows], names.vocab)


def prepare(store: Store) -> MemoryStore:
    """Index ``store`` for :func:`~segdsl.backends.memory.fields.compute_fields`."""
    ids = list(store.customers.customer_id)
    perm = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
    sorted_ids = np.empty(len(ids), dtype=object)
    sorted_ids[:] = [ids[i] for i in perm]
    cust, day, total, where = _sorted_orders(store, ids)
    biggest = max(int(total.max()), -int(total.min())) if len(total) else 0
    ms = MemoryStore(store, ids, perm, sorted_ids, cust, day, total, biggest * len(total))
    for column in ("name", "email", "phone", "country"):
        ms.text[column] = factorise(store.customers.text_column(column))
    for column, values in store.customers.custom.items():
        present = np.array([v is not None for v in values.values], dtype=bool)
        if values.type is FieldType.NUMBER:
            nums = np.array([float(v) if isinstance(v, Decimal) else np.nan for v in values.values],
                            dtype=np.float64)
            ms.numbers[column] = (nums, present)
        elif values.type is FieldType.DATE:
            days = np.array([day_number(v) if isinstance(v, date) else 0
                             for v in values.values], dtype=np.int64)
            ms.dates[column] = (days, present)
        else:
            ms.text[column] = factorise([v if isinstance(v, str) else None
                                         for v in values.values])
    ms.item_sets = _item_sets(store, where)
    return ms
