"""The in-memory backend: evaluate checked segments over a :class:`~segdsl.store.model.Store`
with numpy, exactly (money in integer minor units, compared by cross-multiplication).

- :func:`prepare` indexes a store once (``prepare.py``);
- :func:`compute_fields` computes every customer's fields for one window (``fields.py``),
  reusable by all the segments sharing that window;
- :func:`evaluate` / :func:`evaluate_mask` evaluate a condition over them (``predicates.py``);
- :func:`matches` decides for one customer in plain Python (``scalar.py``): a separate,
  simple implementation the vectorised one is tested against.

>>> from datetime import date
>>> import numpy as np
>>> from segdsl.check import check_condition
>>> from segdsl.context import RunContext
>>> from segdsl.store.model import Customers, Orders, Store
>>> store = Store(
...     Customers(["c1", "c2", "c3"], [None] * 3, [None] * 3, [None] * 3, ["GB", None, "IN"]),
...     Orders(["o1", "o2", "o3", "o4"], ["c1", "c1", "c2", "zz"],
...            np.array(["2024-03-01", "2024-03-02", "2024-03-03", "2024-03-04"],
...                     dtype="datetime64[s]"),
...            np.array([1000, 5000, 900, 99999], dtype=np.int64)))
>>> segment = check_condition('orders >= 2 AND aov > 29.99 OR country = "India"').segments[0]
>>> ctx = RunContext(as_of=date(2024, 3, 31))
>>> evaluate(segment, store, ctx)
['c1', 'c3']
>>> matches(segment, store, "c2", ctx)
False
"""

from __future__ import annotations

from segdsl.backends.memory.fields import (
    BATCH_KINDS,
    CustomerFields,
    compute_fields,
    shared_fields,
)
from segdsl.backends.memory.predicates import evaluate_condition
from segdsl.backends.memory.prepare import BoolArray, MemoryStore, day_number, prepare
from segdsl.backends.memory.scalar import SCALAR_KINDS, matches
from segdsl.check.typed import CheckedSegment
from segdsl.context import RunContext
from segdsl.store.model import Store


def evaluate_mask(segment: CheckedSegment, ms: MemoryStore, ctx: RunContext,
                  fields: CustomerFields | None = None) -> BoolArray:
    """One bool per customer (in the store's customer order): is the customer in ``segment``?

    ``fields`` may be passed to share one :func:`compute_fields` among the segments with the
    same window; it must have been computed for that window and as-of day.
    """
    bounds = ctx.window_bounds(segment.window)
    if fields is None:
        fields = compute_fields(ms, segment.window, ctx)
    elif fields.ms is not ms or fields.bounds != bounds or \
            fields.as_of != day_number(ctx.as_of):
        raise ValueError("these fields were computed for another store, window or as-of day")
    return evaluate_condition(segment.condition, fields, ctx)


def evaluate(segment: CheckedSegment, store: Store | MemoryStore, ctx: RunContext) -> list[str]:
    """The ids of the customers in ``segment``, sorted.

    Prepare the store once with :func:`prepare` when evaluating several segments: segments
    evaluated on one prepared store with the same window and as-of day then share their
    fields. (A prepared store assumes its Store is not changed afterwards.)
    """
    ms = store if isinstance(store, MemoryStore) else prepare(store)
    return ids_of(ms, evaluate_mask(segment, ms, ctx, shared_fields(ms, segment.window, ctx)))


def ids_of(ms: MemoryStore, mask: BoolArray) -> list[str]:
    """The ids of the customers selected by ``mask``, in id order."""
    selected: list[str] = ms.sorted_ids[mask[ms.sort_perm]].tolist()
    return selected


__all__ = ["BATCH_KINDS", "SCALAR_KINDS", "CustomerFields", "MemoryStore", "compute_fields",
           "evaluate", "evaluate_mask", "ids_of", "matches", "prepare", "shared_fields"]
