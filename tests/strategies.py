"""Hypothesis strategies shared by the property tests: random small stores full of traps, and
random well-typed conditions written as *text* in the language.

Two families of conditions:

- :func:`conditions` draws literals from fixed pools (independent of the store); the memory
  batch-vs-scalar test uses it.
- :func:`segments` draws literals mostly from values *actually in the store* (and from case,
  prefix and suffix variants of them), so that most predicates are true for some customers and
  false for others; a differential test on conditions that select nobody proves nothing.

What the stores hold, on purpose: customers with and without orders, missing values
everywhere, ties (totals and days from small pools), multi-item orders, products in several
collections (or none, or unknown ones), orders at midnight and at 23:59:59 store-local time,
stores in several time zones (timestamps are already store-local, as the reader leaves them),
Unicode and mixed-case text, ``%`` and ``_`` in values, money with up to 6 decimals, and
custom attributes of each type, one with a column name that needs quoting.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import numpy as np
from hypothesis import strategies as st

from segdsl.catalog import FieldType
from segdsl.check.typed import Const, RelativeDate, Window
from segdsl.store.model import (
    CustomColumn,
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)

AS_OF = date(2024, 3, 31)
# "c1"/"C1" differ only in case and "0007" looks like a number: ids must compare exactly.
IDS = ["c1", "C1", "c2", "c3", "c4", "c5", "c6", "0007"]
# Accents, mixed case, LIKE wildcards, ß (lowers to itself, uppers to SS), İ (lowers to two
# characters), Greek, spaces. Deliberately absent: a word-final capital "Σ" (Python lowers it
# to "ς", no database's LOWER() does) and the characters MariaDB's default collation cannot
# lower (Ƞ, ẞ, ...): known open differences, see the xfail tests in test_differential.py.
TEXTS = ["Ab", "ÉCOLE", "école", "a%b", "x_y", "ß", "Straße", "Résumé", "resume", "gb",
         "İstanbul", "ΣOFIA", "Ωmega", "a b", "a b ", "100%", "_x", "Zoë Martin", "ZOË"]
EMAILS = ["ann@example.com", "Ann@Example.COM", "b_c@x.org", "b%c@x.org", "zoë@exämple.de"]
COUNTRIES = ["GB", "gbr", "United Kingdom", "IN", "fr", "Atlantis", "de", "Deutschland"]
TYPES = ["Shirt", "shirt", "Hat", "Bag", "ÉTÉ", "T_Shirt", "100% Cotton"]
TOTALS = ["0", "0.10", "0.20", "10", "11", "10.33", "31", "50", "99.99"]
DECIMALS = ["0", "1", "2", "2.5", "3", "0.3", "10.33", "31", "50", "-1"]
DAY_OFFSETS = range(-70, 3)  # 1 and 2 are after the as-of day: such orders never count
RELATIVE = ["today", "yesterday", "-1d", "-10d", "-30d", "-2w", "-1m", "-2m", "-1y", "-30D"]
# RFM scores are 1..5; 0, 6 and halves probe the edges and the exact comparison.
SCORES = ["1", "2", "3", "4", "5", "0", "6", "2.5", "4.5"]
RFM_FIELDS = ["recency_score", "frequency_score", "monetary_score"]
CUSTOM_NUMBERS = [Decimal(d) for d in DECIMALS] + [Decimal("0.57"), Decimal("1e3")]
# A custom column whose name is no identifier: segments write it quoted, in another case.
LEVEL_COLUMN = "Loyalty Level"
LEVEL = 'custom."loyalty level"'
TIMEZONES = ["UTC", "Europe/Paris", "Asia/Kolkata", "America/Los_Angeles", "Pacific/Chatham"]

maybe_text = st.sampled_from([None, *TEXTS])


def _money(draw: st.DrawFn, scale: int) -> int:
    """A total in minor units of ``10 ** -scale``: mostly from a small pool (ties), sometimes
    with as many decimals as the scale allows."""
    if draw(st.booleans()):
        return int(Decimal(draw(st.sampled_from(TOTALS))).scaleb(scale))
    return draw(st.integers(0, 120 * 10 ** scale))


def _stamp(draw: st.DrawFn) -> datetime:
    """A store-local timestamp; midnight and 23:59:59 are the edges of a day."""
    day = AS_OF + timedelta(days=draw(st.sampled_from(DAY_OFFSETS)))
    at = draw(st.sampled_from([time(0, 0), time(23, 59, 59), time(12, 0)])
              | st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59)))
    return datetime.combine(day, at)


@st.composite
def stores(draw: st.DrawFn) -> Store:
    ids = draw(st.lists(st.sampled_from(IDS), min_size=2, max_size=8, unique=True))
    n = len(ids)
    customers = Customers(
        ids, [draw(maybe_text) for _ in ids],
        [draw(st.sampled_from([None, *EMAILS, *TEXTS])) for _ in ids],
        [draw(st.sampled_from([None, "+1 555", "0044 20", "555"])) for _ in ids],
        [draw(st.none() | st.sampled_from(COUNTRIES)) for _ in ids],
        {
            "num": CustomColumn(FieldType.NUMBER, [draw(st.none() | st.sampled_from(
                CUSTOM_NUMBERS)) for _ in range(n)]),
            "day": CustomColumn(FieldType.DATE, [draw(st.none() | st.sampled_from(
                [AS_OF + timedelta(days=d) for d in DAY_OFFSETS])) for _ in range(n)]),
            "tier": CustomColumn(FieldType.TEXT, [draw(maybe_text) for _ in range(n)]),
            LEVEL_COLUMN: CustomColumn(FieldType.TEXT, [draw(maybe_text) for _ in range(n)]),
        })
    # The scale is the most decimals any total has, at least 2 (what the reader produces).
    scale = draw(st.sampled_from([2, 2, 3, 4, 6]))
    n_orders = draw(st.integers(0, 14))
    # Owners: known customers (twice as likely), an unknown one and a missing one.
    owners = [draw(st.sampled_from([None, "zz", "c7", *ids, *ids])) for _ in range(n_orders)]
    stamps = [_stamp(draw) for _ in range(n_orders)]
    totals = [_money(draw, scale) for _ in range(n_orders)]
    order_ids = [f"o{i}" for i in range(n_orders)]
    orders = Orders(order_ids, owners, np.array(stamps, dtype="datetime64[s]"),
                    np.array(totals, dtype=np.int64))
    products = ["p1", "p2", "p3", "p4"]
    # Items: several per order (multi-item orders), unknown orders and products, no product.
    n_items = draw(st.integers(0, 20))
    items = OrderItems([draw(st.sampled_from([*order_ids, "ghost"])) for _ in range(n_items)],
                       [draw(st.sampled_from([None, "p9", *products, *products]))
                        for _ in range(n_items)],
                       [Decimal(1)] * n_items, [None] * n_items)
    prods = Products(products, [None] * 4, [draw(st.sampled_from([None, *TYPES]))
                                            for _ in products])
    # Collections: a product may be in several, in none, or be unknown ("p8").
    pairs = draw(st.lists(st.tuples(st.sampled_from([*products, "p8"]),
                                    st.sampled_from([None, *TYPES])), max_size=8))
    collections = ProductCollections([p for p, _ in pairs], [c for _, c in pairs])
    return Store(customers, orders, items, prods, collections, money_scale=scale,
                 timezone=draw(st.sampled_from(TIMEZONES)))


# ------------------------------------------------------------------------------------------
# Store-independent conditions (the memory batch-vs-scalar test)
# ------------------------------------------------------------------------------------------


def quote(text: str) -> str:
    """A text literal of the language: double quotes, with ``\\`` and ``"`` escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _quoted(values: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return values.map(quote)


