"""`segdsl fmt`: rewrite .seg files in the canonical layout (segdsl/syntax/format.py)."""

from __future__ import annotations

import difflib
from pathlib import Path

import click

from segdsl.cli.common import EXIT_REFUSED, echo_json, format_option
from segdsl.errors import SegmentError, UsageError
from segdsl.syntax.format import format_document


def _files(paths: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            out += sorted(p for p in path.rglob("*.seg") if p.is_file())
        elif path.exists():
            out.append(path)
        else:
            raise UsageError(f"{name}: no such file or folder")
    return out


def _read(path: Path) -> str:
    try:
        # newline="" keeps \r\n as written: the formatter keeps the file's line ends.
        with path.open(encoding="utf-8-sig", newline="") as f:
            return f.read()
    except UnicodeDecodeError as err:
        raise UsageError(f"{path}: not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise UsageError(f"{path}: cannot read: {err.strerror}") from None


def register(cli: click.Group) -> None:
    @cli.command()
    @click.argument("paths", nargs=-1, required=True, type=click.Path())
    @click.option("--check", is_flag=True,
                  help="Change nothing; exit 1 if any file would be reformatted (listed).")
    @click.option("--diff", "show_diff", is_flag=True,
                  help="Change nothing; print what would change as a unified diff.")
    @format_option
    def fmt(paths: tuple[str, ...], check: bool, show_diff: bool, fmt: str) -> None:
        """Format .seg files in the canonical layout (folders: every *.seg inside).

        Rewrites the files in place unless --check or --diff is given. Exit 0 when done (or,
        with --check, when every file is already formatted), 1 when --check finds files to
        reformat, 2 when a file does not parse (it is left as it is).
        """
        files = _files(paths)
        report = []
        changed_any = failed = False
        for path in files:
            text = _read(path)
            result = format_document(text)
            changed = result.ok and result.text != text
            report.append({"path": str(path), "changed": changed, "ok": result.ok,
                           "diagnostics": [d.to_json() for d in result.diagnostics]})
            if not result.ok:
                failed = True
                if fmt != "json":
                    click.echo(SegmentError(result.diagnostics, text, str(path)).render(),
                               err=True)
                continue
            if not changed:
                continue
            changed_any = True
            if show_diff and fmt != "json":
                click.echo("".join(difflib.unified_diff(
                    text.splitlines(keepends=True), result.text.splitlines(keepends=True),
                    f"{path} (original)", f"{path} (formatted)")), nl=False)
            if check or show_diff:
                if fmt != "json" and not show_diff:
                    click.echo(f"would reformat {path}")
                continue
            path.write_text(result.text, encoding="utf-8", newline="")
            if fmt != "json":
                click.echo(f"reformatted {path}")
        if fmt == "json":
            echo_json({"ok": not failed, "changed": [r["path"] for r in report if r["changed"]],
                       "files": report})
        elif not failed:
            n = sum(1 for r in report if r["changed"])
            verb = "would be reformatted" if check or show_diff else "reformatted"
            click.echo(f"{n} of {len(files)} file(s) {verb}", err=True)
        if failed:
            raise click.exceptions.Exit(EXIT_REFUSED)
        if check and changed_any:
            raise click.exceptions.Exit(1)
