"""Stores from other sources: a database whose tables have other (reserved) names, mapped in
segdsl.toml; custom attribute types declared in the config; Parquet folders."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from click.testing import CliRunner

from segdsl.cli.main import cli


def run_json(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(cli, ["run", *args, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_reserved_word_tables_mapped_in_the_config(tmp_path: Path) -> None:
    db = tmp_path / "shop.duckdb"
    con = duckdb.connect(str(db))
    con.execute('CREATE TABLE "group" (id VARCHAR, country VARCHAR, name VARCHAR, '
                'email VARCHAR, phone VARCHAR)')
    con.execute('CREATE TABLE "order" ("select" VARCHAR, who VARCHAR, "when" TIMESTAMP, '
                'total DECIMAL(10, 2))')
    con.execute("""INSERT INTO "group" VALUES ('g1', 'United Kingdom', NULL, NULL, NULL),
                   ('g2', 'FR', NULL, NULL, NULL)""")
    con.execute("""INSERT INTO "order" VALUES ('1', 'g1', '2024-01-05 10:00', 12.50),
                   ('2', 'g1', '2024-01-06 10:00', 7.50), ('3', 'g2', '2024-01-07', 3)""")
    con.close()
    config = tmp_path / "segdsl.toml"
    config.write_text(f"""
db = "duckdb:///{db}"
[mapping.tables]
customers = "group"
orders = "order"
[mapping.columns.customers]
customer_id = "id"
[mapping.columns.orders]
order_id = "select"
customer_id = "who"
ordered_at = "when"
""")
    data = run_json("--config", str(config), "--expr", 'amount_spent = 20 AND country = "GB"',
                    "--as-of", "2024-02-01")
    assert data["customer_ids"] == ["g1"]


def test_declared_custom_types_override_inference(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "customers.csv").write_text("customer_id,zip\na,4500\nb,123\n")
    (folder / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n")
    inferred = CliRunner().invoke(cli, ["run", "--data", str(folder), "--expr",
                                        'custom.zip = "4500"'])
    assert inferred.exit_code == 2 and "custom.zip` is a number" in inferred.stderr
    config = tmp_path / "segdsl.toml"
    config.write_text('[custom_types]\nzip = "text"\n')
    data = run_json("--data", str(folder), "--config", str(config), "--expr",
                    'custom.zip STARTS WITH "45"')
    assert data["customer_ids"] == ["a"]


def test_a_parquet_folder_reads_like_csv(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    pq.write_table(pa.table({"customer_id": ["00001", "00002"], "country": ["IN", None]}),
                   folder / "customers.parquet")
    pq.write_table(pa.table({"order_id": ["o1", "o2"], "customer_id": ["00001", "00001"],
                             "ordered_at": ["2024-03-01T23:30:00+00:00", "2024-03-02"],
                             "total": ["10.10", "0.20"]}), folder / "orders.parquet")
    for engine in ("memory", "duckdb", "sqlite"):
        data = run_json("--data", str(folder), "--engine", engine, "--expr",
                        "amount_spent = 10.3 AND first_order_date = 2024-03-02",
                        "--timezone", "Asia/Kolkata", "--as-of", "2024-04-01")
        assert data["customer_ids"] == ["00001"], engine