_dates = st.one_of(
    st.sampled_from(DAY_OFFSETS).map(lambda d: (AS_OF + timedelta(days=d)).isoformat()),
    st.sampled_from(RELATIVE))
_numbers = st.sampled_from(DECIMALS)
_ORDERED = {
    "orders": _numbers, "days_since_last_order": _numbers, "custom.num": _numbers,
    "amount_spent": st.sampled_from(TOTALS + ["20", "0.3", "30.33"]),
    "aov": st.sampled_from(TOTALS + ["10.333", "0.15"]),
    "store_aov": st.sampled_from(TOTALS),
    "first_order_date": _dates, "last_order_date": _dates, "custom.day": _dates,
    **{f: st.sampled_from(SCORES) for f in RFM_FIELDS},
}
SAME_TYPE = [["orders", "days_since_last_order", "custom.num", *RFM_FIELDS],
             ["amount_spent", "aov", "store_aov"],
             ["first_order_date", "last_order_date", "custom.day"],
             ["name", "email", "phone", "country", "custom.tier", LEVEL]]
TEXTUAL = ["name", "email", "phone", "country", "custom.tier", LEVEL, "product_type",
           "collection"]
_PATTERNS = {"country": COUNTRIES, "product_type": TYPES, "collection": TYPES}
_EXTRA = ["%", "_", "é", "s", "t", "SH", "ABC", ""]


