"""Per-customer field columns for one window, with one implementation per catalog Kind.

:func:`compute_fields` does the order aggregates (count, sum, first and last day) in one
linear pass: orders were sorted by (customer, day) in ``prepare``, so the selected orders of a
customer form one run; ``np.add.reduceat`` sums each run in integers (exact, unlike a float
``bincount``), and the run's first and last elements are the first and last order days.
Other columns are built on first use and cached, so many segments share the work.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from segdsl.backends.memory.columns import Column, Days, Exact, Floats, Ints, Texts, TextSets
from segdsl.backends.memory.prepare import BoolArray, IntArray, MemoryStore, day_number
from segdsl.catalog import Field, Kind
from segdsl.check.typed import Window
from segdsl.context import RunContext
from segdsl.errors import UsageError
from segdsl.store.model import Store

_INT64_MAX = 2**63 - 1


class CustomerFields:
    """The fields of every customer over the orders of one window."""

    def __init__(self, ms: MemoryStore, bounds: tuple[date | None, date], as_of: date):
        self.ms = ms
        self.bounds = bounds
        self.as_of = day_number(as_of)
        self.n = ms.n_customers
        start = day_number(bounds[0]) if bounds[0] is not None else None
        self.start, self.end = start, day_number(bounds[1])
        self._columns: dict[Field, Column] = {}
        self._aggregate()

    def in_window(self, day: IntArray) -> BoolArray | None:
        """Which of ``day`` are in the window; None when all of them are (no copy needed)."""
        if len(day) == 0:
            return None
        lo, hi = int(day.min()), int(day.max())
        if (self.start is None or self.start <= lo) and hi <= self.end:
            return None
        keep = day <= self.end
        if self.start is not None:
            keep &= day >= self.start
        return keep

    def _aggregate(self) -> None:
        ms, n = self.ms, self.n
        cust, day, total = ms.order_cust, ms.order_day, ms.order_total
        keep = self.in_window(day)
        if keep is not None:
            cust, day, total = cust[keep], day[keep], total[keep]
        self.count = np.zeros(n, dtype=np.int64)
        self.first = np.zeros(n, dtype=np.int64)
        self.last = np.zeros(n, dtype=np.int64)
        # A partial sum never exceeds max|total| * orders, so int64 is exact below that bound;
        # beyond it the sums are taken over Python ints.
        wide = ms.total_bound > _INT64_MAX
        spent: Ints = np.zeros(n, dtype=object if wide else np.int64)
        assert not isinstance(spent, int)
        if len(cust):
            starts = np.flatnonzero(np.concatenate(([True], cust[1:] != cust[:-1])))
            ends = np.append(starts[1:], len(cust)) - 1
            who = cust[starts]
            self.count[who] = ends - starts + 1
            self.first[who] = day[starts]
            self.last[who] = day[ends]
            spent[who] = np.add.reduceat(total.astype(object) if wide else total, starts)
        self.spent = spent
        self.has = self.count > 0
        self.store_sum = int(total.astype(object).sum()) if wide else int(total.sum())
        self.store_count = len(cust)

    def column(self, f: Field) -> Column:
        """The column of field ``f`` (computed once per window)."""
        found = self._columns.get(f)
        if found is None:
            try:
                impl = BATCH_KINDS[f.kind]
            except KeyError:
                raise NotImplementedError(f"the memory backend has no `{f.kind}` fields") \
                    from None
            found = self._columns[f] = impl(self, f)
        return found


def _customer_text(cf: CustomerFields, f: Field) -> Column:
    factor = cf.ms.text[str(f.column)]
    return Texts(factor.codes, factor.vocab)


def _order_count(cf: CustomerFields, f: Field) -> Column:
    return Exact(cf.count, 1, True)


def _amount_spent(cf: CustomerFields, f: Field) -> Column:
    return Exact(cf.spent, 10 ** cf.ms.store.money_scale, True)


def _aov(cf: CustomerFields, f: Field) -> Column:
    # spent / (count * 10^scale); the count is 0 where missing, which `present` masks out.
    return Exact(cf.spent, cf.count * 10 ** cf.ms.store.money_scale, cf.has)


def _store_aov(cf: CustomerFields, f: Field) -> Column:
    den = max(cf.store_count, 1) * 10 ** cf.ms.store.money_scale
    return Exact(cf.store_sum, den, cf.store_count > 0)


def _first_order_date(cf: CustomerFields, f: Field) -> Column:
    return Days(cf.first, cf.has)


def _last_order_date(cf: CustomerFields, f: Field) -> Column:
    return Days(cf.last, cf.has)


def _days_since_last_order(cf: CustomerFields, f: Field) -> Column:
    return Exact(cf.as_of - cf.last, 1, cf.has)


def _item_set(cf: CustomerFields, f: Field) -> Column:
    facts = cf.ms.item_sets.get(str(f.column))
    empty = np.empty(0, dtype=np.int64)
    if facts is None or not facts.vocab:
        return TextSets(empty, empty, facts.vocab if facts else [])
    order = facts.order
    keep = cf.in_window(cf.ms.order_day[order])
    codes = facts.code
    if keep is not None:
        order, codes = order[keep], codes[keep]
    # One key per (customer, value); np.unique drops the repeats that several items, or
    # several orders, of one customer produce.
    width = len(facts.vocab)
    keys = np.unique(cf.ms.order_cust[order] * width + codes)
    return TextSets(keys // width, keys % width, facts.vocab)


def _rfm_values(cf: CustomerFields, f: Field) -> Ints:
    """The value the score ranks, higher = better, for every customer (meaningful where
    ``cf.has``): the last order day, the order count, or the amount spent in minor units."""
    return {"recency": cf.last, "frequency": cf.count, "monetary": cf.spent}[str(f.column)]


def _rfm_score(cf: CustomerFields, f: Field) -> Column:
    values = _rfm_values(cf, f)
    assert not isinstance(values, int)
    ranked = values[cf.has]
    n = len(ranked)
    score = np.zeros(cf.n, dtype=np.int64)
    if n:
        # side="left" finds how many ranked values are strictly smaller (ties share it); an
        # object array of Python ints (very large sums) sorts and searches exactly too.
        worse = np.searchsorted(np.sort(ranked), ranked, side="left").astype(np.int64)
        score[cf.has] = 1 + (5 * worse) // n  # integer floor: exact
    return Exact(score, 1, cf.has)


def custom_column(store: Store, f: Field) -> str:
    """The column of custom field ``f``, refused when the store has no such column of that
    type (a segment checked without a store may name one)."""
    column = str(f.column)
    found = store.customers.custom.get(column)
    if found is None or found.type is not f.type:
        have = f"is {found.type}" if found else "does not exist"
        raise UsageError(f"custom attribute `{column}` is used as {f.type} but {have} in "
                         "this store")
    return column


def _custom(cf: CustomerFields, f: Field) -> Column:
    column = custom_column(cf.ms.store, f)
    if column in cf.ms.numbers:
        values, present = cf.ms.numbers[column]
        return Floats(values, present)
    if column in cf.ms.dates:
        days, present = cf.ms.dates[column]
        return Days(days, present)
    factor = cf.ms.text[column]
    return Texts(factor.codes, factor.vocab)


# One entry per Kind.
BATCH_KINDS: dict[Kind, Callable[[CustomerFields, Field], Column]] = {
    Kind.CUSTOMER_TEXT: _customer_text,
    Kind.ORDER_COUNT: _order_count,
    Kind.AMOUNT_SPENT: _amount_spent,
    Kind.AOV: _aov,
    Kind.STORE_AOV: _store_aov,
    Kind.FIRST_ORDER_DATE: _first_order_date,
    Kind.LAST_ORDER_DATE: _last_order_date,
    Kind.DAYS_SINCE_LAST_ORDER: _days_since_last_order,
    Kind.ITEM_SET: _item_set,
    Kind.CUSTOM: _custom,
    Kind.RFM_SCORE: _rfm_score,
}


def compute_fields(ms: MemoryStore, window: Window, ctx: RunContext) -> CustomerFields:
    """Every customer's fields over the orders of ``window``, as seen from ``ctx``."""
    return CustomerFields(ms, ctx.window_bounds(window), ctx.as_of)


_KEEP_FIELDS = 2


def shared_fields(ms: MemoryStore, window: Window, ctx: RunContext) -> CustomerFields:
    """The fields for ``window``, reused from a recent call on the same prepared store.

    Segments with the same window share them, and so do a segment and the segments it
    refers to (``IN SEGMENT``) when their windows agree."""
    key = (*ctx.window_bounds(window), ctx.as_of)
    found = ms.recent_fields.pop(key, None)
    if not isinstance(found, CustomerFields):
        found = compute_fields(ms, window, ctx)
    ms.recent_fields[key] = found  # most recent last
    while len(ms.recent_fields) > _KEEP_FIELDS:
        del ms.recent_fields[next(iter(ms.recent_fields))]
    return found
