"""The line-item importer and the canonical-folder writer, on small hand-written files."""

from __future__ import annotations

import gzip
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

from segdsl.catalog import FieldType
from segdsl.errors import DataError, UsageError
from segdsl.store.importer import (
    PRESETS,
    ImportMapping,
    ImportResult,
    collections_of,
    import_line_items,
    mapping_with_overrides,
    product_type_of,
)
from segdsl.store.model import CustomColumn, Customers, OrderItems, Orders, Store
from segdsl.store.reader import read_folder
from segdsl.store.writer import write_folder

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
RETAIL = PRESETS["online-retail"]


def run(tmp_path: Path, *rows: str, name: str = "lines.csv", **kw: object) -> ImportResult:
    path = tmp_path / name
    path.write_text(HEADER + "".join(r + "\n" for r in rows), encoding="utf-8")
    return import_line_items(path, RETAIL, **kw)  # type: ignore[arg-type]


def totals(result: ImportResult) -> dict[str, Decimal]:
    s = result.store
    return {oid: s.money(int(m)) for oid, m in zip(s.orders.order_id, s.orders.total_minor,
                                                    strict=True)}


def line(order: str = "1001", code: str = "85123A", desc: str = "WHITE HEART HOLDER",
         qty: str = "1", at: str = "2011-01-02 10:00:00", price: str = "1.00",
         cust: str = "12345.0", country: str = "United Kingdom") -> str:
    return ",".join([order, code, desc, qty, at, price, cust, country])


# --- ids ------------------------------------------------------------------------------------

def test_float_customer_ids_lose_only_the_float_suffix(tmp_path: Path) -> None:
    r = run(tmp_path, line(cust="17850.0"), line(order="1002", cust="00042"),
            line(order="1003", cust="AB-7.0"))
    assert r.store.customers.customer_id == ["17850", "00042", "AB-7.0"]
    assert r.store.orders.customer_id == ["17850", "00042", "AB-7.0"]


def test_product_ids_and_order_ids_stay_text(tmp_path: Path) -> None:
    r = run(tmp_path, line(order="000123", code="00717"))
    assert r.store.orders.order_id == ["000123"]
    assert r.store.products is not None and r.store.products.product_id == ["00717"]


# --- skipped rows ---------------------------------------------------------------------------

def test_guest_rows_are_skipped_and_counted(tmp_path: Path) -> None:
    r = run(tmp_path, line(), line(order="1002", cust=""), line(order="1002", cust=" "))
    assert r.report.guest_rows == 2
    assert r.store.orders.order_id == ["1001"]
    assert r.store.customers.customer_id == ["12345"]


def test_cancellations_are_skipped_and_leave_the_original_order(tmp_path: Path) -> None:
    r = run(tmp_path, line(qty="4", price="2.50"),
            line(order="C1002", qty="-2", price="2.50"),
            line(order="1003", qty="-1", price="2.50"),  # a return outside a C invoice
            line(order="1003", code="22633", qty="1", price="3.00"))
    assert totals(r) == {"1001": Decimal("10.00"), "1003": Decimal("3.00")}
    assert (r.report.cancellation_rows, r.report.cancellation_invoices) == (1, 1)
    assert r.report.return_rows == 1
    items = r.store.order_items
    assert items is not None and items.order_id == ["1001", "1003"]


def test_a_customer_with_only_cancellations_is_a_customer_without_orders(
        tmp_path: Path) -> None:
    r = run(tmp_path, line(order="C1", qty="-1", cust="777.0", country="EIRE"))
    assert r.store.customers.customer_id == ["777"]
    assert r.store.customers.country == ["IE"]
    assert len(r.store.orders) == 0
    assert r.report.customers_without_orders == 1


# --- non-product lines ----------------------------------------------------------------------

def test_postage_counts_towards_the_total_but_is_no_item(tmp_path: Path) -> None:
    r = run(tmp_path, line(qty="2", price="1.25"), line(code="POST", desc="POSTAGE", price="18"),
            line(code="BANK CHARGES", desc="Bank Charges", price="15"),
            line(code="AMAZONFEE", desc="AMAZON FEE", price="5.5"),
            line(code="gift_0001_20", desc="Gift Voucher", price="20"),
            line(code="m", desc="Manual", price="0.50"))
    assert totals(r) == {"1001": Decimal("41.00")}  # 2.50 + 18 + 20 + 0.50
    s = r.store
    assert s.order_items is not None and s.order_items.product_id == ["85123A"]
    assert s.products is not None and s.products.product_id == ["85123A"]
    assert r.report.non_product_counted == 3
    assert sum(r.report.non_product_rows.values()) == 5


