"""Malformed store data, kind by kind, for the CSV folder reader, the Parquet reader and
`segdsl import`: each is refused with the file, the line (or row) and the value, or kept and
counted in a warning the user sees (stderr, and the JSON of `run --format json` / the import
report). Nothing is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner, Result

from segdsl.cli.main import cli

CUSTOMERS = "customer_id,country\na,GB\nb,FR\n"
ORDERS = "order_id,customer_id,ordered_at,total\no1,a,2024-01-05,10.00\no2,b,2024-01-06,4.50\n"


def folder(tmp_path: Path, **files: str | bytes) -> Path:
    """A store folder: customers.csv and orders.csv unless given, plus the files named."""
    out = tmp_path / "store"
    out.mkdir()
    tables = {"customers": CUSTOMERS, "orders": ORDERS, **files}
    for name, text in tables.items():
        path = out / f"{name}.csv"
        path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return out


def run(data: Path, expr: str = "orders >= 0", *extra: str) -> Result:
    return CliRunner().invoke(cli, ["run", "--data", str(data), "--expr", expr, "--as-of",
                                    "2024-02-01", *extra])


def refused(result: Result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for w in words:
        assert w in result.stderr, (w, result.stderr)


def accepted_with(result: Result, warning: str) -> dict[str, object]:
    assert result.exit_code == 0, result.stderr
    assert f"warning: {warning}" in result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    assert warning in data["warnings"]  # type: ignore[operator]
    return data


# --- refused: file, line and value ---------------------------------------------------------------

@pytest.mark.parametrize(("files", "words"), [
    ({"orders": ORDERS + "o3,a,31/12/2023,1\n"},
     ["orders.csv, line 4", "`ordered_at` is not a date", "'31/12/2023'"]),
    ({"orders": ORDERS + "o3,a,2024-02-30,1\n"}, ["orders.csv, line 4", "'2024-02-30'"]),
    ({"orders": ORDERS + "o3,a,2024-01-07,\"12,50\"\n"},
     ["orders.csv, line 4", "`total` is not a plain decimal", "'12,50'"]),
    ({"orders": ORDERS + "o3,a,2024-01-07,NaN\n"}, ["orders.csv, line 4", "'NaN'"]),
    ({"orders": ORDERS + "o1,b,2024-01-07,3\n"},
     ["orders.csv, line 4", "order `o1` appears twice (first on line 2)"]),
    ({"customers": CUSTOMERS + "a,DE\n"},
     ["customers.csv, line 4", "customer `a` appears twice"]),
    ({"orders": ORDERS + "o3,a,,1\n"}, ["orders.csv, line 4", "`ordered_at` is empty"]),
    ({"customers": ""}, ["customers.csv: the file is empty"]),
    ({"orders": b""}, ["orders.csv: the file is empty"]),
    ({"orders": "order_id,customer,ordered_at,total\no1,a,2024-01-05,1\n"},
     ["orders.csv, line 1", "missing column customer_id", "the header has order_id, customer,"]),
    ({"orders": "Order_ID,customer_id,ordered_at,total\no1,a,2024-01-05,1\n"},
     ["missing column order_id", "`Order_ID` is not `order_id`"]),
    ({"orders": ORDERS + "o3,a,2024-01-07\n"},
     ["orders.csv, line 4", "this line has 3 cells but the header has 4"]),
    ({"orders": ORDERS + "o3,a,2024-01-07,1,extra\n"},
     ["orders.csv, line 4", "this line has 5 cells but the header has 4"]),
    ({"orders": ORDERS + 'o3,a,"2024-01-07,1\no4,a,2024-01-08,1\n'},
     ["orders.csv, line 4", "a quoted cell is never closed"]),
    ({"orders": ORDERS.encode() + b"o3,a,2024-01-07,\xff\n"}, ["orders.csv", "not UTF-8"]),
])
def test_unreadable_csv_data_is_refused_with_file_line_and_value(
        tmp_path: Path, files: dict[str, str | bytes], words: list[str]) -> None:
    refused(run(folder(tmp_path, **files)), *words)


# --- kept, and counted in a warning ---------------------------------------------------------------

def test_negative_totals_count_as_written_with_a_warning(tmp_path: Path) -> None:
    # A refund written as its own order: a's spending is 10.00 - 4.00 = 6.00, exactly.
    data = folder(tmp_path, orders=ORDERS + "o3,a,2024-01-07,-4.00\n")
    for engine in ("memory", "duckdb", "sqlite"):
        result = run(data, "amount_spent = 6 AND orders = 2", "--engine", engine,
                     "--format", "json")
        out = accepted_with(result, "1 order with a negative total (refunds or credit notes?) "
                            "count as written: they lower amount_spent and aov")
        assert out["customer_ids"] == ["a"], engine


def test_orders_of_unknown_customers_are_counted(tmp_path: Path) -> None:
    data = folder(tmp_path, orders=ORDERS + "o3,zz,2024-01-07,1\no4,,2024-01-07,1\n")
    out = accepted_with(run(data, "store_aov = 7.25", "--format", "json"),
                        "2 orders ignored: their customer is not in customers")
    assert out["customer_ids"] == ["a", "b"]  # (10 + 4.50) / 2: the ignored orders are not in it


def test_extra_columns_are_named_in_a_warning(tmp_path: Path) -> None:
    data = folder(tmp_path, orders="order_id,customer_id,ordered_at,total,currency,note\n"
                                   "o1,a,2024-01-05,10.00,EUR,x\n")
    out = accepted_with(run(data, "orders = 1", "--format", "json"),
                        "orders.csv: 2 columns not used: currency, note")
    assert out["customer_ids"] == ["a"]


def test_items_of_unknown_orders_and_without_products_are_counted(tmp_path: Path) -> None:
    data = folder(tmp_path, order_items="order_id,product_id\no1,p1\nghost,p1\no2,\n",
                  products="product_id,product_type\np1,mug\n")
    result = run(data, 'product_type = "mug"', "--format", "json")
    accepted_with(result, "1 order item ignored: their order is not in orders")
    out = accepted_with(result, "1 order item without a product_id: they add no product type "
                        "or collection")
    assert out["customer_ids"] == ["a"]


def test_header_only_files_and_a_byte_order_mark_read(tmp_path: Path) -> None:
    data = folder(tmp_path, customers="\ufeffcustomer_id,country\na,GB\n",
                  orders="order_id,customer_id,ordered_at,total\n")
    result = run(data, "orders = 0", "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert (out["customer_ids"], out["warnings"]) == (["a"], [])


def test_warnings_are_in_the_json_of_a_file_run(tmp_path: Path) -> None:
    data = folder(tmp_path, orders=ORDERS + "o3,zz,2024-01-07,1\n")
    seg = tmp_path / "s.seg"
    seg.write_text('segment s "S" where orders = 1\n')
    result = CliRunner().invoke(cli, ["run", str(seg), "--data", str(data), "--as-of",
                                      "2024-02-01", "--format", "json"])
    assert json.loads(result.stdout)["warnings"] == [
        "1 order ignored: their customer is not in customers"]


# --- Parquet ------------------------------------------------------------------------------------

def parquet_folder(tmp_path: Path, orders: pa.Table | bytes) -> Path:
    out = tmp_path / "pq"
    out.mkdir()
    pq.write_table(pa.table({"customer_id": ["a", "b"], "country": ["GB", None]}),
                   out / "customers.parquet")
    if isinstance(orders, bytes):
        (out / "orders.parquet").write_bytes(orders)
    else:
        pq.write_table(orders, out / "orders.parquet")
    return out


def orders_table(**changes: list[object]) -> pa.Table:
    columns: dict[str, list[object]] = {
        "order_id": ["o1", "o2"], "customer_id": ["a", "b"],
        "ordered_at": ["2024-01-05", "2024-01-06"], "total": ["10.00", "4.50"], **changes}
    return pa.table(columns)


@pytest.mark.parametrize(("orders", "words"), [
    (orders_table(ordered_at=["2024-01-05", "yesterday"]),
     ["orders.parquet, row 2", "`ordered_at` is not a date", "'yesterday'"]),
    (orders_table(total=["10.00", "ten"]), ["orders.parquet, row 2", "'ten'"]),
    (orders_table(total=[10.0, float("nan")]), ["orders.parquet, row 2", "not a finite number"]),
    (orders_table(order_id=["o1", "o1"]),
     ["orders.parquet, row 2", "order `o1` appears twice (first on line 1)"]),
    (orders_table(order_id=["o1", None]), ["orders.parquet, row 2", "`order_id` is empty"]),
    (pa.table({"order_id": ["o1"], "customer_id": ["a"], "total": ["1"]}),
     ["orders.parquet", "missing column ordered_at"]),
    (b"", ["orders.parquet: cannot read the Parquet file"]),
    (b"PAR1 not really", ["orders.parquet: cannot read the Parquet file"]),
])
def test_unreadable_parquet_data_is_refused(tmp_path: Path, orders: pa.Table | bytes,
                                            words: list[str]) -> None:
    refused(run(parquet_folder(tmp_path, orders)), *words)


def test_parquet_warnings_match_csv(tmp_path: Path) -> None:
    orders = orders_table(customer_id=["a", "zz"], total=["10.00", "-1"], channel=["web", "x"])
    result = run(parquet_folder(tmp_path, orders), "orders = 1", "--format", "json")
    accepted_with(result, "orders.parquet: 1 column not used: channel")
    accepted_with(result, "1 order ignored: their customer is not in customers")
    out = accepted_with(result, "1 order with a negative total (refunds or credit notes?) count "
                        "as written: they lower amount_spent and aov")
    assert out["customer_ids"] == ["a"]


# --- segdsl import ------------------------------------------------------------------------------

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
LINE = "536365,85123A,WHITE HEART HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom\n"


def import_(tmp_path: Path, content: str | bytes, *extra: str) -> Result:
    src = tmp_path / "lines.csv"
    src.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return CliRunner().invoke(cli, ["import", str(src), "--out", str(tmp_path / "out"), *extra])


@pytest.mark.parametrize(("content", "words"), [
    (b"", ["lines.csv: the file is empty"]),
    ("InvoiceNo,StockCode\n1,2\n",
     ["lines.csv, line 1", "missing columns InvoiceDate", "the header has InvoiceNo, StockCode"]),
    (HEADER + LINE + LINE.rstrip("\n") + ",extra\n",
     ["lines.csv, line 3", "this line has 9 cells but the header has 8"]),
    (HEADER + LINE + "536366,22633,HAND WARMER,6\n",
     ["lines.csv, line 3", "this line has 4 cells but the header has 8"]),
    (HEADER + LINE + '536366,22633,"HAND WARMER,6,2010-12-01 08:28:00,1.85,17850.0,UK\n' + LINE,
     ["lines.csv, line 3", "a quoted cell is never closed"]),
    (HEADER + LINE.replace("2010-12-01 08:26:00", "01/12/2010 08:26"),
     ["lines.csv, line 2", "`InvoiceDate` is not a date", "'01/12/2010 08:26'"]),
    (HEADER + LINE.replace(",2.55,", ",2.5.5,"),
     ["lines.csv, line 2", "`UnitPrice` is not a number", "'2.5.5'"]),
])
def test_import_refuses_unreadable_files(tmp_path: Path, content: str | bytes,
                                         words: list[str]) -> None:
    refused(import_(tmp_path, content), *words)


def test_import_counts_what_it_keeps_as_written(tmp_path: Path) -> None:
    # BOM, an extra column, and an order whose discount exceeds its items: total 15.30 - 20.
    content = ("\ufeff" + HEADER.rstrip("\n") + ",Channel\n" + LINE.rstrip("\n") + ",web\n"
               + "536365,D,Discount,-1,2010-12-01 08:26:00,20.00,17850.0,United Kingdom,web\n")
    result = import_(tmp_path, content, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["orders_with_negative_total"] == 1
    assert report["columns_not_used"] == ["Channel"]
    assert report["total_amount"] == "-4.70"
    assert (tmp_path / "out" / "orders.csv").read_text().splitlines()[1].endswith(",-4.70")
    again = tmp_path / "again"
    again.mkdir()
    text = import_(again, content)
    assert "orders with a negative total (kept as written): 1" in text.stdout
    assert "columns not used: Channel" in text.stdout


def test_import_of_a_header_only_file_reports_nothing_read(tmp_path: Path) -> None:
    result = import_(tmp_path, HEADER, "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["rows_read"], report["orders"], report["customers"]) == (0, 0, 0)
