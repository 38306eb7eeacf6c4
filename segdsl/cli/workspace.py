"""The segment store's commands: init, list, refresh (and --watch), show, export, demo."""

from __future__ import annotations

import signal
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click

from segdsl.cli.common import EXIT_REFUSED, echo_json, format_option
from segdsl.errors import SegdslError, SegmentError, UsageError
from segdsl.workspace import Workspace, init_workspace, open_workspace
from segdsl.workspace.refresh import RefreshReport, refresh, watch

workspace_option = click.option(
    "--workspace", "-w", "ws_dir", type=click.Path(file_okay=False),
    help="The workspace folder (default: the current folder or the nearest one above it "
    "with a segdsl.toml).")


def _open(ws_dir: str | None) -> Workspace:
    return open_workspace(Path(ws_dir) if ws_dir else None)


class _Bar:
    """A rich progress bar on stderr, only when stderr is a terminal."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.progress = Progress(TextColumn("refreshing {task.description}"), BarColumn(),
                                 MofNCompleteColumn(), console=Console(stderr=True),
                                 transient=True)
        self.task = self.progress.add_task("", total=None)

    def start(self, total: int) -> None:
        self.progress.update(self.task, total=total)
        self.progress.start()

    def advance(self, label: str) -> None:
        self.progress.update(self.task, advance=1, description=label)

    def stop(self) -> None:
        self.progress.stop()


def _refresh_with_bar(ws: Workspace, names: tuple[str, ...], all_: bool) -> RefreshReport:
    if not sys.stderr.isatty():
        return refresh(ws, names, all_=all_)
    bar = _Bar()
    try:
        return refresh(ws, names, all_=all_, progress=bar)
    finally:
        bar.stop()


def _ids(ids: list[str], limit: int = 10) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f" and {len(ids) - limit:,} more" if len(ids) > limit else "")


def _print_report(report: RefreshReport) -> None:
    if not report.refreshed:
        click.echo("nothing to refresh: every segment is up to date")
    for r in report.refreshed:
        was = "new" if r.previous is None else f"was {r.previous:,}"
        click.secho(f"{r.name} ({r.kind}, {r.reason}): {_plural(r.count, 'member')} ({was}); "
                    f"+{len(r.entered):,} entered, -{len(r.left):,} left", bold=True)
        if r.previous is not None:
            if r.entered:
                click.echo(f"  entered: {_ids(r.entered)}")
            if r.left:
                click.echo(f"  left:    {_ids(r.left)}")
    for name in report.removed:
        click.echo(f"{name}: its definition is gone; its members were removed")
    if report.refreshed:
        click.echo(f"{_plural(len(report.refreshed), 'segment')} refreshed with "
                   f"{report.windows} quer{'y' if report.windows == 1 else 'ies'}; "
                   f"{len(report.up_to_date)} up to date")


def _plural(n: int, noun: str) -> str:
    """``1 member``, ``2 members``, ``1,000 members``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def register(cli: click.Group) -> None:
    for command in (init, list_, refresh_, show, export, demo):
        cli.add_command(command)


# --- init ----------------------------------------------------------------------------------

@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False), default=".")
@click.option("--example", is_flag=True,
              help="Import the Online Retail example data and set as_of to 2011-12-09.")
@click.option("--timezone", metavar="TZ", help="The store's time zone (default UTC).")
def init(folder: str, example: bool, timezone: str | None) -> None:
    """Create a workspace: segdsl.toml and a segments/ folder (with --example, the data)."""
    _init(Path(folder), example, timezone)


def _init(folder: Path, example: bool, timezone: str | None) -> Workspace:
    if timezone is not None:
        from segdsl.store.reader import zone

        zone(timezone)  # refuse a bad name now, not at the first refresh
    from segdsl.workspace import example as ex

    if example:
        ws = init_workspace(folder, timezone=timezone or ex.TIMEZONE, currency=ex.CURRENCY,
                            as_of=ex.AS_OF)
        customers, orders = ex.load_example(ws)
        click.echo(f"imported the Online Retail example: {customers:,} customers, "
                   f"{orders:,} orders (as of {ex.AS_OF})", err=True)
    else:
        ws = init_workspace(folder, timezone=timezone or "UTC")
    click.echo(f"workspace ready in {ws.root} (database {ws.url})", err=True)
    return ws


