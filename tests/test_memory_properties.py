"""Property test: on random small stores and random well-typed conditions, the vectorised path
(``evaluate``) agrees with the one-customer reference path (``matches``) for every customer."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from segdsl.backends.memory import evaluate, matches, prepare
from segdsl.catalog import FieldType
from segdsl.check import check_condition
from segdsl.check.typed import Const, RelativeDate, Window
from segdsl.context import RunContext
from segdsl.store.model import (
    CustomColumn,
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)

# The checker raises the recursion limit on first use; raising it up front keeps hypothesis
# from warning that the limit changed during a test.
sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

AS_OF = date(2024, 3, 31)
IDS = ["c1", "c2", "c3", "c4", "c5", "c6", "0007"]
TEXTS = ["Ab", "ÉCOLE", "école", "a%b", "x_y", "ß", "İstanbul", "Résumé", "resume", "gb"]
COUNTRIES = ["GB", "gbr", "United Kingdom", "IN", "fr", "Atlantis"]
TYPES = ["Shirt", "shirt", "Hat", "Bag", "ÉTÉ"]
TOTALS = ["0", "0.10", "0.20", "10", "11", "10.33", "31", "50", "99.99"]
DECIMALS = ["0", "1", "2", "2.5", "3", "0.3", "10.33", "31", "50", "-1"]
DAY_OFFSETS = range(-70, 3)

maybe_text = st.sampled_from([None, *TEXTS])


@st.composite
def stores(draw: st.DrawFn) -> Store:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=1, max_size=6, unique=True))
    n = len(ids)
    customers = Customers(
        ids, [draw(maybe_text) for _ in ids], [draw(maybe_text) for _ in ids],
        [draw(maybe_text) for _ in ids],
        [draw(st.none() | st.sampled_from(COUNTRIES)) for _ in ids],
        {
            "num": CustomColumn(FieldType.NUMBER, [draw(st.none() | st.sampled_from(
                [Decimal(d) for d in DECIMALS])) for _ in range(n)]),
            "day": CustomColumn(FieldType.DATE, [draw(st.none() | st.sampled_from(
                [AS_OF + timedelta(days=d) for d in DAY_OFFSETS])) for _ in range(n)]),
            "tier": CustomColumn(FieldType.TEXT, [draw(maybe_text) for _ in range(n)]),
        })
    n_orders = draw(st.integers(0, 12))
    owners = [draw(st.sampled_from([None, "zz", *ids, *ids])) for _ in range(n_orders)]
    stamps = [datetime.combine(AS_OF, datetime.min.time())
              + timedelta(days=draw(st.sampled_from(DAY_OFFSETS)),
                          hours=draw(st.integers(0, 23))) for _ in range(n_orders)]
    totals = [int(Decimal(draw(st.sampled_from(TOTALS))) * 100) for _ in range(n_orders)]
    order_ids = [f"o{i}" for i in range(n_orders)]
    orders = Orders(order_ids, owners, np.array(stamps, dtype="datetime64[s]"),
                    np.array(totals, dtype=np.int64))
    products = ["p1", "p2", "p3", "p4"]
    n_items = draw(st.integers(0, 20))
    items = OrderItems([draw(st.sampled_from([*order_ids, "ghost"])) for _ in range(n_items)],
                       [draw(st.sampled_from([None, "p9", *products, *products]))
                        for _ in range(n_items)],
                       [None] * n_items, [None] * n_items)
    prods = Products(products, [None] * 4, [draw(st.sampled_from([None, *TYPES]))
                                            for _ in products])
    pairs = draw(st.lists(st.tuples(st.sampled_from([*products, "p8"]),
                                    st.sampled_from([None, *TYPES])), max_size=8))
    collections = ProductCollections([p for p, _ in pairs], [c for _, c in pairs])
    return Store(customers, orders, items, prods, collections, money_scale=2)


def _quoted(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return values.map(lambda s: '"' + s + '"')


_dates = st.one_of(
    st.sampled_from(DAY_OFFSETS).map(lambda d: (AS_OF + timedelta(days=d)).isoformat()),
    st.sampled_from(["-1d", "-2w", "-1m", "today", "yesterday", "-10d"]))
_numbers = st.sampled_from(DECIMALS)
_ORDERED = {
    "orders": _numbers, "days_since_last_order": _numbers, "custom.num": _numbers,
    "amount_spent": st.sampled_from(TOTALS + ["20", "0.3", "30.33"]),
    "aov": st.sampled_from(TOTALS + ["10.333", "0.15"]),
    "store_aov": st.sampled_from(TOTALS),
    "first_order_date": _dates, "last_order_date": _dates, "custom.day": _dates,
}
_SAME_TYPE = [["orders", "days_since_last_order", "custom.num"],
              ["amount_spent", "aov", "store_aov"],
              ["first_order_date", "last_order_date", "custom.day"],
              ["name", "email", "phone", "country", "custom.tier"]]
_TEXTUAL = ["name", "email", "phone", "country", "custom.tier", "product_type", "collection"]
_PATTERNS = {"country": COUNTRIES, "product_type": TYPES, "collection": TYPES}
_EXTRA = ["%", "_", "é", "s", "t", "SH", "ABC"]


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["ordered", "text", "field", "null"]))
    if kind == "null":
        f = draw(st.sampled_from([*_ORDERED, *_TEXTUAL]))
        return f"{f} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if kind == "field":
        group = draw(st.sampled_from(_SAME_TYPE))
        a, b = draw(st.sampled_from(group)), draw(st.sampled_from(group))
        ops = ["=", "!="] if group[0] == "name" else ["=", "!=", "<", "<=", ">", ">="]
        return f"{a} {draw(st.sampled_from(ops))} {b}"
    if kind == "ordered":
        f = draw(st.sampled_from(list(_ORDERED)))
        values = _ORDERED[f]
        form = draw(st.sampled_from(["cmp", "between", "in", "not in"]))
        if form == "cmp":
            op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
            return f"{f} {op} {draw(values)}"
        if form == "between":
            return f"{f} BETWEEN {draw(values)} AND {draw(values)}"
        listed = ", ".join(draw(st.lists(values, min_size=1, max_size=3)))
        return f"{f} {form.upper()} ({listed})"
    f = draw(st.sampled_from(_TEXTUAL))
    _patterns = _quoted(st.sampled_from(_PATTERNS.get(f, TEXTS) + _EXTRA))
    form = draw(st.sampled_from(["=", "!=", "IN", "NOT IN", "CONTAINS", "STARTS WITH",
                                 "ENDS WITH"]))
    if form in ("IN", "NOT IN"):
        return f"{f} {form} ({', '.join(draw(st.lists(_patterns, min_size=1, max_size=3)))})"
    return f"{f} {form} {draw(_patterns)}"


def conditions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR"]), inner).map(" ".join),
            inner.map(lambda c: f"NOT ({c})"),
            inner.map(lambda c: f"({c})"))
    return st.recursive(comparisons(), extend, max_leaves=5)


windows = st.one_of(
    st.none(),
    st.tuples(st.none() | st.sampled_from(DAY_OFFSETS), st.none() | st.sampled_from(DAY_OFFSETS))
    .map(lambda b: Window(None if b[0] is None else Const(AS_OF + timedelta(days=b[0])),
                          None if b[1] is None else Const(AS_OF + timedelta(days=b[1])))),
    st.sampled_from([Window(RelativeDate(-30, "d"), None), Window(RelativeDate(-1, "m"), None),
                     Window(None, RelativeDate(-7, "d"))]))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(store=stores(), text=conditions(), window=windows)
def test_batch_equals_scalar(store: Store, text: str, window: Window | None) -> None:
    result = check_condition(text, schema=store.schema())
    assert result.ok, (text, [d.message for d in result.diagnostics])
    seg = result.segments[0]
    if window is not None:
        seg = replace(seg, window=window)
    ctx = RunContext(as_of=AS_OF)
    got = evaluate(seg, prepare(store), ctx)
    expected = [c for c in sorted(store.customers.customer_id) if matches(seg, store, c, ctx)]
    assert got == expected, text