@st.composite
def comparisons(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["ordered", "text", "field", "null"]))
    if kind == "null":
        f = draw(st.sampled_from([*_ORDERED, *TEXTUAL]))
        return f"{f} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if kind == "field":
        group = draw(st.sampled_from(SAME_TYPE))
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
    f = draw(st.sampled_from(TEXTUAL))
    _patterns = _quoted(st.sampled_from(_PATTERNS.get(f, TEXTS) + _EXTRA))
    form = draw(st.sampled_from(["=", "!=", "IN", "NOT IN", "CONTAINS", "STARTS WITH",
                                 "ENDS WITH"]))
    if form in ("IN", "NOT IN"):
        return f"{f} {form} ({', '.join(draw(st.lists(_patterns, min_size=1, max_size=3)))})"
    return f"{f} {form} {draw(_patterns)}"


def combine(leaves: st.SearchStrategy[str], max_leaves: int = 5) -> st.SearchStrategy[str]:
    """Chains of AND/OR (no parentheses: left to right), NOT (of a group, of a single
    comparison, doubled) and parenthesised groups; sometimes a long chain of leaves."""
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(["AND", "OR", "and", "Or"]), inner).map(" ".join),
            inner.map(lambda c: f"NOT ({c})"),
            inner.map(lambda c: f"({c})"))
    # NOT binds to the one comparison after it: `NOT a AND b` is `(NOT a) AND b`.
    negated = st.tuples(st.sampled_from(["NOT ", "not NOT "]), leaves).map("".join)
    nested = st.recursive(leaves | negated, extend, max_leaves=max_leaves)
    # One condition in eight is a long chain (they are slower and decide less on their own).
    return st.integers(0, 7).flatmap(lambda i: chains(leaves) if i == 0 else nested)


def chains(leaves: st.SearchStrategy[str], min_size: int = 6,
           max_size: int = 24) -> st.SearchStrategy[str]:
    """A long left-to-right chain ``a AND b OR c ...`` without parentheses."""
    connector = st.sampled_from(["AND", "OR"])
    return st.tuples(leaves, st.lists(st.tuples(connector, leaves), min_size=min_size,
                                      max_size=max_size)) \
        .map(lambda t: " ".join([t[0], *(f"{op} {leaf}" for op, leaf in t[1])]))


def conditions() -> st.SearchStrategy[str]:
    return combine(comparisons())


windows = st.one_of(
    st.none(),
    st.tuples(st.none() | st.sampled_from(DAY_OFFSETS), st.none() | st.sampled_from(DAY_OFFSETS))
    .map(lambda b: Window(None if b[0] is None else Const(AS_OF + timedelta(days=b[0])),
                          None if b[1] is None else Const(AS_OF + timedelta(days=b[1])))),
    st.sampled_from([Window(RelativeDate(-30, "d"), None), Window(RelativeDate(-1, "m"), None),
                     Window(None, RelativeDate(-7, "d"))]))


# ------------------------------------------------------------------------------------------
# Store-biased segments (the differential test)
# ------------------------------------------------------------------------------------------


def _plain(d: Decimal) -> str:
    """A decimal literal in plain notation (the language has no exponent)."""
    return f"{d:f}"


