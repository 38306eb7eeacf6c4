"""The in-memory backend on small stores whose answers were worked out by hand.

Every query also runs through the scalar path (``matches``) for every customer, so each test
checks the two implementations against each other as well as against the hand answer.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from segdsl.backends.memory import (
    BATCH_KINDS,
    SCALAR_KINDS,
    compute_fields,
    evaluate,
    evaluate_mask,
    matches,
    prepare,
)
from segdsl.catalog import FieldType, Kind
from segdsl.check import check_condition, check_file
from segdsl.check.typed import CheckedSegment, Const, RelativeDate, Window
from segdsl.context import RunContext
from segdsl.errors import UsageError
from segdsl.store.model import (
    CustomColumn,
    Customers,
    OrderItems,
    Orders,
    ProductCollections,
    Products,
    Store,
)
from segdsl.store.reader import read_folder

AS_OF = date(2024, 3, 31)
CTX = RunContext(as_of=AS_OF)


def make_store(customers: list[dict[str, Any]], orders: list[tuple[str, str | None, str, str]],
               *, items: list[tuple[str, str | None]] | None = None,
               products: list[tuple[str, str | None]] | None = None,
               collections: list[tuple[str, str | None]] | None = None,
               custom: dict[str, CustomColumn] | None = None, scale: int = 2) -> Store:
    """customers: dicts with id and optional name/email/phone/country; orders: (order id,
    customer id, local timestamp, total as a decimal string)."""
    cust = Customers([c["id"] for c in customers],
                     *([c.get(k) for c in customers] for k in ("name", "email", "phone",
                                                               "country")),
                     custom=custom or {})
    stamps = np.array([datetime.fromisoformat(o[2]) for o in orders], dtype="datetime64[s]") \
        if orders else np.empty(0, dtype="datetime64[s]")
    totals = np.array([int(Decimal(o[3]).scaleb(scale)) for o in orders], dtype=np.int64)
    store = Store(cust, Orders([o[0] for o in orders], [o[1] for o in orders], stamps, totals),
                  money_scale=scale)
    if items is not None:
        store.order_items = OrderItems([i[0] for i in items], [i[1] for i in items],
                                       [None] * len(items), [None] * len(items))
    if products is not None:
        store.products = Products([p[0] for p in products], [None] * len(products),
                                  [p[1] for p in products])
    if collections is not None:
        store.product_collections = ProductCollections([c[0] for c in collections],
                                                       [c[1] for c in collections])
    return store


def segment_of(store: Store, text: str, window: Window | None = None) -> CheckedSegment:
    result = check_condition(text, schema=store.schema())
    assert result.ok, [d.message for d in result.diagnostics]
    seg = result.segments[0]
    return replace(seg, window=window) if window is not None else seg


def run(store: Store, text: str, window: Window | None = None,
        ctx: RunContext = CTX) -> list[str]:
    """The batch answer, after checking that the scalar path agrees for every customer."""
    seg = segment_of(store, text, window)
    got = evaluate(seg, store, ctx)
    scalar = [c for c in sorted(store.customers.customer_id) if matches(seg, store, c, ctx)]
    assert got == scalar, f"batch {got} != scalar {scalar} for {text!r}"
    return got


@pytest.fixture
def shop() -> Store:
    customers = [
        {"id": "c1", "name": "Ann", "email": "ann@example.com", "country": "GB"},
        {"id": "c2", "name": "Bob", "email": "BOB@example.com"},  # no country
        {"id": "c3", "name": "ÉCOLE Lab", "country": "United Kingdom"},
        {"id": "c4", "name": "Résumé Co", "country": "gbr"},
        {"id": "c5", "name": "Save 50% now", "country": "IN"},
        {"id": "c6", "name": "a_b", "country": "FR"},  # no orders at all
    ]
    orders = [
        ("o1", "c1", "2024-03-01 00:00:00", "10.00"),  # first day of March, midnight
        ("o2", "c1", "2024-03-31 23:59:59", "10.00"),  # last day of March, last second
        ("o3", "c1", "2024-02-29 23:59:59", "11.00"),  # just before March
        ("o4", "c2", "2024-03-10 12:00:00", "0.10"),
        ("o5", "c2", "2024-03-11 12:00:00", "0.20"),
        ("o6", "c3", "2023-12-25 09:00:00", "100.00"),
        ("o7", "c5", "2024-03-30 08:00:00", "60.00"),
        ("o8", "c5", "2024-03-30 09:00:00", "60.00"),
        ("o9", "c5", "2024-03-30 10:00:00", "60.00"),
        ("o10", None, "2024-03-15 10:00:00", "1000.00"),  # no customer: ignored everywhere
        ("o11", "zz", "2024-03-15 10:00:00", "1000.00"),  # unknown customer: ignored too
    ]
    items = [("o1", "p1"), ("o1", "p2"), ("o1", "p1"),  # one order, three items
             ("o2", "p3"), ("o4", "p2"), ("o6", "p4"), ("o7", None), ("o7", "p404"),
             ("o10", "p1"), ("o404", "p1")]
    products = [("p1", "Shirt"), ("p2", "Hat"), ("p3", None), ("p4", "SHIRT")]
    collections = [("p1", "Summer"), ("p1", "Sale"), ("p2", "sale"), ("p3", "Winter"),
                   ("p5", "Ghost")]
    return make_store(customers, orders, items=items, products=products,
                      collections=collections)


MARCH = Window(Const(date(2024, 3, 1)), Const(date(2024, 3, 31)))


def test_window_is_inclusive_by_local_day(shop: Store) -> None:
    # c1: o1 (first second of March) and o2 (last second) count, o3 (Feb 29) does not
    assert run(shop, "orders = 2", MARCH) == ["c1", "c2"]
    assert run(shop, "orders = 2 AND amount_spent = 20", MARCH) == ["c1"]
    assert run(shop, "first_order_date = 2024-03-01 AND last_order_date = 2024-03-31",
               MARCH) == ["c1"]
    assert run(shop, "orders = 3") == ["c1", "c5"]  # no window: every order up to as-of


def test_orders_after_as_of_do_not_count(shop: Store) -> None:
    ctx = RunContext(as_of=date(2024, 3, 30))
    assert run(shop, "orders = 2", ctx=ctx) == ["c1", "c2"]
    assert run(shop, "last_order_date = 2024-03-30", ctx=ctx) == ["c5"]


def test_customer_without_orders(shop: Store) -> None:
    assert "c6" in run(shop, "orders = 0")
    assert "c6" in run(shop, "amount_spent = 0")
    assert "c6" in run(shop, "aov IS NULL")
    assert "c6" in run(shop, "NOT aov > 50")
    assert "c6" not in run(shop, "aov > 50")
    assert "c6" not in run(shop, "aov <= 50")
    assert "c6" in run(shop, "last_order_date IS NULL")
    assert "c6" not in run(shop, "days_since_last_order >= 0")


def test_and_or_apply_left_to_right(shop: Store) -> None:
    assert run(shop, 'orders >= 3 AND aov > 50 OR country = "IN"') == ["c5"]
    assert run(shop, 'orders >= 3 AND aov > 10 OR country = "FR"') == ["c1", "c5", "c6"]
    # (orders >= 3 AND aov > 10 OR country = "FR") AND name contains "a"
    assert run(shop, 'orders >= 3 AND aov > 10 OR country = "FR" AND name CONTAINS "a"') == \
        ["c1", "c5", "c6"]
    assert run(shop, 'orders >= 3 AND aov > 10 OR country = "FR" AND name CONTAINS "n"') == \
        ["c1", "c5"]
    assert run(shop, 'orders >= 3 AND (aov > 10 OR country = "FR")') == ["c1", "c5"]


def test_negations_are_true_on_missing_text(shop: Store) -> None:
    assert run(shop, 'country != "GB"') == ["c2", "c5", "c6"]
    assert run(shop, 'country NOT IN ("GB", "IN")') == ["c2", "c6"]
    assert run(shop, 'country = "GB"') == ["c1", "c3", "c4"]
    assert run(shop, "country IS NULL") == ["c2"]
    assert run(shop, "country IS NOT NULL") == ["c1", "c3", "c4", "c5", "c6"]


def test_country_spellings_are_interchangeable(shop: Store) -> None:
    for spelling in ("GB", "gbr", "United Kingdom", "GBR"):
        assert run(shop, f'country = "{spelling}"') == ["c1", "c3", "c4"]
    assert run(shop, 'country IN ("India", "FRA")') == ["c5", "c6"]


def test_set_fields(shop: Store) -> None:
    # c1 bought shirt+hat (o1) and a product without a type (o2); c2 a hat; c3 a SHIRT.
    assert run(shop, 'product_type = "shirt"') == ["c1", "c3"]
    assert run(shop, 'product_type != "shirt"') == ["c2", "c4", "c5", "c6"]  # none matches
    assert run(shop, 'product_type IN ("hat", "cap")') == ["c1", "c2"]
    assert run(shop, "product_type IS NULL") == ["c4", "c5", "c6"]
    assert run(shop, 'product_type STARTS WITH "sh"') == ["c1", "c3"]
    assert run(shop, 'product_type != "shirt"', MARCH) == ["c2", "c3", "c4", "c5", "c6"]
    # a product in several collections; p3 has no type but a collection
    assert run(shop, 'collection = "sale"') == ["c1", "c2"]
    assert run(shop, 'collection = "winter"') == ["c1"]
    assert run(shop, 'collection ENDS WITH "er"') == ["c1"]
    assert run(shop, "collection IS NULL") == ["c3", "c4", "c5", "c6"]
    assert run(shop, 'collection = "ghost"') == []


def test_multi_item_orders_do_not_fan_out(shop: Store) -> None:
    assert run(shop, 'product_type = "shirt" AND orders = 3 AND amount_spent = 31') == ["c1"]
    assert run(shop, "aov = 10.00", MARCH) == ["c1"]


def test_money_is_exact(shop: Store) -> None:
    assert run(shop, "amount_spent = 0.3") == ["c2"]
    assert run(shop, "amount_spent = 0.300000000001") == []  # 12 decimals: the most (E218)
    assert run(shop, "aov = 0.15") == ["c2"]
    # c1: 31 / 3 = 10.333...
    assert "c1" in run(shop, "aov > 10.33")
    assert "c1" not in run(shop, "aov = 10.33")
    assert "c1" in run(shop, "aov < 10.334")
    assert run(shop, "aov BETWEEN 10.33 AND 10.34") == ["c1"]


def test_numbers_compare_exactly_with_decimals(shop: Store) -> None:
    assert run(shop, "orders > 2.5") == ["c1", "c5"]
    assert run(shop, "orders = 3.0") == ["c1", "c5"]
    assert run(shop, "orders IN (2, 3.5)") == ["c2"]


def test_store_aov_ignores_unknown_customers(shop: Store) -> None:
    # Known orders: 10+10+11+0.1+0.2+100+60*3 = 311.30 over 9 orders = 34.5888...
    assert run(shop, "store_aov > 34.58 AND store_aov < 34.59 AND orders = 0") == ["c4", "c6"]
    assert run(shop, "aov > store_aov") == ["c3", "c5"]
    empty = Window(Const(date(2020, 1, 1)), Const(date(2020, 1, 2)))
    assert run(shop, "store_aov IS NULL", empty) == ["c1", "c2", "c3", "c4", "c5", "c6"]


def test_dates_and_days_since(shop: Store) -> None:
    assert run(shop, "days_since_last_order = 0") == ["c1"]
    assert run(shop, "days_since_last_order = 1") == ["c5"]
    assert run(shop, "days_since_last_order BETWEEN 20 AND 97") == ["c2", "c3"]
    assert run(shop, "first_order_date < 2024-03-01") == ["c1", "c3"]
    assert run(shop, "first_order_date = last_order_date") == ["c3", "c5"]
    assert run(shop, "last_order_date IN (2024-03-11, 2023-12-25)") == ["c2", "c3"]


def test_relative_dates(shop: Store) -> None:
    assert run(shop, "last_order_date >= -7d") == ["c1", "c5"]
    assert run(shop, "last_order_date >= -3w") == ["c1", "c2", "c5"]
    assert run(shop, "first_order_date <= -1m") == ["c1", "c3"]  # 2024-02-29 and before
    assert run(shop, "last_order_date = yesterday") == ["c5"]
    window = Window(RelativeDate(-1, "d"), None)
    assert run(shop, "orders >= 1", window) == ["c1", "c5"]


def test_text_is_case_folded_with_unicode_rules(shop: Store) -> None:
    assert run(shop, 'name = "école lab"') == ["c3"]
    assert run(shop, 'name STARTS WITH "éco"') == ["c3"]
    assert run(shop, 'name CONTAINS "resume"') == []
    assert run(shop, 'name CONTAINS "RÉSUMÉ"') == ["c4"]
    assert run(shop, 'email ENDS WITH "EXAMPLE.COM"') == ["c1", "c2"]
    assert run(shop, "phone IS NULL") == ["c1", "c2", "c3", "c4", "c5", "c6"]


def test_percent_and_underscore_are_literal(shop: Store) -> None:
    assert run(shop, 'name CONTAINS "50%"') == ["c5"]
    assert run(shop, 'name CONTAINS "5%"') == []
    assert run(shop, 'name CONTAINS "_"') == ["c6"]
    assert run(shop, 'name = "a_b"') == ["c6"]
    assert run(shop, 'name STARTS WITH "a_"') == ["c6"]
    assert run(shop, 'name STARTS WITH "%"') == []


def test_text_field_against_text_field() -> None:
    store = make_store([{"id": "a", "name": "X@Y", "email": "x@y"},
                        {"id": "b", "name": "x", "email": "y"},
                        {"id": "c", "name": None, "email": None}], [])
    assert run(store, "name = email") == ["a"]
    assert run(store, "name != email") == ["b", "c"]


def test_custom_attributes() -> None:
    custom = {
        "score": CustomColumn(FieldType.NUMBER, [Decimal("2.5"), Decimal("0.1"), None]),
        "signup": CustomColumn(FieldType.DATE, [date(2023, 5, 1), None, date(2024, 2, 1)]),
        "tier": CustomColumn(FieldType.TEXT, ["GOLD", "silver", None]),
        "first name": CustomColumn(FieldType.TEXT, ["Ann", "Zoë", "ann"]),
    }
    store = make_store([{"id": "a"}, {"id": "b"}, {"id": "c"}],
                       [("o1", "a", "2024-01-01 10:00:00", "5"),
                        ("o2", "a", "2024-01-02 10:00:00", "5")], custom=custom)
    assert run(store, "custom.score > 2") == ["a"]
    assert run(store, "custom.score = 0.1") == ["b"]  # the same double on both sides
    assert run(store, "custom.score IS NULL") == ["c"]
    assert run(store, "custom.score != 2.5") == ["b", "c"]
    assert run(store, "custom.score >= orders") == ["a", "b"]  # 2.5 >= 2, 0.1 >= 0
    assert run(store, "custom.signup < 2024-01-01") == ["a"]
    assert run(store, "custom.signup >= -2m") == ["c"]
    assert run(store, 'custom.tier = "gold"') == ["a"]
    assert run(store, 'custom.tier IN ("GOLD", "SILVER")') == ["a", "b"]
    assert run(store, 'custom."first name" = "ANN"') == ["a", "c"]
    assert run(store, 'custom."first name" CONTAINS "zoë"') == ["b"]
    assert run(store, 'custom.tier = custom."first name"') == []


def test_custom_attribute_missing_from_store_is_refused() -> None:
    store = make_store([{"id": "a"}], [])
    seg = check_condition("custom.score > 2").segments[0]  # checked without a store
    with pytest.raises(UsageError):
        evaluate(seg, store, CTX)
    with pytest.raises(UsageError):
        matches(seg, store, "a", CTX)


def test_huge_totals_stay_exact() -> None:
    big = "40000000000000000.00"  # 4e18 minor units: two of them overflow int64
    store = make_store([{"id": "a"}, {"id": "b"}],
                       [("o1", "a", "2024-01-01 00:00:00", big),
                        ("o2", "a", "2024-01-02 00:00:00", big),
                        ("o3", "b", "2024-01-02 00:00:00", "0.01")])
    # Literals stop at 15 digits (E218), but the sums must not: a wrapped int64 sum of a's
    # two orders would be negative and fail both comparisons.
    assert run(store, "amount_spent > 999999999999999.99") == ["a"]
    assert run(store, "aov > 999999999999999 AND amount_spent > aov") == ["a"]
    assert run(store, "aov < 0.02") == ["b"]
    assert run(store, "amount_spent < 1e3".replace("1e3", "1000")) == ["b"]


def test_ids_are_sorted_as_text() -> None:
    store = make_store([{"id": i} for i in ("b", "10", "a", "9", "00001")], [])
    assert run(store, "orders = 0") == ["00001", "10", "9", "a", "b"]


def test_fields_are_shared_between_segments(shop: Store) -> None:
    ms = prepare(shop)
    fields = compute_fields(ms, MARCH, CTX)
    seg = segment_of(shop, "orders = 2", MARCH)
    assert evaluate_mask(seg, ms, CTX, fields).tolist() == \
        [True, True, False, False, False, False]
    other = segment_of(shop, "amount_spent < 1", MARCH)
    assert evaluate_mask(other, ms, CTX, fields).tolist() == \
        [False, True, True, True, False, True]
    assert evaluate(seg, ms, CTX) == ["c1", "c2"]
    with pytest.raises(ValueError):
        evaluate_mask(segment_of(shop, "orders = 2"), ms, CTX, fields)


def test_windows_alternate_on_one_prepared_store(shop: Store) -> None:
    ms = prepare(shop)
    for _ in range(2):
        assert evaluate(segment_of(shop, "orders = 2", MARCH), ms, CTX) == ["c1", "c2"]
        assert evaluate(segment_of(shop, "orders = 3"), ms, CTX) == ["c1", "c5"]
        assert evaluate(segment_of(shop, "orders = 2"), ms, RunContext(as_of=date(2024, 3, 30))) \
            == ["c1", "c2"]
    assert len(ms.recent_fields) == 2


def test_unknown_customer_for_matches(shop: Store) -> None:
    with pytest.raises(UsageError):
        matches(segment_of(shop, "orders = 1"), shop, "nobody", CTX)


def test_every_kind_has_both_implementations() -> None:
    for kind in Kind:
        assert kind in BATCH_KINDS, kind
        assert kind in SCALAR_KINDS, kind
    assert set(BATCH_KINDS) == set(SCALAR_KINDS)


def test_read_folder_store(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text(
        "customer_id,name,country,first name,vip\n"
        "001,Ann,GB,Ann,1.5\n002,Bob,,Robert,\n003,Cy,FR,,2\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text(
        "order_id,customer_id,ordered_at,total\n"
        "o1,001,2024-03-01T00:30:00+01:00,19.99\n"  # 2024-02-29 23:30 in UTC
        "o2,001,2024-03-02T10:00:00Z,0.01\n"
        "o3,002,2024-03-05,5\n"
        "o4,,2024-03-05,5\n", encoding="utf-8")
    store = read_folder(tmp_path)
    assert run(store, "orders = 1", MARCH) == ["001", "002"]
    assert run(store, "amount_spent = 20") == ["001"]
    assert run(store, "aov = 10") == ["001"]
    assert run(store, 'custom."first name" IS NULL') == ["003"]
    assert run(store, "custom.vip > 1") == ["001", "003"]
    assert run(store, 'country != "France"') == ["001", "002"]


def test_segments_from_a_file(shop: Store) -> None:
    source = ('segment march "March buyers" window from 2024-03-01 to 2024-03-31 '
              "where orders >= 1 AND amount_spent < 1")
    result = check_file(source, schema=shop.schema())
    assert result.ok
    seg = result.segments[0]
    assert evaluate(seg, shop, CTX) == ["c2"]
    assert [c for c in ("c1", "c2") if matches(seg, shop, c, CTX)] == ["c2"]
