"""The command line: exit codes, JSON on stdout only, clear errors that say what and where."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from segdsl.cli.main import SQL_DIALECTS, cli

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COMMANDS = ["check", "compile", "run", "load", "import", "fields"]


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def write_store(folder: Path, orders: str, customers: str = "customer_id,country\na,GB\nb,FR\n"
                ) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "customers.csv").write_text(customers, encoding="utf-8")
    (folder / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n" + orders,
                                       encoding="utf-8")
    return folder


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_every_command_has_help(command: str | None) -> None:
    result = invoke(*([command] if command else []), "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_check_reports_errors_with_exit_2_and_json_for_tools() -> None:
    result = invoke("check", "--expr", "ordrs > 3")
    assert result.exit_code == 2
    assert "error[E201]: unknown field `ordrs`" in result.stderr
    assert "did you mean `orders`?" in result.stderr
    result = invoke("check", "--expr", "ordrs > 3", "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False
    (diag,) = data["diagnostics"]
    assert (diag["code"], diag["span"]["line"], diag["span"]["column"]) == ("E201", 1, 1)
    assert diag["fix"]["replacement"] == "orders"


def test_check_warnings_do_not_fail(tmp_path: Path) -> None:
    seg = tmp_path / "a.seg"
    seg.write_text('segment a "A" where orders > 1 AND aov > 2 OR country = "GB"\n')
    result = invoke("check", str(seg))
    assert result.exit_code == 0
    assert "warning[W301]" in result.stderr and "ok: 1 segment checked" in result.stdout


def test_check_with_a_store_knows_its_tables_and_attributes(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "")
    result = invoke("check", "--data", str(store), "--expr", 'product_type = "mug"')
    assert result.exit_code == 2 and "`order_items`" in result.stderr
    assert invoke("check", "--expr", 'product_type = "mug"').exit_code == 0


def test_run_json_is_the_only_thing_on_stdout_and_warnings_go_to_stderr(tmp_path: Path
                                                                         ) -> None:
    store = write_store(tmp_path / "s", "1,a,2024-01-01,10\n2,zz,2024-01-01,10\n")
    result = invoke("run", "--data", str(store), "--engine", "memory", "--expr", "orders = 1",
                    "--as-of", "2024-02-01", "--format", "json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert (data["count"], data["customer_ids"]) == (1, ["a"])
    assert "1 order ignored: their customer is not in customers" in result.stderr


def test_run_a_file_picks_segments(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "1,a,2024-01-01,10\n")
    seg = tmp_path / "two.seg"
    seg.write_text('segment one "One" where orders = 1\nsegment none "None" where orders = 0\n')
    base = ["run", str(seg), "--data", str(store), "--as-of", "2024-02-01", "--format", "json"]
    data = json.loads(invoke(*base).stdout)
    assert [(s["segment"], s["customer_ids"]) for s in data["segments"]] == [
        ("one", ["a"]), ("none", ["b"])]
    data = json.loads(invoke(*base, "--segment", "NONE").stdout)
    assert data["customer_ids"] == ["b"]
    result = invoke(*base, "--segment", "nope")
    assert result.exit_code == 2 and "no segment named 'nope' (it has: one, none)" in result.stderr


def test_run_shows_sql_on_request(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "1,a,2024-01-01,10\n")
    result = invoke("run", "--data", str(store), "--engine", "sqlite", "--expr", "aov > 5",
                    "--as-of", "2024-02-01", "--show-sql")
    assert result.exit_code == 0 and "Customers: 1 customer" in result.stdout
    assert "SELECT" in result.stdout


@pytest.mark.parametrize("dialect", SQL_DIALECTS)
def test_compile_every_dialect(dialect: str) -> None:
    result = invoke("compile", "--expr", 'aov > store_aov OR name CONTAINS "50%"', "--dialect",
                    dialect, "--as-of", "2024-01-31", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["dialect"] == dialect and "SELECT" in data["sql"].upper()
    assert "LIKE" not in data["sql"].upper()


def test_load_then_run_against_the_database(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "1,a,2024-01-01,0.10\n2,a,2024-01-02,0.20\n")
    url = f"duckdb:///{tmp_path}/store.duckdb"
    assert invoke("load", "--data", str(store), "--db", url).exit_code == 0
    again = invoke("load", "--data", str(store), "--db", url)
    assert again.exit_code == 2 and "--replace" in again.stderr
    assert invoke("load", "--data", str(store), "--db", url, "--replace").exit_code == 0
    result = invoke("run", "--db", url, "--expr", "amount_spent = 0.3", "--as-of",
                    "2024-02-01", "--format", "json")
    assert json.loads(result.stdout)["customer_ids"] == ["a"]


def test_import_the_raw_example_then_run_it(tmp_path: Path) -> None:
    out = tmp_path / "imported"
    result = invoke("import", str(EXAMPLES / "online-retail-lines.csv"), "--out", str(out),
                    "--format", "json")
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report  # the counts are checked in test_importer.py
    result = invoke("run", "--data", str(out), "--expr", "orders >= 1", "--as-of",
                    "2010-12-02", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.stdout)["count"] > 0


@pytest.mark.parametrize("orders,message", [
    ("1,a,2024-01-01,10\n1,b,2024-01-02,5\n",
     "orders.csv, line 3: order `1` appears twice (first on line 2)"),
    ("1,a,2024-01-01,ten\n",
     "orders.csv, line 2: `total` is not a plain decimal number (such as 12.50 or -3) "
     "(value: 'ten')"),
    ("1,a,2024-02-30,1\n", "orders.csv, line 2: `ordered_at` is not a date"),
    ("1,a,,1\n", "orders.csv, line 2: `ordered_at` is empty"),
])
def test_unreadable_data_is_refused_with_file_row_and_value(tmp_path: Path, orders: str,
                                                            message: str) -> None:
    store = write_store(tmp_path / "s", orders)
    result = invoke("run", "--data", str(store), "--expr", "orders > 0")
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_missing_column_names_the_header(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "customers.csv").write_text("id,country\na,GB\n")
    (folder / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n")
    result = invoke("run", "--data", str(folder), "--expr", "orders > 0")
    assert result.exit_code == 2
    assert "customers.csv" in result.stderr and "customer_id" in result.stderr


def test_an_internal_error_is_one_line_and_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    import segdsl.runner

    def broken(*args: object, **kw: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(segdsl.runner, "read_folder", broken)
    monkeypatch.delenv("SEGDSL_DEBUG", raising=False)
    result = invoke("run", "--data", str(tmp_path), "--expr", "orders > 0")
    assert result.exit_code == 1
    assert "internal error: RuntimeError: boom" in result.stderr
    assert "Traceback" not in result.output


def _segdsl() -> list[str]:
    found = shutil.which("segdsl", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-c", "from segdsl.cli.main import main; main()"]


@pytest.mark.parametrize("args,code", [
    (["run", "--data", "/no/such/folder", "--expr", "orders > 1"], 2),
    (["run", "--db", "nosuch://x", "--expr", "orders > 1"], 2),
    (["run", "--db", "postgresql://nobody@127.0.0.1:9/x", "--expr", "orders > 1"], 1),
    (["check", "--expr", "(((" * 300], 2),
    (["check", "--expr", "orders > \"\\q\""], 2),
    (["compile", "--expr", "orders > 1", "--dialect", "nope"], 2),
    (["run", "--expr", "orders > 1"], 2),
])
def test_the_installed_command_never_prints_a_traceback(args: list[str], code: int) -> None:
    proc = subprocess.run(_segdsl() + args, capture_output=True, text=True, timeout=60)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stderr.strip()


@pytest.mark.parametrize("customers,message", [
    ('customer_id,name\n1,Ann\n2,"Bob\n3,Cy\n',
     "customers.csv, line 3: a quoted cell is never closed"),
    ("customer_id,tier,tier\n1,a,b\n", "customers.csv, line 1: column `tier` appears twice"),
])
def test_malformed_csv_is_refused_not_swallowed(tmp_path: Path, customers: str,
                                                message: str) -> None:
    store = write_store(tmp_path / "s", "", customers=customers)
    result = invoke("run", "--data", str(store), "--expr", "orders >= 0")
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.parametrize("total", ["1e3", "1,000.50", "12,50", ".5"])
def test_totals_must_be_plain_decimals(tmp_path: Path, total: str) -> None:
    store = write_store(tmp_path / "s", f'1,a,2024-01-01,"{total}"\n')
    result = invoke("run", "--data", str(store), "--expr", "orders >= 0")
    assert result.exit_code == 2 and "not a plain decimal number" in result.stderr


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    for scheme in ("duckdb", "sqlite"):
        path = tmp_path / f"none.{scheme}"
        result = invoke("run", "--db", f"{scheme}:///{path}", "--expr", "orders > 1")
        assert result.exit_code == 2 and "no such database file" in result.stderr
        assert not path.exists()


def test_a_database_without_a_store_says_so(tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "other.sqlite"
    sqlite3.connect(path).execute("CREATE TABLE things (x)").connection.commit()
    result = invoke("run", "--db", f"sqlite:///{path}", "--expr", "orders > 1")
    assert result.exit_code == 2
    assert "has no customers and orders tables: it holds no store" in result.stderr


@pytest.mark.parametrize("url", ["duckdb:///:memory:", "sqlite:///:memory:"])
def test_loading_a_database_that_forgets_everything_is_refused(url: str, tmp_path: Path
                                                               ) -> None:
    """`load` and `import` would report success and keep nothing."""
    result = invoke("load", "--data", str(EXAMPLES / "online-retail"), "--db", url)
    assert result.exit_code == 2 and "keeps nothing once this command ends" in result.stderr
    assert "--data DIR --engine" in result.stderr
    result = invoke("import", str(EXAMPLES / "online-retail-lines.csv"), "--preset",
                    "online-retail", "--out", str(tmp_path / "out"), "--db", url)
    assert result.exit_code == 2 and "keeps nothing" in result.stderr


def test_a_workspace_in_an_in_memory_database_is_refused(tmp_path: Path) -> None:
    invoke("init", str(tmp_path / "w"))
    toml = tmp_path / "w" / "segdsl.toml"
    lines = [line for line in toml.read_text().splitlines()
             if not line.startswith(("db ", "db=", "data ", "data="))]
    toml.write_text('db = "duckdb:///:memory:"\n' + "\n".join(lines) + "\n")
    result = invoke("refresh", "-w", str(tmp_path / "w"))
    assert result.exit_code == 2 and "a workspace keeps its segments' state" in result.stderr


@pytest.mark.parametrize(("url", "message"), [
    ("duckdb:///", "names a file and takes no parameters"),
    ("sqlite:///x.db?mode=ro", "names a file and takes no parameters"),
    ("chdb:///", "names a folder and takes no parameters"),
    ("chdb:///q?foo=bar", "names a folder and takes no parameters"),
])
def test_a_database_url_without_a_path_or_with_parameters_is_refused(url: str,
                                                                     message: str) -> None:
    for args in (["load", "--data", str(EXAMPLES / "online-retail")],
                 ["run", "--expr", "orders > 1"]):
        result = invoke(*args, "--db", url)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)


def test_a_file_is_not_a_spark_store_and_no_jvm_starts_to_say_so(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    result = invoke("load", "--data", str(EXAMPLES / "online-retail"), "--db",
                    f"spark:///{tmp_path / 'afile'}")
    assert result.exit_code == 2 and "is a file; a Spark store is a folder" in result.stderr


@pytest.mark.parametrize("engine", ["duckdb", "sqlite"])
def test_an_in_memory_database_url_points_to_the_engine_option(engine: str) -> None:
    result = invoke("run", "--db", f"{engine}:///:memory:", "--expr", "orders > 1")
    assert result.exit_code == 2
    assert "empty in every new process" in result.stderr
    assert f"--data DIR --engine {engine}" in result.stderr


def test_window_options_are_judged_as_options(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "")
    result = invoke("run", "--data", str(store), "--expr", "orders > 1", "--from", "2011-12-01",
                    "--to", "2011-01-01")
    assert result.exit_code == 2
    assert "--from/--to: the window starts after it ends" in result.stderr


def test_a_byte_order_mark_in_a_segment_file_is_ignored(tmp_path: Path) -> None:
    seg = tmp_path / "bom.seg"
    seg.write_bytes('\ufeffsegment a "A" where orders > 1\n'.encode())
    assert invoke("check", str(seg)).exit_code == 0


def test_expressions_can_name_the_system_segments() -> None:
    data = EXAMPLES / "online-retail"
    base = ["run", "--data", str(data), "--as-of", "2011-12-09", "--format", "json"]
    champions = json.loads(invoke(*base, "--expr", "IN SEGMENT champions").stdout)
    big = json.loads(invoke(*base, "--expr", 'IN SEGMENT "Champions" AND amount_spent > 5000'
                            ).stdout)
    assert champions["count"] > big["count"] > 0
    assert set(big["customer_ids"]) <= set(champions["customer_ids"])
    result = invoke(*base, "--expr", "IN SEGMENT champs")
    assert result.exit_code == 2 and "E230" in result.stderr


def test_check_json_on_an_unreadable_file_is_still_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.seg"
    bad.write_bytes(b"segment a \"A\" where name = \"\xff\"\n")
    result = invoke("check", str(bad), "--format", "json")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["error"]["code"] == "usage"
    assert "not UTF-8" in data["error"]["message"] and data["diagnostics"] == []


def _error_doc(*args: str, code: int = 2) -> dict[str, Any]:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == code, result.output
    doc = json.loads(result.stdout)  # the whole of stdout is one JSON document
    assert doc["ok"] is False
    return doc


def test_json_errors_are_json_documents_with_the_same_exit_codes(tmp_path: Path) -> None:
    seg = tmp_path / "s.seg"
    seg.write_text('segment a "A"\n  where ordrs > 1\n', encoding="utf-8")
    store = write_store(tmp_path / "store", "o1,a,2024-01-02 10:00:00,5\n")
    for command in (["compile", str(seg)], ["run", str(seg), "--data", str(store)]):
        doc = _error_doc(*command)
        assert doc["error"] == {"code": "E201", "message": "unknown field `ordrs`",
                                "file": str(seg), "line": 2}
        [d] = doc["diagnostics"]
        assert (d["code"], d["file"], d["span"]["column"]) == ("E201", str(seg), 9)
    bad = write_store(tmp_path / "bad", "o1,a,not a time,5\n")
    doc = _error_doc("check", "--expr", "orders > 1", "--data", str(bad))
    error = doc["error"]
    assert error["code"] == "data" and error["file"].endswith("orders.csv")
    assert error["line"] == 2 and doc["diagnostics"] == []
    doc = _error_doc("run", "--expr", "orders > 1", "--db", f"duckdb:///{tmp_path}/none.duckdb")
    assert doc["error"]["code"] == "usage"
    doc = _error_doc("refresh", "-w", str(tmp_path))  # no workspace here
    assert doc["error"]["code"] == "usage" and "segdsl init" in doc["error"]["message"]


def test_show_sql_with_the_memory_engine_says_there_is_none(tmp_path: Path) -> None:
    store = write_store(tmp_path / "s", "1,a,2024-01-01,10\n")
    result = invoke("run", "--data", str(store), "--engine", "memory", "--expr", "aov > 5",
                    "--as-of", "2024-02-01", "--show-sql")
    assert result.exit_code == 0 and "Customers: 1 customer" in result.stdout
    assert "the memory engine runs no SQL" in result.stderr and "SELECT" not in result.stdout


@pytest.mark.parametrize("args", [
    ["compile", "--format", "json", "--dialect", "bogus", "--expr", "orders > 1"],
    ["run", "--format", "json", "--bogus-option"],
    ["run", "--bogus-option", "--format=json"],
])
def test_a_bad_option_with_format_json_is_a_json_usage_error(args: list[str]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["error"]["code"] == "usage"
    assert "bogus" in doc["error"]["message"]
    assert "Usage:" in result.stderr  # click's own help line still goes to stderr
