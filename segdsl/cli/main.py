"""The `segdsl` command: check, compile, run, load, import, fields, fmt."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from segdsl import __version__
from segdsl.catalog import FIELDS
from segdsl.cli.common import (
    EXIT_REFUSED,
    SegdslGroup,
    cli_window,
    config_from,
    echo_json,
    format_option,
    parse_as_of,
    segment_input,
    store_options,
    store_source,
    warn,
    window_options,
)
from segdsl.cli.fmt import register as register_fmt_command
from segdsl.cli.inputs import Checked, SegmentInput, check_input, config_for, read_input
from segdsl.cli.workspace import register as register_workspace_commands
from segdsl.context import RunContext
from segdsl.errors import UsageError
from segdsl.runner import SegmentResult, open_session

if TYPE_CHECKING:
    from segdsl.engines import Engine

SQL_DIALECTS = ("duckdb", "sqlite", "postgres", "mysql", "bigquery", "snowflake", "spark",
                "trino", "redshift", "tsql", "clickhouse")


@click.group(cls=SegdslGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="segdsl")
def cli() -> None:
    """segdsl: define customer segments in a small language, check them, compile them to SQL
    or run them on a store's data.

    \b
    Quick start:
      segdsl run examples/segments.seg --data examples/online-retail --as-of 2011-12-09
      segdsl check my.seg
      segdsl compile --expr 'orders >= 3 AND aov > 50' --dialect postgres
    """


# --- check ---------------------------------------------------------------------------------

@cli.command()
@segment_input
@store_options
@format_option
def check(file: str | None, expr: str | None, segment_name: str | None, data: str | None,
          db: str | None, engine: str | None, config_path: str | None, fmt: str) -> None:
    """Check segments for errors and warnings.

    Without a store only the language is checked; with --data/--db (or a segdsl.toml) custom
    attributes and the tables each field needs are checked too. Exit 0 when there are no
    errors (warnings allowed), 2 when there are.
    """
    text = read_input(file, expr)
    schema = _schema_if_given(data, db, engine, config_for(config_path, file))
    result = check_input(text, schema, None, segment_name)
    if fmt == "json":
        echo_json({"ok": result.ok, "origin": text.origin,
                   "segments": [s.name for s in result.segments],
                   "diagnostics": [{**d.to_json(), "file": r.origin}
                                   for r, d in result.diagnostics()]})
    else:
        for line in result.render():
            click.echo(line, err=True)
        if result.ok:
            n = len(result.segments)
            what = f"{n} segment{'s' if n != 1 else ''}" if text.is_file else "the condition"
            files = f" in {len(text.files)} files" if len(text.files) > 1 else ""
            click.echo(f"ok: {what}{files} checked, {len(result.warnings())} warning(s)")
    if not result.ok:
        raise click.exceptions.Exit(EXIT_REFUSED)


def _schema_if_given(data: str | None, db: str | None, engine: str | None,
                     config: Any) -> Any:
    if data is None and db is None and config.data is None and config.db is None:
        return None
    source = store_source(data, db, engine or "memory", None, config)
    if source.db:
        source.engine = None
    with open_session(source) as session:
        return session.schema


# --- compile -------------------------------------------------------------------------------

@cli.command(name="compile")
@segment_input
@click.option("--dialect", "-d", type=click.Choice(SQL_DIALECTS, case_sensitive=False),
              default="duckdb", show_default=True, help="SQL dialect to write.")
@window_options
@click.option("--money-scale", type=click.IntRange(0, 12), default=2, show_default=True,
              help="Decimals of the store's money (totals are compared exactly at this scale).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="segdsl.toml with a table/column mapping.")
@format_option
def compile_(file: str | None, expr: str | None, segment_name: str | None, dialect: str,
             from_: str | None, to_: str | None, as_of: str | None, timezone: str | None,
             money_scale: int, config_path: str | None, fmt: str) -> None:
    """Print the SQL that selects a segment's customers, for a dialect.

    Relative dates are resolved against --as-of (default today), so the SQL is for that day.
    """
    from segdsl.backends.sql import to_sql

    config = config_for(config_path, file)
    text = read_input(file, expr)
    result = _checked(text, cli_window(from_, to_), segment_name)
    ctx = RunContext.for_timezone(timezone or config.timezone or "UTC",
                                  parse_as_of(as_of) or config.as_of)
    out = []
    for seg in result.segments:
        sql = to_sql(seg, ctx, dialect=dialect.lower(), mapping=config.mapping,
                     money_scale=money_scale, pretty=True)
        out.append({"segment": seg.name, "dialect": dialect.lower(), "sql": sql})
    if fmt == "json":
        echo_json(out[0] if not text.is_file or segment_name else {"segments": out})
        return
    for item in out:
        if text.is_file:
            click.echo(f"-- segment {item['segment']}")
        click.echo(item["sql"] + ";")


def _checked(text: SegmentInput, window: Any, segment_name: str | None, schema: Any = None
             ) -> Checked:
    result = check_input(text, schema, window, segment_name)
    if not result.ok:
        raise result.error()
    for line in result.render(only_warnings=True):
        click.echo(line, err=True)
    if not result.segments:
        raise UsageError(f"{text.origin} holds no segment")
    return result


# --- run -----------------------------------------------------------------------------------

@cli.command()
@segment_input
@store_options
@window_options
@format_option
@click.option("--show-sql", is_flag=True, help="Also print the SQL that ran (SQL engines).")
def run(file: str | None, expr: str | None, segment_name: str | None, data: str | None,
        db: str | None, engine: str | None, config_path: str | None, from_: str | None,
        to_: str | None, as_of: str | None, timezone: str | None, fmt: str,
        show_sql: bool) -> None:
    """Select the customers of segments on a store's data.

    \b
    The store is a folder (--data, run in memory, in DuckDB, SQLite, ClickHouse or Spark
    with --engine) or a database (--db URL). Prints each segment's count and customer ids;
    --format json prints {"count": N, "customer_ids": [...], ...}, for a file
    {"segments": [...]}.
    """
    config = config_for(config_path, file)
    text = read_input(file, expr)
    window = cli_window(from_, to_)
    # A workspace's as_of (historical data) is its day unless --as-of says otherwise.
    as_of_day = parse_as_of(as_of) or config.as_of
    with open_session(store_source(data, db, engine, timezone, config)) as session:
        for message in session.warnings:
            warn(message)
        result = _checked(text, window, segment_name, session.schema)
        ctx = RunContext.for_timezone(session.timezone, as_of_day)
        results = [session.run(seg, ctx) for seg in result.segments]
        sqls = [session.sql(seg, ctx) for seg in result.segments] if show_sql else []
        if show_sql and session.sql(result.segments[0], ctx) is None:
            warn("--show-sql: the memory engine runs no SQL; use --engine duckdb or sqlite, "
                 "or `segdsl compile`")
        engine_name = session.engine_name
        store_warnings = list(session.warnings)
    if fmt == "json":
        items = [_result_json(r, engine_name) for r in results]
        for item, sql in zip(items, sqls, strict=False):
            item["sql"] = sql
        if not text.is_file or segment_name:
            echo_json({**items[0], "warnings": store_warnings})
        else:
            echo_json({"segments": items, "warnings": store_warnings})
        return
    for i, r in enumerate(results):
        _print_result(r, engine_name, text.is_file)
        if sqls and sqls[i]:
            click.echo(textwrap.indent(str(sqls[i]), "    "))


def _result_json(r: SegmentResult, engine: str) -> dict[str, Any]:
    return {"segment": r.segment.name, "title": r.segment.title, "count": r.count,
            "customer_ids": r.customer_ids, "as_of": r.context.as_of.isoformat(),
            "timezone": r.context.timezone,
            "window": {"from": r.window[0], "to": r.window[1]}, "engine": engine}


def _print_result(r: SegmentResult, engine: str, named: bool) -> None:
    title = f"{r.segment.title} ({r.segment.name})" if named else "Customers"
    noun = "customer" if r.count == 1 else "customers"
    click.secho(f"{title}: {r.count:,} {noun}", bold=True)
    orders = f"orders {r.window[0]} to {r.window[1]}" if r.window[0] else \
        f"orders up to {r.window[1]}"
    click.echo(f"  {orders} · as of {r.context.as_of} ({r.context.timezone}) · engine {engine}")
    if r.customer_ids:
        width = shutil.get_terminal_size((100, 20)).columns
        click.echo(textwrap.fill("  ".join(r.customer_ids), width=max(40, width - 2),
                                 initial_indent="  ", subsequent_indent="  "))


# --- load and import -----------------------------------------------------------------------

@cli.command()
@click.option("--data", required=True, type=click.Path(file_okay=False),
              help="Folder of customers.csv, orders.csv, ... (or .parquet).")
@click.option("--db", required=True, metavar="URL", help="Database to load into.")
@click.option("--replace", is_flag=True,
              help="Drop the store's tables in the database first (all five, and the meta).")
@click.option("--timezone", metavar="TZ",
              help="Store time zone used to convert timestamps with an offset (default UTC).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="segdsl.toml (declared custom attribute types, time zone).")
def load(data: str, db: str, replace: bool, timezone: str | None,
         config_path: str | None) -> None:
    """Load a folder of store files into a database (checked as they are read)."""
    from segdsl.store.reader import read_folder

    config = config_from(config_path)
    store = read_folder(data, timezone=timezone or config.timezone or "UTC",
                        custom_types=config.custom_types)
    for message in store.warnings:
        warn(message)
    engine = connect_to_keep(db)
    try:
        engine.load(store, replace=replace)
    finally:
        engine.close()
    click.echo(f"loaded {len(store.customers):,} customers and {len(store.orders):,} orders "
               f"into {engine.dialect}", err=True)


def connect_to_keep(db: str) -> Engine:
    """The database ``load`` and ``import`` write to, refused when it would forget the store
    as soon as the command ends."""
    from segdsl.engines import connect, in_memory
    from segdsl.engines.urls import engine_option

    engine = connect(db)
    reason = engine.forgets_at_exit()
    if reason is not None:
        engine.close()
        hint = (f"; to run a folder of files there, use `segdsl run --data DIR --engine "
                f"{engine_option(db)}`" if in_memory(db) else "")
        raise UsageError(f"{reason}{hint}")
    return engine


@cli.command(name="import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False),
              help="Write the canonical CSV files to this folder.")
@click.option("--db", metavar="URL", help="Or load the imported store into this database.")
@click.option("--preset", default="online-retail", show_default=True,
              help="Column names of a known export format.")
@click.option("--map", "maps", multiple=True, metavar="FIELD=COLUMN",
              help="Override one column of the preset, e.g. --map customer_id=Customer.")
@click.option("--product-types", type=click.Path(dir_okay=False, exists=True),
              help="A CSV of product_id,product_type to use instead of deriving types.")
@click.option("--timezone", metavar="TZ", default="UTC", show_default=True,
              help="Store time zone.")
@click.option("--replace", is_flag=True, help="With --db: replace the store's tables.")
@format_option
def import_(file: str, out_dir: str | None, db: str | None, preset: str, maps: tuple[str, ...],
            product_types: str | None, timezone: str, replace: bool, fmt: str) -> None:
    """Import a line-item order export (one row per order line) as a store.

    Cancellations, guest orders and non-product lines are handled as docs/data.md says, and
    counted in the report.
    """
    from segdsl.store import importer

    if not out_dir and not db:
        raise UsageError("give --out DIR (canonical CSV files) or --db URL, or both")
    mapping = importer.mapping_with_overrides(preset, maps)
    result = importer.import_line_items(Path(file), mapping, timezone=timezone,
                                        product_types=Path(product_types) if product_types
                                        else None)
    if out_dir:
        from segdsl.store.writer import write_folder

        write_folder(result.store, Path(out_dir))
    if db:
        engine = connect_to_keep(db)
        try:
            engine.load(result.store, replace=replace)
        finally:
            engine.close()
    if fmt == "json":
        echo_json(result.report.to_json())
    else:
        click.echo(result.report.summary())


# --- fields --------------------------------------------------------------------------------

@cli.command()
@format_option
def fields(fmt: str) -> None:
    """List the fields of the language with their types and meaning."""
    rows = [f for f in FIELDS.values() if f.available]
    if fmt == "json":
        echo_json([{"name": f.name, "type": str(f.type), "doc": f.doc,
                    "needs": list(f.needs)} for f in rows])
        return
    width = max(len(f.name) for f in rows)
    for f in rows:
        click.echo(f"{f.name:<{width}}  {str(f.type):<9} {f.doc}")
    click.echo(f"{'custom.<column>':<{width}}  {'any':<9} A custom attribute: any extra column "
               "of customers (number, date or text).")


# --- lsp -----------------------------------------------------------------------------------

@cli.command()
@click.option("--tcp", "tcp", metavar="HOST:PORT", default=None,
              help="Listen on a TCP address instead of stdio.")
def lsp(tcp: str | None) -> None:
    """Run the language server (stdio unless --tcp HOST:PORT is given)."""
    address: tuple[str, int] | None = None
    if tcp is not None:
        host, sep, port = tcp.rpartition(":")
        if not sep or not host or not port.isdigit():
            raise click.BadParameter("expected HOST:PORT, such as 127.0.0.1:2087",
                                     param_hint="--tcp")
        address = (host, int(port))
    from segdsl_lsp.server import serve

    serve(address)


register_workspace_commands(cli)
register_fmt_command(cli)


def main() -> None:
    cli(prog_name="segdsl")
