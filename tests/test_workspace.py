"""The segment store: init, list, refresh rules, show, export, demo (DuckDB, in process)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from segdsl.cli.main import cli
from segdsl.engines import connect
from segdsl.store.reader import read_folder
from segdsl.workspace import open_workspace
from segdsl.workspace.definitions import system_definitions
from segdsl.workspace.export import neutralise
from segdsl.workspace.refresh import refresh

EXAMPLE_DATA = Path(__file__).resolve().parents[1] / "examples" / "online-retail"
SYSTEM_NAMES = {"champions", "loyal_customers", "potential_loyalists", "new_customers",
                "at_risk", "cant_lose_them", "hibernating", "lost"}


def run(*args: str, ok: int = 0) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == ok, (result.output, result.exception)
    assert "Traceback" not in result.output
    return result.output


@pytest.fixture(scope="module")
def example_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ws") / "example"
    run("init", str(root), "--example")
    return root


def test_init_writes_config_and_folder(tmp_path: Path) -> None:
    run("init", str(tmp_path / "w"))
    ws = open_workspace(tmp_path / "w")
    assert ws.segments_dir.is_dir()
    assert ws.url == f"duckdb:///{(tmp_path / 'w' / 'segdsl.duckdb').resolve()}"
    assert ws.interval == timedelta(hours=12) and ws.config.as_of is None
    out = run("init", str(tmp_path / "w"), ok=2)  # never over an existing workspace
    assert "already" in out


def test_system_definitions_have_the_expected_names() -> None:
    assert {d.name for d in system_definitions()} == SYSTEM_NAMES


def test_example_refresh_list_show(example_ws: Path) -> None:
    ws = open_workspace(example_ws)
    assert str(ws.config.as_of) == "2011-12-09"
    before = json.loads(run("list", "-w", str(example_ws), "--format", "json"))["segments"]
    assert {r["name"] for r in before} == SYSTEM_NAMES and all(r["count"] is None
                                                               for r in before)
    report = json.loads(run("refresh", "-w", str(example_ws), "--format", "json"))
    names = {r["name"] for r in report["refreshed"]}
    assert names >= SYSTEM_NAMES and report["queries"] == 1  # one shared window: one query
    rows = json.loads(run("list", "-w", str(example_ws), "--format", "json"))["segments"]
    assert all(r["count"] is not None for r in rows)
    assert "champions" in run("list", "-w", str(example_ws))
    shown = json.loads(run("show", "champions", "-w", str(example_ws), "--format", "json"))
    assert shown["kind"] == "SYSTEM" and "SELECT" in shown["sql"]
    assert shown["count"] == next(r["count"] for r in rows if r["name"] == "champions")
    assert len(shown["history"]) == 1
    assert "window" in run("show", "champions", "-w", str(example_ws))
    assert "no segment" in run("show", "nope", "-w", str(example_ws), ok=2)


def _custom_ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    run("init", str(root), "--example")
    (root / "segments" / "examples.seg").unlink()
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 5\n', encoding="utf-8")
    return root


def test_refresh_rules(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    ws = open_workspace(root)
    t0 = datetime(2030, 1, 1, tzinfo=UTC)
    first = refresh(ws, now=t0)
    assert {r.name for r in first.refreshed} == SYSTEM_NAMES | {"frequent"}  # all new
    # Within the interval nothing is due; past it only the SYSTEM ones.
    assert refresh(ws, now=t0 + timedelta(hours=11)).refreshed == []
    later = refresh(ws, now=t0 + timedelta(hours=12))
    assert {r.name for r in later.refreshed} == SYSTEM_NAMES
    # A CUSTOM segment: when named, or with --all.
    named = refresh(ws, ["FREQUENT"], now=t0 + timedelta(hours=13))
    assert [r.name for r in named.refreshed] == ["frequent"]
    assert named.refreshed[0].entered == [] and named.refreshed[0].left == []
    assert {r.name for r in refresh(ws, all_=True, now=t0 + timedelta(hours=13)).refreshed} \
        == SYSTEM_NAMES | {"frequent"}
    # A changed definition is refreshed without being asked, and reports who left.
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 20\n', encoding="utf-8")
    changed = refresh(ws, now=t0 + timedelta(hours=14))
    [r] = changed.refreshed
    assert r.reason == "definition changed" and r.count < (r.previous or 0)
    assert len(r.left) == r.previous - r.count and r.entered == []
    out = json.loads(run("show", "frequent", "-w", str(root), "--format", "json"))
    assert len(out["left"]) == len(r.left) and len(out["history"]) == 4
    # A removed definition: its state goes.
    (root / "segments" / "mine.seg").unlink()
    assert refresh(ws, now=t0 + timedelta(hours=14)).removed == ["frequent"]


def test_refresh_refuses_unknown_names_and_bad_files(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    assert "no segment named" in run("refresh", "nope", "-w", str(root), ok=2)
    (root / "segments" / "bad.seg").write_text('segment x "X"\n  where ordrs > 1\n')
    assert "ordrs" in run("refresh", "-w", str(root), ok=2)


def test_a_broken_file_does_not_block_the_rest(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    seg = root / "segments"
    (seg / "uses.seg").write_text('segment on_top "On top" where IN SEGMENT frequent\n')
    run("refresh", "--all", "-w", str(root))
    before = _counts(root)
    # frequent breaks; on_top, which depends on it, is refused with it; the rest goes on
    (seg / "mine.seg").write_text('segment frequent "Frequent"\n  where ordrs >= 5\n')
    (seg / "other.seg").write_text('segment twice "Twice" where orders >= 2\n')
    result = CliRunner().invoke(cli, ["refresh", "--all", "-w", str(root), "--format", "json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert {r["name"] for r in report["refreshed"]} == SYSTEM_NAMES | {"twice"}
    assert report["refused"] == ["frequent", "on_top"] and report["removed"] == []
    assert [(e["file"].endswith("mine.seg"), [d["code"] for d in e["diagnostics"]])
            for e in report["errors"]] == [(True, ["E201"]), (False, ["E233"])]
    assert "ordrs" in result.stderr and "refused (left as they were)" in result.stderr
    after = _counts(root)
    assert after["frequent"] == before["frequent"] and after["on_top"] == before["on_top"]
    # a named SYSTEM segment too; show works for what checks and refuses what does not
    result = CliRunner().invoke(cli, ["refresh", "champions", "-w", str(root)])
    assert result.exit_code == 2 and "champions (SYSTEM, named)" in result.stdout
    result = CliRunner().invoke(cli, ["show", "champions", "-w", str(root)])
    assert result.exit_code == 0 and "mine.seg has errors" in result.stderr
    result = CliRunner().invoke(cli, ["show", "frequent", "-w", str(root)])
    assert result.exit_code == 2 and "E201" in result.stderr
    # a file that does not parse may hold any name: nothing is removed meanwhile
    (seg / "mine.seg").write_text('segment frequent "Frequent"\n  where orders >=\n')
    result = CliRunner().invoke(cli, ["refresh", "-w", str(root), "--format", "json"])
    assert result.exit_code == 2 and json.loads(result.stdout)["removed"] == []
    assert _counts(root)["frequent"] == before["frequent"]


def test_refresh_text_output_names_who_entered(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    run("refresh", "-w", str(root))
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 4\n', encoding="utf-8")
    out = run("refresh", "-w", str(root))
    assert "frequent (CUSTOM, definition changed)" in out and "entered: " in out


STORE_CUSTOMERS = """customer_id,name,email,phone,country
c1,=HYPERLINK("http://x"),@evil,+44 20 7946 0958,GB
c2,Zoë Ünïcode 東京,zoe@example.com,-1 555 0100,FR
c3,-42,+cmd|' /C calc'!A0,020 7946 0958,GB
"""
STORE_ORDERS = """order_id,customer_id,ordered_at,total
o1,c1,2024-01-02 10:00:00,0.10
o2,c1,2024-01-03 10:00:00,0.20
o3,c2,2024-01-04 10:00:00,-12.50
o4,c3,2024-01-05 10:00:00,7.00
"""


@pytest.fixture
def export_ws(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    (data / "customers.csv").write_text(STORE_CUSTOMERS, encoding="utf-8")
    (data / "orders.csv").write_text(STORE_ORDERS, encoding="utf-8")
    root = tmp_path / "ws"
    run("init", str(root))
    toml = root / "segdsl.toml"
    toml.write_text(toml.read_text() + 'as_of = "2024-02-01"\n'.replace("# ", ""))
    ws = open_workspace(root)
    with connect(ws.url) as engine:
        engine.load(read_folder(data))
    (root / "segments" / "all.seg").write_text('segment buyers "Buyers"\n  where orders >= 1\n')
    run("refresh", "-w", str(root))
    return root


def test_export_csv_neutralises_formulas_keeps_numbers_and_phones(export_ws: Path) -> None:
    out = export_ws / "buyers.csv"
    run("export", "buyers", "-o", str(out), "-w", str(export_ws))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert list(rows[0]) == ["customer_id", "name", "email", "phone", "store_aov",
                             "customer_aov", "orders", "amount_spent", "last_order_date",
                             "product_type"]
    c1, c2, c3 = rows
    assert [c1["customer_id"], c2["customer_id"], c3["customer_id"]] == ["c1", "c2", "c3"]
    assert c1["name"] == "'=HYPERLINK(\"http://x\")" and c1["email"] == "'@evil"
    assert c1["phone"] == "+44 20 7946 0958"  # phone-shaped: left as stored
    assert c1["amount_spent"] == "0.30" and c1["customer_aov"] == "0.15"  # exact money
    assert c2["name"] == "Zoë Ünïcode 東京" and c2["phone"] == "-1 555 0100"
    assert c2["amount_spent"] == "-12.50" and c2["customer_aov"] == "-12.50"  # stays a number
    assert c3["name"] == "-42" and c3["email"].startswith("'+cmd")
    assert c3["phone"] == "020 7946 0958" and c3["last_order_date"] == "2024-01-05"
    assert c1["store_aov"] == "-1.30"  # (0.10 + 0.20 - 12.50 + 7.00) / 4 = -1.30


def test_export_jsonl_same_records(export_ws: Path) -> None:
    out = export_ws / "buyers.jsonl"
    run("export", "buyers", "-o", str(out), "-w", str(export_ws))
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 3
    assert [list(r)[0] for r in records] == ["customer_id"] * 3  # the first key, as in CSV
    assert [r["customer_id"] for r in records] == ["c1", "c2", "c3"]
    assert records[0]["name"] == '=HYPERLINK("http://x")'  # no spreadsheet escaping in JSON
    assert records[0]["amount_spent"] == "0.30" and records[0]["orders"] == 2
    assert records[1]["name"] == "Zoë Ünïcode 東京"


def test_export_refuses_unrefreshed(export_ws: Path) -> None:
    out = run("export", "nope", "-o", str(export_ws / "x.csv"), "-w", str(export_ws), ok=2)
    assert "segdsl refresh" in out


def test_neutralise_rules() -> None:
    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx"
    assert neutralise("-1.5") == "-1.5" and neutralise("+3") == "+3"
    assert neutralise("-1+2") == "'-1+2"
    assert neutralise("+44 (0) 20 7946-0958", "phone") == "+44 (0) 20 7946-0958"
    assert neutralise("+44 =1", "phone") == "'+44 =1"


def test_demo(tmp_path: Path) -> None:
    out = run("demo", str(tmp_path / "d"))
    assert "exported" in out and "champions" in out
    exported = list((tmp_path / "d" / "exports").glob("*.csv"))
    assert len(exported) == 1
    assert exported[0].read_text(encoding="utf-8").startswith("customer_id,name,")


def test_help_everywhere() -> None:
    for command in ("init", "list", "refresh", "show", "export", "demo"):
        assert "Usage" in run(command, "--help")


def test_no_workspace_is_a_usage_error(tmp_path: Path) -> None:
    assert "segdsl init" in run("list", "-w", str(tmp_path), ok=2)


def _counts(ws: Path) -> dict[str, int]:
    rows = json.loads(run("list", "-w", str(ws), "--format", "json"))["segments"]
    return {r["name"]: r["count"] for r in rows}


def test_custom_segments_refer_across_files_and_to_system_ones(tmp_path: Path) -> None:
    ws = tmp_path / "x"
    run("init", str(ws), "--example")
    (ws / "segments" / "a_refs.seg").write_text(
        'segment champ_big "Champions who spend big"\n  window from -1y\n'
        "  where IN SEGMENT champions AND amount_spent > 3000\n"
        'segment not_lost "Not lost, ordered twice"\n'
        '  where orders >= 2 AND NOT IN SEGMENT "lost" AND NOT IN SEGMENT z_base\n')
    (ws / "segments" / "z_base.seg").write_text(
        'segment z_base "Base"\n  where orders >= 20\n')
    run("refresh", "-w", str(ws), "--all")
    counts = _counts(ws)
    # worked independently: the same segments run as one file by `segdsl run` on the same data
    (tmp_path / "all.seg").write_text(
        (ws / "segments" / "a_refs.seg").read_text()
        + (ws / "segments" / "z_base.seg").read_text())
    direct = json.loads(run("run", str(tmp_path / "all.seg"), "--data",
                            str(Path(__file__).resolve().parents[1] / "examples/online-retail"),
                            "--as-of", "2011-12-09", "--format", "json"))["segments"]
    assert {s["segment"]: s["count"] for s in direct} == {
        k: counts[k] for k in ("champ_big", "not_lost", "z_base")}
    assert 0 < counts["champ_big"] < counts["champions"]


def test_a_segment_is_refreshed_when_one_it_refers_to_changes(tmp_path: Path) -> None:
    ws = tmp_path / "x"
    run("init", str(ws), "--example")
    seg = ws / "segments" / "refs.seg"
    seg.write_text('segment base "Base" where orders >= 3\n'
                   'segment derived "Derived" where IN SEGMENT base AND aov > 300\n')
    run("refresh", "-w", str(ws), "--all")
    first = _counts(ws)
    seg.write_text(seg.read_text().replace("orders >= 3", "orders >= 6"))
    run("refresh", "-w", str(ws))  # nothing named: changed definitions only
    second = _counts(ws)
    assert second["base"] < first["base"]
    assert second["derived"] < first["derived"]  # refreshed, though its own text is the same


def test_a_missing_segments_folder_is_refused_not_emptied(tmp_path: Path) -> None:
    ws = tmp_path / "x"
    run("init", str(ws), "--example")
    config = ws / "segdsl.toml"
    config.write_text(config.read_text().replace('segments = "segments/"', 'segments = "nope/"'))
    out = run("refresh", "-w", str(ws), "--all", ok=2)
    assert "segments folder" in out and "does not exist" in out


def test_a_bad_time_zone_is_refused_where_it_is_written(tmp_path: Path) -> None:
    out = run("init", str(tmp_path / "w"), "--timezone", "Mars/Base", ok=2)
    assert "unknown time zone 'Mars/Base'" in out
    run("init", str(tmp_path / "v"))
    config = tmp_path / "v" / "segdsl.toml"
    config.write_text(config.read_text().replace('timezone = "UTC"', 'timezone = "Mars/Base"'))
    out = run("refresh", "-w", str(tmp_path / "v"), ok=2)
    assert "segdsl.toml: timezone: unknown time zone" in out


def test_a_workspace_without_data_says_how_to_load_it(tmp_path: Path) -> None:
    run("init", str(tmp_path / "w"))
    out = run("refresh", "-w", str(tmp_path / "w"), ok=2)
    assert "does not exist" in out and "segdsl load" in out  # no database file yet
    with connect(open_workspace(tmp_path / "w").url):
        pass  # a database without the store's tables
    out = run("refresh", "-w", str(tmp_path / "w"), ok=2)
    assert "holds no store yet" in out and "segdsl load" in out


def test_refresh_reports_a_cycle_across_files_in_both_files(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    (root / "segments" / "cyc.seg").write_text('segment a "A" where IN SEGMENT b\n')
    (root / "segments" / "cyc2.seg").write_text(
        'segment b "B" where orders > 1 and IN SEGMENT a\n')
    result = CliRunner().invoke(cli, ["refresh", "-w", str(root)])
    assert result.exit_code == 2
    assert "error[E231]: segments refer to each other in a cycle: a → b → a" in result.stderr
    assert "cyc2.seg:1:47" in result.stderr  # where b's reference closes the cycle
    assert "error[E233]: segment `b` does not check" in result.stderr
    assert "cyc.seg:1:32" in result.stderr
    assert "E230" not in result.stderr


def test_refresh_reports_a_typo_in_a_second_file_with_its_suggestion(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    (root / "segments" / "z.seg").write_text('segment typo "T" where IN SEGMENT champoins\n')
    (root / "segments" / "a.seg").write_text('segment uses "U" where IN SEGMENT typo\n')
    result = CliRunner().invoke(cli, ["refresh", "-w", str(root)])
    assert result.exit_code == 2
    assert "did you mean `champions`?" in result.stderr and "z.seg:1:35" in result.stderr
    assert "error[E233]: segment `typo` does not check" in result.stderr


def _examples_ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    run("init", str(root), "--example")
    (root / "segments" / "g.seg").write_text(
        'segment g "G" where IN SEGMENT big_spenders AND orders > 5\n', encoding="utf-8")
    return root


def test_check_and_run_of_a_workspace_file_know_the_other_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _examples_ws(tmp_path)
    monkeypatch.chdir(root)
    assert "ok: 1 segment checked" in run("check", "segments/g.seg")
    # worked independently: both segments in one file, run on the example files directly
    both = tmp_path / "both.seg"
    both.write_text((root / "segments" / "examples.seg").read_text()
                    + (root / "segments" / "g.seg").read_text())
    direct = json.loads(run("run", str(both), "--data", str(EXAMPLE_DATA), "--as-of",
                            "2011-12-09", "--format", "json"))["segments"]
    expected = {s["segment"]: s["count"] for s in direct}
    assert expected["g"] > 0
    got = json.loads(run("run", "segments/g.seg", "--format", "json"))["segments"]
    # the workspace's database and its as_of (2011-12-09), not today
    assert [(s["segment"], s["count"], s["as_of"]) for s in got] == [
        ("g", expected["g"], "2011-12-09")]
    ex = json.loads(run("run", "segments/examples.seg", "--format", "json"))["segments"]
    assert {s["segment"]: s["count"] for s in ex} == {
        k: v for k, v in expected.items() if k != "g"}
    # --as-of still wins over the workspace's day
    later = json.loads(run("run", "segments/g.seg", "--as-of", "2030-01-01", "--format",
                           "json"))["segments"]
    assert later[0]["as_of"] == "2030-01-01"
    # from elsewhere: the file's own workspace is found above it
    monkeypatch.chdir(tmp_path)
    assert "ok: 1 segment checked" in run("check", str(root / "segments" / "g.seg"))


def test_check_and_run_take_a_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _examples_ws(tmp_path)
    monkeypatch.chdir(root)
    assert "ok: 3 segments in 2 files checked" in run("check", "segments")
    got = json.loads(run("run", "segments", "--format", "json"))["segments"]
    assert [s["segment"] for s in got] == ["big_spenders", "christmas_buyers", "g"]
    (root / "segments" / "bad.seg").write_text('segment b "B" where ordrs > 1\n')
    result = CliRunner().invoke(cli, ["check", "segments", "--format", "json"])
    assert result.exit_code == 2
    [d] = json.loads(result.stdout)["diagnostics"]
    assert (d["code"], d["file"]) == ("E201", str(Path("segments") / "bad.seg"))
    (tmp_path / "empty").mkdir()
    assert "no .seg files" in run("check", str(tmp_path / "empty"), ok=2)


def test_text_show_says_when_the_count_is_stale(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    run("refresh", "-w", str(root))
    fresh = run("show", "frequent", "-w", str(root))
    assert "stale" not in fresh
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 20\n', encoding="utf-8")
    count = json.loads(run("show", "frequent", "-w", str(root), "--format", "json"))["count"]
    assert (f"count: {count:,} (stale: the definition changed since the last refresh; run "
            "`segdsl refresh frequent`)") in run("show", "frequent", "-w", str(root))


def test_load_replace_marks_the_state_stale(export_ws: Path, tmp_path: Path) -> None:
    new = tmp_path / "new"
    new.mkdir()
    (new / "customers.csv").write_text("customer_id,name\nd1,Dee\nd2,Dan\n", encoding="utf-8")
    (new / "orders.csv").write_text("order_id,customer_id,ordered_at,total\n"
                                    "p1,d1,2024-01-10 10:00:00,5.00\n", encoding="utf-8")
    url = open_workspace(export_ws).url
    run("load", "--data", str(new), "--db", url, "--replace")
    [row] = [r for r in json.loads(run("list", "-w", str(export_ws), "--format", "json"))
             ["segments"] if r["name"] == "buyers"]
    assert row["stale"] is True and row["count"] == 3  # computed from c1..c3, now gone
    assert "(stale: the data was loaded again" in run("list", "-w", str(export_ws))
    shown = json.loads(run("show", "buyers", "-w", str(export_ws), "--format", "json"))
    assert shown["stale"] is True and shown["stale_because"] == ["data"]
    out = export_ws / "b.csv"
    refused = run("export", "buyers", "-o", str(out), "-w", str(export_ws), ok=2)
    assert "loaded before the current data" in refused and "segdsl refresh buyers" in refused
    assert not out.exists()
    report = json.loads(run("refresh", "-w", str(export_ws), "--format", "json"))
    [buyers] = [r for r in report["refreshed"] if r["name"] == "buyers"]
    assert buyers["reason"] == "data reloaded" and buyers["count"] == 1  # only d1 ordered
    run("export", "buyers", "-o", str(out), "-w", str(export_ws))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert [(r["customer_id"], r["name"], r["amount_spent"]) for r in rows] == [
        ("d1", "Dee", "5.00")]


def test_state_tables_from_before_the_data_load_column_still_work(export_ws: Path) -> None:
    with connect(open_workspace(export_ws).url) as engine:
        engine.query("ALTER TABLE segdsl_segments DROP COLUMN data_load")
    # which load the state came from is unknown: it counts as stale until refreshed
    [row] = [r for r in json.loads(run("list", "-w", str(export_ws), "--format", "json"))
             ["segments"] if r["name"] == "buyers"]
    assert row["stale"] is True
    report = json.loads(run("refresh", "-w", str(export_ws), "--format", "json"))
    assert [r["reason"] for r in report["refreshed"] if r["name"] == "buyers"] == [
        "data reloaded"]
    run("export", "buyers", "-o", str(export_ws / "b.csv"), "-w", str(export_ws))


def test_refresh_output_counts_in_the_singular_for_one(tmp_path: Path) -> None:
    root = _custom_ws(tmp_path)
    run("refresh", "-w", str(root))
    # the example data has one customer with 50 orders or more (worked out with run below)
    (root / "segments" / "mine.seg").write_text(
        'segment frequent "Frequent"\n  where orders >= 50\n', encoding="utf-8")
    direct = json.loads(run("run", "--data", str(EXAMPLE_DATA), "--as-of", "2011-12-09",
                            "--expr", "orders >= 50", "--format", "json"))
    assert direct["count"] == 1
    out = run("refresh", "-w", str(root))
    assert "frequent (CUSTOM, definition changed): 1 member (was " in out
    assert "1 segment refreshed with 1 query; " in out
    assert "1 members" not in out and "segment(s)" not in out


def test_a_workspace_whose_database_is_missing_is_refused_not_created(tmp_path: Path) -> None:
    root = tmp_path / "w"
    run("init", str(root))
    db_file = root / "segdsl.duckdb"
    for command in (["list"], ["refresh"], ["show", "champions"],
                    ["export", "champions", "-o", str(tmp_path / "x.csv")]):
        out = run(*command, "-w", str(root), ok=2)
        assert "does not exist" in out and "segdsl load" in out and "segdsl init" in out
    assert not db_file.exists()  # no empty database left behind
