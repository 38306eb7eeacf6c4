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

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from segdsl.catalog import FieldType
from segdsl.store.model import Orders, Store

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


def _arrow_text(values: Sequence[str | None]) -> pa.Array | None:
    """``values`` as an Arrow string array (None -> null), or None when Arrow cannot hold them
    exactly (a lone surrogate has no UTF-8 form; a non-str value is not text): callers then
    take their pure-Python path, which gives the same answer, only slower.

    UTF-8 is injective and preserves code-point order, so equality, hashing and sorting of
    the Arrow values agree with Python's on the ``str`` values.
    """
    try:
        return pa.array(values, pa.string())
    except (pa.ArrowException, UnicodeError, TypeError, ValueError):
        return None


def _int64(values: pa.Array | pa.ChunkedArray) -> IntArray:
    """An Arrow integer array with nulls as -1, as int64 numpy."""
    if values.null_count:
        values = values.fill_null(-1)
    return np.asarray(values.to_numpy(), dtype=np.int64)


def factorise(values: Sequence[str | None]) -> Factor:
    """Codes of ``values`` over the vocabulary of their lowered forms.

    The rows are dictionary-encoded by Arrow (a hash pass in C; the dictionary keeps the
    order of first appearance), then each *distinct* raw value is lowered once with Python's
    own ``str.lower`` (full Unicode, exactly what the checker used on literals) and the codes
    are remapped. No fixed-width string array is built, so one long value inflates nothing.

    >>> f = factorise(["GB", None, "gb", "Fr"])
    >>> f.vocab, f.codes.tolist()
    (['gb', 'fr'], [0, -1, 0, 1])
    """
    arrow = _arrow_text(values)
    raw_values: Sequence[str | None]
    if arrow is not None:
        encoded = arrow.dictionary_encode()  # nulls stay null in the indices
        raw_values = encoded.dictionary.to_pylist()
        raw_codes = _int64(encoded.indices)
    else:
        raw: dict[str | None, int] = {}
        raw_codes = np.fromiter((raw.setdefault(v, len(raw)) for v in values), dtype=np.int64,
                                count=len(values))
        raw_values = list(raw)
    lowered: dict[str, int] = {}
    # A trailing -1 so that a missing value (code -1) maps to -1.
    remap = np.full(len(raw_values) + 1, -1, dtype=np.int64)
    for i, v in enumerate(raw_values):
        if v is not None:
            remap[i] = lowered.setdefault(v.lower(), len(lowered))
    return Factor(list(lowered), remap[raw_codes])


def positions(keys: Sequence[str | None], universe: Sequence[str]) -> IntArray:
    """For each key, its index in ``universe`` (whose values should be unique; for a repeated
    value the last index wins), or -1.

    >>> positions(["b", None, "x", "a"], ["a", "b", "a"]).tolist()
    [1, -1, -1, 2]
    """
    arrow_keys = _arrow_text(keys)
    arrow_universe = _arrow_text(universe) if arrow_keys is not None else None
    if arrow_keys is not None and arrow_universe is not None:
        # index_in hashes the universe once and looks every key up in C (a null key finds
        # nothing). It answers the *first* index of a repeated value, so it searches the
        # universe reversed, whose first is our last.
        n = len(arrow_universe)
        backwards = arrow_universe.take(pa.array(np.arange(n - 1, -1, -1, dtype=np.int64)))
        found = _int64(_index_in(arrow_keys, backwards))
        return np.where(found >= 0, n - 1 - found, -1)
    return _positions_python(keys, universe)


def _index_in(keys: pa.Array, value_set: pa.Array) -> pa.Array:
    """``pc.index_in``, over slices of a long ``keys`` in threads (Arrow releases the GIL;
    each slice hashes ``value_set`` again, which is small next to the lookups)."""
    workers = min(os.cpu_count() or 1, 8)
    if workers == 1 or len(keys) < 2**20:
        return pc.index_in(keys, value_set=value_set)
    step = -(-len(keys) // workers)
    with ThreadPoolExecutor(workers) as pool:
        parts = pool.map(lambda i: pc.index_in(keys.slice(i, step), value_set=value_set),
                         range(0, len(keys), step))
        return pa.concat_arrays(list(parts))


def _positions_python(keys: Sequence[str | None], universe: Sequence[str]) -> IntArray:
    """:func:`positions` with dicts, for values Arrow cannot hold. The dict is built over
    the smaller side: a few item rows against ten million orders should not cost a
    ten-million-entry dict."""
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


_NAT = np.iinfo(np.int64).min
_MAX = np.iinfo(np.int64).max


def _order_days(orders: Orders) -> IntArray:
    """``orders.local_date`` as day numbers. For ``datetime64[s]`` (what the model holds)
    this is a floor division of the raw seconds, which is what numpy's cast to days does
    (NaT stays NaT), at a tenth of the cost."""
    at = orders.ordered_at
    if at.dtype != np.dtype("datetime64[s]"):
        return orders.local_date.astype(np.int64)
    seconds = at.view(np.int64)
    day = seconds // 86400
    nat = seconds == _NAT
    if nat.any():
        day[nat] = _NAT
    return day


def _sorted_orders(store: Store, customer_ids: list[str]) -> tuple[IntArray, ...]:
    """Known orders sorted by (customer, day); returns cust, day, total, and for each original
    order its position in the sorted arrays (-1 when dropped)."""
    orders = store.orders
    n = len(customer_ids)
    cust = positions(orders.customer_id, customer_ids)
    day = _order_days(orders)
    known = cust >= 0
    n_known = int(np.count_nonzero(known))
    low = int(day.min(where=known, initial=_MAX)) if n_known else 0
    width = int(day.max(where=known, initial=_NAT)) - low + 1 if n_known else 1
    # One int64 key: customer, then day; unknown orders get key n * width, after every known
    # one, and are cut off after the sort. Ties are orders of one customer on one day, whose
    # relative order does not matter; they keep their original order (a stable sort).
    key = np.where(known, cust * width + (day - low), n * width)
    bits = max(len(key) - 1, 0).bit_length()
    if (n + 1) * width << bits <= 2**63:
        # When the key leaves room, the row number rides in its low bits, and sorting the
        # values (numpy's SIMD sort) is a few times faster than an argsort of the key.
        packed = np.sort((key << bits) | np.arange(len(key), dtype=np.int64))[:n_known]
        sorted_key = packed >> bits
        order = packed & ((1 << bits) - 1)
    else:
        order = np.argsort(key, kind="stable")[:n_known]
        sorted_key = key[order]
    where = np.full(len(cust), -1, dtype=np.int64)
    where[order] = np.arange(n_known, dtype=np.int64)
    sorted_cust = sorted_key // width
    total = np.asarray(orders.total_minor, dtype=np.int64)
    return sorted_cust, sorted_key - sorted_cust * width + low, total[order], where


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
    arrow_ids = _arrow_text(ids)
    if arrow_ids is not None:  # a stable sort by UTF-8 bytes, which is code-point order
        perm = _int64(pc.sort_indices(arrow_ids))
    else:
        perm = np.array(sorted(range(len(ids)), key=ids.__getitem__), dtype=np.int64)
    all_ids = np.empty(len(ids), dtype=object)
    all_ids[:] = ids
    sorted_ids = all_ids[perm]
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