class Pools:
    """The values a store actually holds, per field, as literal text of the language."""

    def __init__(self, store: Store):
        c, o = store.customers, store.orders
        known = set(c.customer_id)
        mine = [i for i, who in enumerate(o.customer_id) if who in known]
        days = [d.isoformat() for d in o.local_date.astype("datetime64[D]").tolist()]
        money = [store.money(int(m)) for m in o.total_minor.tolist()]
        per: dict[str, list[Decimal]] = {}
        for i in mine:
            per.setdefault(str(o.customer_id[i]), []).append(money[i])
        sums = [sum(v, Decimal(0)) for v in per.values()]
        aovs = [(s / len(v)).quantize(Decimal("0.0001")) for s, v in zip(sums, per.values(),
                                                                          strict=True)]
        self.money = [_plain(m) for m in money + sums + aovs]
        self.counts = [str(n) for n in Counter(str(o.customer_id[i]) for i in mine).values()]
        self.days = days + [d.isoformat() for d in c.custom["day"].values if isinstance(d, date)]
        self.gaps = [str((AS_OF - date.fromisoformat(d)).days) for d in days]
        self.nums = [_plain(v) for v in c.custom["num"].values if isinstance(v, Decimal)]
        text: dict[str, list[str]] = {
            "name": [v for v in c.name if v], "email": [v for v in c.email if v],
            "phone": [v for v in c.phone if v], "country": [v for v in c.country if v],
            "custom.tier": [v for v in c.custom["tier"].values if isinstance(v, str) and v],
            LEVEL: [v for v in c.custom[LEVEL_COLUMN].values if isinstance(v, str) and v],
            "product_type": [v for v in (store.products.product_type if store.products
                                         else []) if v],
            "collection": [v for v in (store.product_collections.collection
                                       if store.product_collections else []) if v],
        }
        self.text = text


def _pick(draw: st.DrawFn, found: Sequence[str], fallback: Sequence[str]) -> str:
    """Mostly a value from the store, sometimes one from the fixed pool."""
    if found and draw(st.integers(0, 4)) > 0:
        return draw(st.sampled_from(list(found)))
    return draw(st.sampled_from(list(fallback)))


def _variant(draw: st.DrawFn, text: str, op: str) -> str:
    """A pattern derived from a stored text: changed case, or a piece that matches."""
    how = draw(st.sampled_from(["same", "upper", "lower", "swap", "piece"]))
    if how == "upper":
        return text.upper()
    if how == "lower":
        return text.lower()
    if how == "swap":
        return text.swapcase()
    if how == "piece" and text:
        n = draw(st.integers(1, len(text)))
        if op == "STARTS WITH":
            return text[:n]
        if op == "ENDS WITH":
            return text[-n:]
        start = draw(st.integers(0, len(text) - n))
        return text[start:start + n]
    return text


def _more_decimals(draw: st.DrawFn, literal: str) -> str:
    """The same number with more decimals than the store has (trailing zeros, or a nudge in
    the last place): exact decimals must not be rounded to the money scale."""
    how = draw(st.sampled_from(["as is", "as is", "zeros", "nudge up", "nudge down"]))
    d = Decimal(literal)
    if how == "zeros":
        return _plain(d.quantize(Decimal("1e-6")))
    if how == "nudge up":
        return _plain(d + Decimal("0.00001"))
    if how == "nudge down":
        return _plain(d - Decimal("0.00001"))
    return literal


_DATE_FIELDS = ["first_order_date", "last_order_date", "custom.day"]
_MONEY_FIELDS = ["amount_spent", "aov", "store_aov"]
_NUMBER_FIELDS = ["orders", "days_since_last_order", "custom.num", *RFM_FIELDS]


def _ordered_value(draw: st.DrawFn, pools: Pools, f: str) -> str:
    if f in _DATE_FIELDS:
        if draw(st.integers(0, 3)) == 0:
            return draw(st.sampled_from(RELATIVE))
        fallback = [(AS_OF + timedelta(days=d)).isoformat() for d in DAY_OFFSETS]
        return _pick(draw, pools.days, fallback)
    if f in _MONEY_FIELDS:
        return _more_decimals(draw, _pick(draw, pools.money, TOTALS + ["10.333", "0.3"]))
    found = {"orders": pools.counts, "days_since_last_order": pools.gaps,
             "custom.num": pools.nums, **{r: SCORES[:5] for r in RFM_FIELDS}}[f]
    return _more_decimals(draw, _pick(draw, found, DECIMALS))