def test_discount_lines_lower_the_total(tmp_path: Path) -> None:
    r = run(tmp_path, line(qty="10", price="3.00"), line(code="D", desc="Discount", qty="-1",
                                                         price="4.50"))
    assert totals(r) == {"1001": Decimal("25.50")}
    assert r.report.return_rows == 0


def test_an_invoice_with_only_non_product_lines_is_not_an_order(tmp_path: Path) -> None:
    r = run(tmp_path, line(code="POST", desc="POSTAGE", price="18"), line(order="1002"))
    assert r.store.orders.order_id == ["1002"]
    assert r.report.orders_without_products == 1


# --- money, dates ---------------------------------------------------------------------------

def test_totals_are_exact(tmp_path: Path) -> None:
    rows = [line(qty="3", price="0.1") for _ in range(10)] + [line(qty="1", price="0.001")]
    r = run(tmp_path, *rows)
    assert r.store.money_scale == 3
    assert int(r.store.orders.total_minor[0]) == 3001
    assert totals(r) == {"1001": Decimal("3.001")}


def test_an_order_is_placed_at_its_earliest_line_in_store_local_time(tmp_path: Path) -> None:
    r = run(tmp_path, line(at="2011-01-02 10:01:00"), line(at="2011-01-02 10:00:00"),
            timezone="Europe/London")
    assert str(r.store.orders.ordered_at[0]) == "2011-01-02T10:00:00"
    assert r.store.timezone == "Europe/London"


def test_iso_dates_with_an_offset_are_converted_to_the_store_zone(tmp_path: Path) -> None:
    path = tmp_path / "iso.csv"
    path.write_text(HEADER + line(at="2011-06-30T23:30:00+00:00") + "\n")
    r = import_line_items(path, replace(RETAIL, date_format=None), timezone="Europe/Paris")
    assert str(r.store.orders.local_date[0]) == "2011-07-01"


