"""What every command shares: error handling with meaningful exit codes, segment input, the
store options, and output helpers.

Exit codes: 0 success, 2 input refused (syntax, type or data errors, bad usage), 1 any other
failure. No error ends in a Python traceback (set SEGDSL_DEBUG=1 to see one).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from segdsl.check.checker import check_window
from segdsl.check.dates import parse_iso_date
from segdsl.config import Config, load_config
from segdsl.errors import DataError, EngineError, SegdslError, SegmentError, UsageError
from segdsl.runner import ENGINES, StoreSource
from segdsl.syntax import ast
from segdsl.syntax.parser import parse_window

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REFUSED = 2


class SegdslGroup(click.Group):
    """Turns segdsl's errors into messages on stderr and exit codes, never tracebacks; with
    ``--format json`` also into a JSON error document on stdout (:func:`error_document`)."""

    def invoke(self, ctx: click.Context) -> Any:
        # The command's own arguments, before its options are parsed: a bad option fails
        # before --format has been read into ctx.meta.
        # (Click 8.2 renamed protected_args, which now warns, to _protected_args.)
        protected = (ctx._protected_args if hasattr(ctx, "_protected_args")
                     else ctx.protected_args)
        raw = [*protected, *ctx.args]
        try:
            return super().invoke(ctx)
        except click.UsageError as err:
            if ctx.meta.get("segdsl.format") == "json" or _asks_for_json(raw):
                echo_json(error_document(UsageError(err.format_message())))
            raise
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SegmentError as err:
            _json_error(ctx, err)
            click.echo(err.render(), err=True)
            ctx.exit(EXIT_REFUSED)
        except SegdslError as err:
            _json_error(ctx, err)
            click.echo(f"error: {err}", err=True)
            ctx.exit(err.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            ctx.exit(1)
        except Exception as err:
            if os.environ.get("SEGDSL_DEBUG"):
                raise
            _json_error(ctx, err)
            click.echo(f"internal error: {type(err).__name__}: {err}\n"
                       "this is a bug in segdsl; run again with SEGDSL_DEBUG=1 for details",
                       err=True)
            ctx.exit(1)


def _asks_for_json(args: list[str]) -> bool:
    """``--format json`` or ``--format=json`` among a command's raw arguments."""
    pairs = zip(args, [*args[1:], ""], strict=True)
    return "--format=json" in args or any(a == "--format" and b == "json" for a, b in pairs)


def _json_error(ctx: click.Context, err: Exception) -> None:
    # ctx.meta is shared by the whole chain of contexts: the command's --format set it.
    if ctx.meta.get("segdsl.format") == "json":
        echo_json(error_document(err))


def error_document(err: Exception) -> dict[str, Any]:
    """``{"ok": false, "error": {"code", "message", "file", "line"}, "diagnostics": [...]}``;
    ``code`` is the first error's diagnostic code for segment text, else the kind of error
    (``usage``, ``data``, ``engine``, ``internal``); each diagnostic names its ``file``."""
    from segdsl.workspace.definitions import WorkspaceError

    file: str | None = None
    line: int | None = None
    diagnostics: list[dict[str, Any]] = []
    if isinstance(err, SegmentError):
        problems = err.problems if isinstance(err, WorkspaceError) else [err]
        diagnostics = [{**d.to_json(), "file": p.origin} for p in problems
                       for d in p.diagnostics]
        first = next((d for d in err.diagnostics if d.is_error), None)
        code = first.code if first else "segment"
        file = err.origin
        line = first.span.line if first and first.span else None
    elif isinstance(err, DataError):
        code, file, line = "data", err.where, err.row
    elif isinstance(err, UsageError):
        code = "usage"
    elif isinstance(err, EngineError):
        code = "engine"
    elif isinstance(err, SegdslError):
        code = "error"
    else:
        code = "internal"
    message = str(err) if isinstance(err, SegdslError) else f"{type(err).__name__}: {err}"
    return {"ok": False, "error": {"code": code, "message": message, "file": file,
                                   "line": line}, "diagnostics": diagnostics}


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


def _remember_format(ctx: click.Context, param: click.Parameter, value: str) -> str:
    ctx.meta["segdsl.format"] = value  # read by SegdslGroup when an error ends the command
    return value


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True, callback=_remember_format,
                             is_eager=True,
                             help="json: machine-readable output on stdout only; an error "
                             "is a JSON document too.")


def segment_input(f: F) -> F:
    """FILE (a .seg file or a folder of them) or --expr, with --segment to pick one segment."""
    f = click.option("--segment", "segment_name", metavar="NAME",
                     help="Only this segment of the file.")(f)
    f = click.option("--expr", "-e", metavar="EXPR",
                     help='A condition, e.g. \'orders >= 3 AND aov > 50\'.')(f)
    return click.argument("file", required=False, type=click.Path())(f)


def window_options(f: F) -> F:
    f = click.option("--timezone", metavar="TZ",
                     help="Store time zone (IANA name); default from the config or UTC.")(f)
    f = click.option("--as-of", "as_of", metavar="DATE",
                     help="The day the store is seen from (default: today in the store's "
                     "time zone).")(f)
    f = click.option("--to", "to_", metavar="DATE",
                     help="Window end (inclusive); overrides the segment's window.")(f)
    return click.option("--from", "from_", metavar="DATE",
                        help="Window start (inclusive): 2024-01-31 or relative: -30d, -3m, "
                        "today; overrides the segment's window.")(f)


def store_options(f: F) -> F:
    f = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                     help="segdsl.toml to read (default: ./segdsl.toml if present).")(f)
    f = click.option("--engine", type=click.Choice(list(ENGINES), case_sensitive=False),
                     help="Where to run a --data store (default duckdb; clickhouse: "
                     "in-process chDB; spark: a local Spark session).")(f)
    f = click.option("--db", metavar="URL", help="A database: duckdb:///path, sqlite:///path, "
                     "postgresql://user@host/db, mysql://user@host/db, chdb:///folder, "
                     "clickhouse://user@host:port/db, spark:///folder.")(f)
    return click.option("--data", type=click.Path(file_okay=False),
                        help="A folder of customers.csv, orders.csv, ... (or .parquet).")(f)


def cli_window(from_: str | None, to_: str | None) -> ast.Window | None:
    if from_ is None and to_ is None:
        return None
    text = ((f"from {from_} " if from_ else "") + (f"to {to_}" if to_ else "")).strip()
    try:
        window = parse_window(text, "--from/--to")
        check_window(window, text, "--from/--to")  # judged here, so errors name the options
    except SegmentError as err:
        raise UsageError(f"--from/--to: {err.diagnostics[0].message} (dates are YYYY-MM-DD or "
                         "relative: today, yesterday, -30d, -4w, -3m, -1y)") from None
    return window


def parse_as_of(value: str | None) -> date | None:
    if value is None:
        return None
    day = parse_iso_date(value.strip())
    if day is None:
        raise UsageError(f"--as-of {value!r}: expected a date YYYY-MM-DD")
    return day


def store_source(data: str | None, db: str | None, engine: str | None,
                 timezone: str | None, config: Config) -> StoreSource:
    if data is None and db is None:
        data_path, db = config.data, config.db
    else:
        data_path = Path(data) if data else None
    return StoreSource(data=data_path, db=db, engine=engine, timezone=timezone or config.timezone,
                       mapping=config.mapping, custom_types=dict(config.custom_types))


def config_from(path: str | None) -> Config:
    return load_config(Path(path) if path else None)


def stdout_is_terminal() -> bool:
    return sys.stdout.isatty()