@st.composite
def store_comparisons(draw: st.DrawFn, pools: Pools) -> str:
    kind = draw(st.sampled_from(["ordered", "ordered", "text", "text", "field", "null"]))
    if kind == "null":
        f = draw(st.sampled_from([*_DATE_FIELDS, *_MONEY_FIELDS, *_NUMBER_FIELDS, *TEXTUAL]))
        return f"{f} IS {draw(st.sampled_from(['', 'NOT ']))}NULL"
    if kind == "field":
        group = draw(st.sampled_from(SAME_TYPE))
        a, b = draw(st.sampled_from(group)), draw(st.sampled_from(group))
        ops = ["=", "!="] if group[0] == "name" else ["=", "!=", "<", "<=", ">", ">="]
        return f"{a} {draw(st.sampled_from(ops))} {b}"
    if kind == "ordered":
        f = draw(st.sampled_from([*_DATE_FIELDS, *_MONEY_FIELDS, *_NUMBER_FIELDS]))
        form = draw(st.sampled_from(["cmp", "cmp", "between", "in", "not in"]))
        if form == "cmp":
            op = draw(st.sampled_from(["=", "!=", "<", "<=", ">", ">="]))
            return f"{f} {op} {_ordered_value(draw, pools, f)}"
        if form == "between":
            return (f"{f} BETWEEN {_ordered_value(draw, pools, f)} AND "
                    f"{_ordered_value(draw, pools, f)}")
        listed = ", ".join(_ordered_value(draw, pools, f)
                           for _ in range(draw(st.integers(1, 3))))
        return f"{f} {form.upper()} ({listed})"
    f = draw(st.sampled_from(TEXTUAL))
    op = draw(st.sampled_from(["=", "!=", "IN", "NOT IN", "CONTAINS", "STARTS WITH",
                               "ENDS WITH"]))
    fallback = _PATTERNS.get(f, TEXTS) + _EXTRA

    def pattern() -> str:
        return quote(_variant(draw, _pick(draw, pools.text[f], fallback), op))

    if op in ("IN", "NOT IN"):
        return f"{f} {op} ({', '.join(pattern() for _ in range(draw(st.integers(1, 3))))})"
    return f"{f} {op} {pattern()}"


def _bound(draw: st.DrawFn, pools: Pools) -> str:
    if draw(st.booleans()):
        return draw(st.sampled_from(RELATIVE))
    return _pick(draw, pools.days, [(AS_OF + timedelta(days=d)).isoformat()
                                    for d in DAY_OFFSETS])


@st.composite
def window_texts(draw: st.DrawFn, pools: Pools) -> str | None:
    """A window as the command line's ``--from``/``--to`` text: both sides, one, or none."""
    form = draw(st.sampled_from(["none", "none", "from", "to", "both"]))
    if form == "none":
        return None
    if form == "from":
        return f"from {_bound(draw, pools)}"
    if form == "to":
        return f"to {_bound(draw, pools)}"
    return f"from {_bound(draw, pools)} to {_bound(draw, pools)}"


@st.composite
def segments(draw: st.DrawFn, store: Store, count: int) -> list[tuple[str, str | None]]:
    """``count`` (condition text, window text) pairs biased towards the store's values."""
    pools = Pools(store)
    cond = combine(store_comparisons(pools), max_leaves=3)
    return [(draw(cond), draw(window_texts(pools))) for _ in range(count)]


def store_as_csv(store: Store) -> str:
    """The store as CSV tables (what ``segdsl`` reads from a folder), for failure reports."""
    c, o = store.customers, store.orders
    out = [f"# money_scale={store.money_scale} timezone={store.timezone} as_of={AS_OF}"]

    def table(name: str, header: list[str], rows: list[Sequence[object]]) -> None:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        w.writerows([["" if v is None else str(v) for v in row] for row in rows])
        out.append(f"== {name}.csv\n{buf.getvalue()}")

    custom = list(c.custom)
    table("customers", ["customer_id", "name", "email", "phone", "country", *custom],
          [[c.customer_id[i], c.name[i], c.email[i], c.phone[i], c.country[i],
            *(_cell(c.custom[k].values[i]) for k in custom)] for i in range(len(c))])
    stamps = [str(t).replace("T", " ") for t in o.ordered_at.astype("datetime64[s]")]
    table("orders", ["order_id", "customer_id", "ordered_at", "total"],
          [[o.order_id[i], o.customer_id[i], stamps[i], _plain(store.money(int(m)))]
           for i, m in enumerate(o.total_minor.tolist())])
    if store.order_items is not None:
        table("order_items", ["order_id", "product_id"],
              list(zip(store.order_items.order_id, store.order_items.product_id, strict=True)))
    if store.products is not None:
        table("products", ["product_id", "product_type"],
              list(zip(store.products.product_id, store.products.product_type, strict=True)))
    if store.product_collections is not None:
        pc = store.product_collections
        table("product_collections", ["product_id", "collection"],
              list(zip(pc.product_id, pc.collection, strict=True)))
    return "\n".join(out)


def _cell(v: object) -> object:
    if isinstance(v, Decimal):
        return _plain(v)
    if isinstance(v, date):
        return v.isoformat()
    return v