# --- list ----------------------------------------------------------------------------------

def _list_rows(ws: Workspace) -> list[dict[str, Any]]:
    from segdsl.engines.base import Engine
    from segdsl.workspace.db import StateDb, open_engine
    from segdsl.workspace.definitions import system_definitions
    from segdsl.workspace.state import read_states

    engine: Engine = open_engine(ws.url)
    try:
        load_id = engine.describe(ws.config.mapping).load_id
        states = read_states(StateDb(engine))
    finally:
        engine.close()
    rows = [{"name": s.name, "kind": s.kind, "count": s.count, "window": s.window,
             "refreshed_at": s.refreshed_at.isoformat(), "stale": s.stale_data(load_id)}
            for s in states.values()]
    # SYSTEM segments exist before their first refresh: list them, not yet counted.
    rows += [{"name": d.name, "kind": d.kind, "count": None, "window": None,
              "refreshed_at": None, "stale": False}
             for d in system_definitions() if d.name not in states]
    return sorted(rows, key=lambda r: (r["kind"] != "SYSTEM", r["name"]))


def _print_list(rows: list[dict[str, Any]]) -> None:
    width = max([len(r["name"]) for r in rows] + [4])
    click.echo(f"{'name':<{width}}  {'kind':<6}  {'count':>7}  refreshed at (UTC)")
    for r in rows:
        count = f"{r['count']:,}" if r["count"] is not None else "-"
        when = (datetime.fromisoformat(r["refreshed_at"]).astimezone(UTC)
                .strftime("%Y-%m-%d %H:%M:%S") if r["refreshed_at"] else "never")
        stale = "  (stale: the data was loaded again; run `segdsl refresh`)" \
            if r["stale"] else ""
        click.echo(f"{r['name']:<{width}}  {r['kind']:<6}  {count:>7}  {when}{stale}")


@click.command(name="list")
@workspace_option
@format_option
def list_(ws_dir: str | None, fmt: str) -> None:
    """List the segments: name, kind, count, refreshed at."""
    rows = _list_rows(_open(ws_dir))
    if fmt == "json":
        echo_json({"segments": rows})
    else:
        _print_list(rows)


# --- refresh -------------------------------------------------------------------------------

@click.command(name="refresh")
@click.argument("names", nargs=-1, metavar="[NAME ...]")
@click.option("--all", "all_", is_flag=True, help="Refresh every segment, CUSTOM ones too.")
@click.option("--watch", is_flag=True,
              help="Keep the SYSTEM segments fresh at the workspace's interval until stopped "
              "(Ctrl-C or SIGTERM).")
@workspace_option
@format_option
def refresh_(names: tuple[str, ...], all_: bool, watch: bool, ws_dir: str | None,
             fmt: str) -> None:
    """Refresh segments: SYSTEM ones older than the interval, CUSTOM ones when named or with
    --all, and any whose definition changed. Reports who entered and left."""
    ws = _open(ws_dir)
    if watch:
        if names or all_:
            raise UsageError("--watch keeps the SYSTEM segments fresh; it takes no names or --all")
        _watch(ws, fmt)
        return
    report = _refresh_with_bar(ws, names, all_)
    if fmt == "json":
        echo_json(report.to_json())
    else:
        _print_report(report)
    _report_problems(report.problems, report.refused)
    if report.problems:
        raise click.exceptions.Exit(EXIT_REFUSED)


def _report_problems(problems: list[SegmentError], refused: list[str]) -> None:
    """The diagnostics of the workspace's files with errors, on stderr."""
    for problem in problems:
        click.echo(problem.render(), err=True)
    if refused:
        click.echo(f"refused (left as they were): {', '.join(refused)}", err=True)


def _watch(ws: Workspace, fmt: str) -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()  # the refresh under way (if any) finishes; the loop then ends

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}

    def on_report(report: RefreshReport) -> None:
        _report_problems(report.problems, report.refused)
        if fmt == "json":
            click.echo(__import__("json").dumps(report.to_json(), default=str), nl=True)
        else:
            if report.refreshed:
                _print_report(report)
            due = report.next_due.isoformat() if report.next_due else "never"
            click.echo(f"watching: next SYSTEM refresh at {due}", err=True)
        sys.stdout.flush()

    def on_error(err: SegdslError) -> None:
        click.echo(f"error: {err} (retrying)", err=True)

    try:
        click.echo(f"watching {ws.root}: SYSTEM segments every {ws.interval}; stop with "
                   "Ctrl-C or SIGTERM", err=True)
        watch(ws, stop, on_report, on_error)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    click.echo("stopped", err=True)