def test_a_custom_date_format(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text(HEADER + line(at="12/1/2010 8:26") + "\n")
    r = import_line_items(path, replace(RETAIL, date_format="%m/%d/%Y %H:%M"))
    assert str(r.store.orders.ordered_at[0]) == "2010-12-01T08:26:00"


# --- countries ------------------------------------------------------------------------------

def test_countries_are_normalised(tmp_path: Path) -> None:
    countries = ["United Kingdom", "EIRE", "RSA", "USA", "Germany", "Channel Islands",
                 "European Community", "Unspecified", "Czech Republic"]
    r = run(tmp_path, *(line(order=str(i), cust=str(i), country=c)
                        for i, c in enumerate(countries)))
    assert r.store.customers.country == ["GB", "IE", "ZA", "US", "DE", "Channel Islands",
                                         "European Community", None, "CZ"]
    assert r.report.countries_kept_as_written == {"Channel Islands": 1, "European Community": 1}


def test_a_customer_with_several_countries_gets_that_of_most_orders(tmp_path: Path) -> None:
    r = run(tmp_path,
            line(order="1", country="Belgium", at="2011-01-01 10:00:00"),
            line(order="2", country="Australia", at="2011-02-01 10:00:00"),
            line(order="3", country="Australia", at="2011-03-01 10:00:00"),
            line(order="4", country="Belgium", at="2011-04-01 10:00:00"),
            line(order="5", cust="9", country="Spain", at="2011-01-01 10:00:00"),
            line(order="6", cust="9", country="Cyprus", at="2011-02-01 10:00:00"),
            line(order="6", cust="9", country="Cyprus", at="2011-02-01 10:00:00"))
    # 12345: 2 orders each, the tie goes to the most recent (Belgium); 9: one order each
    # (lines do not vote, orders do), the most recent is Cyprus
    assert r.store.customers.country == ["BE", "CY"]
    assert r.report.customers_with_several_countries == 2


# --- products -------------------------------------------------------------------------------

def test_product_types_and_collections_from_descriptions() -> None:
    assert product_type_of("WHITE HANGING HEART T-LIGHT HOLDER") == "holder"
    assert product_type_of("PACK OF 12 PINK PAISLEY TISSUES") == "stationery"
    assert product_type_of("JUMBO BAG RED RETROSPOT") == "bag"
    assert product_type_of("SET/6 RED SPOTTY PAPER CUPS") == "tableware"
    assert product_type_of("RABBIT NIGHT LIGHT") == "light"
    assert product_type_of("POPPY'S PLAYHOUSE KITCHEN") == "kitchen"
    assert product_type_of("TRADITIONAL SKITTLES") == "other"
    assert collections_of("PAPER CHAIN KIT VINTAGE CHRISTMAS") == ["christmas", "vintage"]
    assert collections_of("KNITTED UNION FLAG HOT WATER BOTTLE") == ["union jack"]
    assert collections_of("RETROSPOTTY THING") == []  # whole words only


def test_the_most_frequent_description_names_the_product(tmp_path: Path) -> None:
    r = run(tmp_path, line(desc="CREAM HEART CANDLE"), line(order="2", desc="WHITE HEART MUG"),
            line(order="3", desc="WHITE HEART MUG"), line(order="4", code="X1", desc="B THING"),
            line(order="5", code="X1", desc="A THING"), line(order="6", code="X2", desc=""))
    p = r.store.products
    assert p is not None
    assert p.title == ["WHITE HEART MUG", "A THING", None]
    assert p.product_type == ["mug", "other", "other"]
    assert r.report.products_with_several_descriptions == 2
    pc = r.store.product_collections
    assert pc is not None and list(zip(pc.product_id, pc.collection, strict=True)) == \
        [("85123A", "heart")]


def test_product_types_from_a_products_file(tmp_path: Path) -> None:
    types = tmp_path / "types.csv"
    types.write_text("product_id,product_type,ignored\n85123A,Lighting,x\nNOT-SOLD,Toys,y\n")
    r = run(tmp_path, line(), line(code="22633"), product_types=types)
    p = r.store.products
    assert p is not None and p.product_type == ["Lighting", None]
    assert r.report.products_without_type == 1
    types.write_text("product_id,product_type\n85123A,a\n85123A,b\n")
    with pytest.raises(DataError, match="appears twice"):
        run(tmp_path, line(), product_types=types)


# --- refused input --------------------------------------------------------------------------

@pytest.mark.parametrize(("bad", "value"), [
    (line(qty="two"), "two"),
    (line(price="1,5".replace(",", ";")), "1;5"),
    (line(price="NaN"), "NaN"),
    (line(at="2011-02-30 10:00:00"), "2011-02-30 10:00:00"),
])
def test_unreadable_values_are_refused_with_file_line_and_value(tmp_path: Path, bad: str,
                                                                  value: str) -> None:
    with pytest.raises(DataError) as err:
        run(tmp_path, line(), bad)
    assert err.value.where == "lines.csv" and err.value.row == 3 and err.value.value == value
    assert "lines.csv, line 3" in str(err.value)


def test_an_order_with_two_customers_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="names customer `2`") as err:
        run(tmp_path, line(cust="1"), line(cust="2"))
    assert err.value.row == 3


def test_missing_columns_and_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("InvoiceNo,StockCode\n1,2\n")
    with pytest.raises(DataError, match="missing columns"):
        import_line_items(tmp_path / "x.csv", RETAIL)
    with pytest.raises(UsageError, match="no such file"):
        import_line_items(tmp_path / "nope.csv", RETAIL)
    with pytest.raises(UsageError, match="time zone"):
        run(tmp_path, line(), timezone="Mars/Olympus")


def test_gzipped_files_and_a_renamed_mapping(tmp_path: Path) -> None:
    path = tmp_path / "lines.csv.gz"
    text = HEADER.replace("CustomerID", "Customer") + line() + "\n"
    path.write_bytes(gzip.compress(text.encode()))
    mapping = mapping_with_overrides("online-retail", ["customer_id=Customer"])
    assert isinstance(mapping, ImportMapping)
    assert import_line_items(path, mapping).store.customers.customer_id == ["12345"]
    with pytest.raises(UsageError):
        mapping_with_overrides("online-retail", ["shoe_size=Size"])
    with pytest.raises(UsageError):
        mapping_with_overrides("shopify", [])


