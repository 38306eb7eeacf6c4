"""Spark beyond the shared engine tests (test_engines.py): URLs, staged writes, the segment
store's refresh, and a quiet command line."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from segdsl.cli.main import cli
from segdsl.config import resolve_db_url
from segdsl.engines import connect
from segdsl.engines.spark_session import DEFAULT_MASTER, SparkUrl, parse_url
from segdsl.errors import UsageError
from segdsl.store.model import Store
from segdsl.workspace import open_workspace
from segdsl.workspace.refresh import refresh

EXAMPLES = Path(__file__).parents[1] / "examples" / "online-retail"


@pytest.mark.parametrize(("url", "expected"), [
    ("spark:///store", SparkUrl(DEFAULT_MASTER, str(Path("store").resolve()), None)),
    ("spark:////data/s?master=local[2]", SparkUrl("local[2]", "/data/s", None)),
    ("spark://m1:7077/?path=hdfs://nn:8020/s", SparkUrl("spark://m1:7077", "hdfs://nn:8020/s",
                                                        None)),
    ("spark://m1//data/s", SparkUrl("spark://m1:7077", "/data/s", None)),
    ("spark:///?database=shop&spark.sql.catalogImplementation=hive&master=yarn",
     SparkUrl("yarn", None, "shop", (("spark.sql.catalogImplementation", "hive"),))),
    ("spark:///:memory:?master=local[2]", SparkUrl("local[2]", None, None, memory=True)),
])
def test_urls(url: str, expected: SparkUrl) -> None:
    assert parse_url(url) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("spark://", "either a folder"),
    ("spark:///x?database=d", "not both"),
    ("spark:///x?path=/y", "once"),
    ("spark://m1:7077/x?master=local", "host names the master"),
    ("spark:///x?mastr=local", "unknown parameter 'mastr'"),
    ("sparky:///x", "a Spark URL is"),
    ("spark:///:memory:?database=d", "in-memory store has no catalog database"),
])
def test_bad_urls_are_refused_in_words(url: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_url(url)


def test_a_workspace_folder_is_relative_to_the_workspace() -> None:
    assert resolve_db_url("spark:///store?master=local[2]", Path("/ws")) == \
        "spark:////ws/store?master=local[2]"
    assert resolve_db_url("spark:///?database=shop", Path("/ws")) == "spark:///?database=shop"


@pytest.mark.spark
def test_reading_a_missing_folder_is_refused(spark_url: str) -> None:
    with pytest.raises(UsageError, match="no such store folder"):
        connect(spark_url, create=False)


@pytest.mark.spark
def test_a_failed_load_writes_nothing(spark_url: str, store: Store) -> None:
    folder = Path(str(parse_url(spark_url).folder))
    with connect(spark_url) as engine:
        engine.load(store)
        broken = dataclasses.replace(store)
        broken.orders = dataclasses.replace(store.orders, order_id=store.orders.order_id[:-1])
        with pytest.raises(Exception):  # noqa: B017 - whatever the column mismatch raises
            engine.load(broken, replace=True)
        assert engine.describe().tables == store.tables  # the first store, whole
        assert engine.query("SELECT COUNT(*) FROM orders") == [(len(store.orders),)]
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("_")) == sorted(
        [*store.tables, "segdsl_meta"])


@pytest.mark.spark
def test_timestamps_are_naive_and_money_exact(spark_url: str, store: Store) -> None:
    with connect(spark_url) as engine:
        engine.load(store)
        types = {c.name: c.type for c in engine._columns("orders", None)}
        rows = dict(engine.query("SELECT order_id, CAST(ordered_at AS STRING) FROM orders"))
        totals = dict(engine.query("SELECT order_id, total FROM orders"))
    assert types == {"order_id": "string", "customer_id": "string",
                     "ordered_at": "timestamp_ntz", "total": "decimal(38,2)"}
    assert rows["o2"] == "2024-03-02 23:59:59"  # as written, whatever the JVM's zone
    assert str(totals["o10"]) == "10.33"


@pytest.mark.spark
def test_refresh_on_spark(spark_url: str, tmp_path: Path) -> None:
    """The segment store's rules (as in test_workspace.py) with its state in Parquet tables."""
    root = tmp_path / "ws"
    assert CliRunner().invoke(cli, ["init", str(root), "--example"]).exit_code == 0
    (root / "segments" / "examples.seg").unlink()
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 5\n', encoding="utf-8")
    toml = root / "segdsl.toml"
    toml.write_text(toml.read_text().replace('db = "duckdb:///segdsl.duckdb"',
                                             f'db = "{spark_url}"'), encoding="utf-8")
    load = CliRunner().invoke(cli, ["load", "--data", str(EXAMPLES), "--db", spark_url])
    assert load.exit_code == 0, load.output
    ws = open_workspace(root)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    first = refresh(ws, now=t0)
    counts = {r.name: r.count for r in first.refreshed}
    assert set(counts) >= {"frequent", "champions"} and counts["frequent"] > 0
    assert refresh(ws, now=t0 + timedelta(hours=1)).refreshed == []
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 20\n', encoding="utf-8")
    [changed] = refresh(ws, now=t0 + timedelta(hours=2)).refreshed
    assert changed.previous == counts["frequent"] and changed.count < counts["frequent"]
    assert len(changed.left) == changed.previous - changed.count and changed.entered == []
    out = CliRunner().invoke(cli, ["show", "frequent", "-w", str(root), "--format", "json"])
    shown = json.loads(out.stdout)
    assert shown["count"] == changed.count and len(shown["history"]) == 2
    assert sorted(shown["left"]) == changed.left
    exported = root / "frequent.jsonl"
    out = CliRunner().invoke(cli, ["export", "frequent", "-w", str(root), "-o", str(exported)])
    assert out.exit_code == 0, out.output
    records = [json.loads(line) for line in exported.read_text().splitlines()]
    assert len(records) == changed.count and all(r["orders"] >= 20 for r in records)
    (root / "segments" / "mine.seg").unlink()
    assert refresh(ws, now=t0 + timedelta(hours=3)).removed == ["frequent"]
    listed = CliRunner().invoke(cli, ["list", "-w", str(root), "--format", "json"])
    assert "frequent" not in {r["name"] for r in json.loads(listed.stdout)["segments"]}


