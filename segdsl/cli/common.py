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
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from segdsl.check.checker import CheckResult, check_condition, check_file, check_window
from segdsl.check.dates import parse_iso_date
from segdsl.config import Config, load_config
from segdsl.errors import SegdslError, SegmentError, UsageError
from segdsl.runner import StoreSource
from segdsl.syntax import ast
from segdsl.syntax.parser import parse_window

F = TypeVar("F", bound=Callable[..., Any])
EXIT_REFUSED = 2


class SegdslGroup(click.Group):
    """Turns segdsl's errors into messages on stderr and exit codes, never tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SegmentError as err:
            click.echo(err.render(), err=True)
            ctx.exit(EXIT_REFUSED)
        except SegdslError as err:
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
            click.echo(f"internal error: {type(err).__name__}: {err}\n"
                       "this is a bug in segdsl; run again with SEGDSL_DEBUG=1 for details",
                       err=True)
            ctx.exit(1)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def warn(message: str) -> None:
    click.echo(f"warning: {message}", err=True)


format_option = click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                             default="text", show_default=True,
                             help="json: machine-readable output on stdout only.")


def segment_input(f: F) -> F:
    """FILE or --expr, with --segment to pick one segment of a file."""
    f = click.option("--segment", "segment_name", metavar="NAME",
                     help="Only this segment of the file.")(f)
    f = click.option("--expr", "-e", metavar="EXPR",
                     help='A condition, e.g. \'orders >= 3 AND aov > 50\'.')(f)
    return click.argument("file", required=False, type=click.Path(dir_okay=False))(f)


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
    f = click.option("--engine", type=click.Choice(["memory", "duckdb", "sqlite"],
                     case_sensitive=False), help="Where to run a --data store "
                     "(default duckdb).")(f)
    f = click.option("--db", metavar="URL", help="A database: duckdb:///path, sqlite:///path, "
                     "postgresql://user@host/db, mysql://user@host/db, spark:///folder.")(f)
    return click.option("--data", type=click.Path(file_okay=False),
                        help="A folder of customers.csv, orders.csv, ... (or .parquet).")(f)


@dataclass
class SegmentText:
    source: str
    origin: str
    is_file: bool


def read_segment_text(file: str | None, expr: str | None) -> SegmentText:
    if file and expr:
        raise UsageError("give either FILE or --expr, not both")
    if expr is not None:
        return SegmentText(expr, "<expr>", False)
    if not file:
        raise UsageError("give a .seg FILE or --expr EXPR")
    path = Path(file)
    try:
        # utf-8-sig: editors on Windows save a byte-order mark that is not part of the text.
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except UnicodeDecodeError as err:
        raise UsageError(f"{file}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UsageError(f"{file}: cannot read: {err.strerror}") from None
    return SegmentText(text, file, True)


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


def check_text(text: SegmentText, schema: Any, window: ast.Window | None,
               segment_name: str | None) -> CheckResult:
    """Check FILE or --expr; a CLI window overrides each segment's own. ``IN SEGMENT`` can name
    the built-in SYSTEM segments (and, in a file, the file's own)."""
    from segdsl.check.library import SegmentLibrary
    from segdsl.system import system_segments

    library = SegmentLibrary(system_segments())
    if text.is_file:
        result = check_file(text.source, schema=schema, origin=text.origin, library=library)
        if window is not None and result.ok:
            win = check_window(window, "", "--from/--to")
            result.segments = [replace(s, window=win) for s in result.segments]
    else:
        if segment_name:
            raise UsageError("--segment picks a segment of a FILE; it has no meaning with --expr")
        result = check_condition(text.source, schema=schema, window=window, origin=text.origin,
                                 library=library)
    if segment_name and result.ok:
        chosen = [s for s in result.segments if s.name.lower() == segment_name.lower()]
        if not chosen:
            names = ", ".join(s.name for s in result.segments) or "none"
            raise UsageError(f"{text.origin} has no segment named {segment_name!r} "
                             f"(it has: {names})")
        result.segments = chosen
    return result


def report_warnings(result: CheckResult) -> None:
    for d in result.warnings:
        click.echo(d.render(result.source, result.origin), err=True)


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