# --- the shipped example --------------------------------------------------------------------

def test_the_shipped_raw_lines_import(tmp_path: Path) -> None:
    r = import_line_items(EXAMPLES / "online-retail-lines.csv", RETAIL, timezone="Europe/London")
    rep = r.report
    assert rep.rows_read == 688 and rep.guest_rows >= 1 and rep.cancellation_rows >= 1
    assert rep.non_product_rows["POST"] >= 1
    assert "FR" in r.store.customers.country
    summary = rep.summary()
    assert "guest rows skipped" in summary and "688" in summary
    assert rep.to_json()["non_product_rows"] == dict(rep.non_product_rows)


def test_the_shipped_slice_reads(tmp_path: Path) -> None:
    store = read_folder(EXAMPLES / "online-retail", timezone="Europe/London")
    assert len(store.customers) == 400 and not store.warnings
    assert store.tables == {"customers", "orders", "order_items", "products",
                            "product_collections"}


# --- writer ---------------------------------------------------------------------------------

def assert_same(a: Store, b: Store) -> None:
    assert a.customers == b.customers
    assert a.orders.order_id == b.orders.order_id
    assert a.orders.customer_id == b.orders.customer_id
    assert np.array_equal(a.orders.ordered_at, b.orders.ordered_at)
    assert np.array_equal(a.orders.total_minor, b.orders.total_minor)
    assert a.money_scale == b.money_scale
    for table in ("order_items", "products", "product_collections"):
        assert getattr(a, table) == getattr(b, table)


def test_imported_stores_round_trip_through_the_writer(tmp_path: Path) -> None:
    r = import_line_items(EXAMPLES / "online-retail-lines.csv", RETAIL, timezone="Europe/London")
    write_folder(r.store, tmp_path / "out")
    assert_same(r.store, read_folder(tmp_path / "out", timezone="Europe/London"))


def test_a_store_with_custom_attributes_and_gaps_round_trips(tmp_path: Path) -> None:
    store = Store(
        Customers(["007", "x,y"], ["Ann \"A\" Lee", None], [None, "b@example.com"],
                  ["+44 20 7946 0000", None], ["GB", None],
                  {"tier": CustomColumn(FieldType.TEXT, ["gold", None]),
                   "points": CustomColumn(FieldType.NUMBER, [Decimal("1000"), Decimal("-0.5")]),
                   "born": CustomColumn(FieldType.DATE, [date(1990, 2, 28), None])}),
        Orders(["o1", "o2"], ["007", "ghost"],
               np.array(["2024-02-29T23:59:59", "2024-03-01T00:00:00"], dtype="datetime64[s]"),
               np.array([1000, -12345], dtype=np.int64)),
        order_items=OrderItems(["o1", "o1"], ["p1", None], [Decimal("2"), None],
                               [Decimal("1.5E+2"), Decimal("0.10")]),
        money_scale=3)
    write_folder(store, tmp_path)
    back = read_folder(tmp_path)
    assert back.order_items is not None and back.order_items.price[0] == Decimal("150")
    store.order_items.price[0] = Decimal("150")  # type: ignore[union-attr]  # same number
    assert_same(store, back)
    assert "1.000" in (tmp_path / "orders.csv").read_text()
    assert back.warnings  # the order of an unknown customer is ignored, as when read


def test_the_writer_refuses_a_folder_with_stale_tables(tmp_path: Path) -> None:
    store = Store(Customers(["1"], [None], [None], [None], [None]),
                  Orders(["o"], ["1"], np.array(["2024-01-01"], dtype="datetime64[s]"),
                         np.array([100], dtype=np.int64)))
    (tmp_path / "order_items.csv").write_text("order_id,product_id\n")
    with pytest.raises(UsageError, match="order_items.csv"):
        write_folder(store, tmp_path)
    (tmp_path / "order_items.csv").unlink()
    write_folder(store, tmp_path)
    assert (tmp_path / "orders.csv").read_text().splitlines()[1] == "o,1,2024-01-01 00:00:00,1.00"