@pytest.mark.spark
def test_the_command_line_is_quiet(spark_started: None, tmp_path: Path) -> None:
    """A fresh process starts its own JVM: nothing but the result, no log lines on stderr."""
    url = f"spark:///{tmp_path / 'store'}?master=local[1]"
    segdsl = [str(Path(sys.executable).with_name("segdsl"))]
    load = subprocess.run([*segdsl, "load", "--data", str(EXAMPLES), "--db", url],
                          capture_output=True, text=True, timeout=600)
    assert load.returncode == 0, load.stderr
    assert load.stderr.strip().startswith("loaded") and len(load.stderr.splitlines()) == 1
    ran = subprocess.run([*segdsl, "run", "--db", url, "--expr", 'country = "France"',
                          "--as-of", "2011-12-09", "--format", "json"],
                         capture_output=True, text=True, timeout=600)
    assert ran.returncode == 0 and ran.stderr == "", ran.stderr
    assert json.loads(ran.stdout)["count"] > 0
    # A folder run on Spark (`--engine spark`) selects the same customers as in memory.
    answers = {}
    for engine in ("spark", "memory"):
        one = subprocess.run([*segdsl, "run", "--data", str(EXAMPLES), "--engine", engine,
                              "--expr", 'country = "France"', "--as-of", "2011-12-09",
                              "--format", "json"], capture_output=True, text=True, timeout=600)
        assert one.returncode == 0 and one.stderr == "", one.stderr
        answers[engine] = json.loads(one.stdout)
    assert answers["spark"]["engine"] == "spark"
    assert answers["spark"]["customer_ids"] == answers["memory"]["customer_ids"] != []


@pytest.mark.spark
def test_a_catalog_that_forgets_its_tables_is_not_loaded(spark_started: None) -> None:
    """Without a Hive metastore Spark's catalog lives in memory: a load would report success
    and leave nothing for the next command."""
    url = "spark:///?database=forgotten&master=local[2]"
    with connect(url) as engine:
        assert "forgets database 'forgotten'" in (engine.forgets_at_exit() or "")
    result = CliRunner().invoke(cli, ["load", "--data", str(EXAMPLES), "--db", url])
    assert result.exit_code == 2 and "spark.sql.catalogImplementation=hive" in result.stderr


def test_an_in_memory_store_is_refused_for_reading_before_the_jvm_starts() -> None:
    with pytest.raises(UsageError, match="empty in every new process"):
        connect("spark:///:memory:?master=local[2]", create=False)