# --- show ----------------------------------------------------------------------------------

@click.command()
@click.argument("name")
@workspace_option
@format_option
def show(name: str, ws_dir: str | None, fmt: str) -> None:
    """Show a segment: definition, window, count, refreshed at, SQL, who entered and left."""
    from segdsl.workspace.show import describe

    info = describe(_open(ws_dir), name)
    for origin in info["other_files_with_errors"]:
        click.echo(f"warning: {origin} has errors; its segments are left out (see `segdsl "
                   "refresh` or `segdsl check`)", err=True)
    if fmt == "json":
        echo_json(info)
        return
    click.secho(f"{info['title']} ({info['name']}, {info['kind']})", bold=True)
    click.echo(info["definition"])
    if info["refreshed_at"] is None:
        click.echo("not refreshed yet: run `segdsl refresh " + info["name"] + "`")
    else:
        click.echo(f"window: {info['window']}\ncount: {info['count']:,}"
                   f"{_stale_words(info['stale_because'], info['name'])}\n"
                   f"refreshed at: {info['refreshed_at']}")
        click.echo(f"entered last time ({len(info['entered']):,}): {_ids(info['entered'])}")
        click.echo(f"left last time ({len(info['left']):,}): {_ids(info['left'])}")
        click.echo("history: " + ", ".join(f"{h['refreshed_at'][:19]} {h['count']:,}"
                                          for h in info["history"][-5:]))
    click.echo("SQL:\n" + info["sql"])


_STALE = {"definition": "the definition changed since the last refresh",
          "data": "the data was loaded again since the last refresh"}


def _stale_words(because: list[str], name: str) -> str:
    """`` (stale: why; run segdsl refresh NAME)`` for a count that no longer holds, else ``""``."""
    if not because:
        return ""
    return f" (stale: {' and '.join(_STALE[b] for b in because)}; run `segdsl refresh {name}`)"


# --- export --------------------------------------------------------------------------------

@click.command()
@click.argument("name")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The file to write (FILE.csv or FILE.jsonl).")
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default=None,
              help="csv (default, or from the file name) or jsonl.")
@workspace_option
def export(name: str, output: str, fmt: str | None, ws_dir: str | None) -> None:
    """Export a segment's members, one row each: customer_id, name, email, phone,
    store_aov, customer_aov, orders, amount_spent, last_order_date, product_type."""
    from segdsl.workspace.export import export_segment, write_export

    path = Path(output)
    fmt = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson") else "csv")
    result = export_segment(_open(ws_dir), name)
    write_export(result, path, fmt)
    click.echo(f"wrote {len(result.records):,} members of {result.segment} to {path}", err=True)


# --- demo ----------------------------------------------------------------------------------

@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False))
def demo(folder: str | None) -> None:
    """The whole store in one go: a workspace with the real Online Retail example data, every
    segment refreshed, the list, and one segment exported to CSV."""
    from segdsl.workspace.export import export_segment, write_export

    root = Path(folder) if folder else Path(tempfile.mkdtemp(prefix="segdsl-demo-"))
    ws = _init(root, True, None)
    report = _refresh_with_bar(ws, (), False)
    click.echo(f"refreshed {len(report.refreshed)} segments with {report.windows} "
               f"quer{'y' if report.windows == 1 else 'ies'}\n")
    rows = _list_rows(ws)
    _print_list(rows)
    counted = [r for r in rows if r["kind"] == "SYSTEM" and r["count"]]
    if counted:
        chosen = max(counted, key=lambda r: r["count"])["name"]
        path = ws.root / "exports" / f"{chosen}.csv"
        path.parent.mkdir(exist_ok=True)
        result = export_segment(ws, chosen)
        write_export(result, path, "csv")
        click.echo(f"\nexported {len(result.records):,} members of {chosen} to {path}")
    click.echo(f"workspace: {ws.root} (try: segdsl list -w {ws.root})")
