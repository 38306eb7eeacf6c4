"""The segment store: a workspace folder (``segdsl.toml`` + ``segments/``) whose database holds
the data and, in ``segdsl_*`` tables, every segment's members, counts and history.

- :mod:`~segdsl.workspace.definitions`: the SYSTEM and CUSTOM segments and their hashes;
- :mod:`~segdsl.workspace.db`: connection, locking, transactions;
- :mod:`~segdsl.workspace.state`: the state tables;
- :mod:`~segdsl.workspace.refresh`: which segments are due, and refreshing them;
- :mod:`~segdsl.workspace.export`: members with their fields as CSV or JSON Lines;
- :mod:`~segdsl.workspace.example`: the Online Retail example data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from segdsl.config import CONFIG_NAME, Config, load_config
from segdsl.context import RunContext
from segdsl.errors import UsageError

DEFAULT_DB = "duckdb:///segdsl.duckdb"
DEFAULT_SEGMENTS = "segments"


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config

    @property
    def url(self) -> str:
        assert self.config.db is not None
        return self.config.db

    @property
    def segments_dir(self) -> Path:
        return self.config.segments or self.root / DEFAULT_SEGMENTS

    @property
    def interval(self) -> timedelta:
        return self.config.refresh_interval

    @property
    def timezone(self) -> str:
        return self.config.timezone or "UTC"

    def context(self) -> RunContext:
        return RunContext.for_timezone(self.timezone, self.config.as_of)


def open_workspace(folder: Path | None = None) -> Workspace:
    """The workspace in ``folder``, or in the current folder or the nearest one above it."""
    candidates = [folder] if folder is not None else [Path.cwd(), *Path.cwd().parents]
    for candidate in candidates:
        config_path = candidate / CONFIG_NAME
        if config_path.is_file():
            config = load_config(config_path)
            if config.db is None:
                raise UsageError(f"{config_path}: a workspace keeps its segments in a database; "
                                 f"set db (for example db = \"{DEFAULT_DB}\")")
            return Workspace(candidate.resolve(), config)
    where = folder if folder is not None else Path.cwd()
    raise UsageError(f"{where}: no workspace here ({CONFIG_NAME} not found); create one with "
                     "`segdsl init`")


def config_text(*, timezone: str = "UTC", currency: str | None = None,
                as_of: date | None = None) -> str:
    lines = ["# A segdsl workspace: see docs/store.md for every setting.",
             f'db = "{DEFAULT_DB}"            # relative paths are relative to this folder',
             f'timezone = "{timezone}"',
             f'segments = "{DEFAULT_SEGMENTS}/"             # the CUSTOM .seg files',
             'refresh_interval = "12h"          # how old a SYSTEM segment may get']
    if currency:
        lines.append(f'currency = "{currency}"')
    lines.append(f'as_of = "{as_of.isoformat()}"              # a fixed day: historical data'
                 if as_of else '# as_of = "2024-01-31"          # default: today')
    return "\n".join(lines) + "\n"


def init_workspace(folder: Path, *, timezone: str = "UTC", currency: str | None = None,
                   as_of: date | None = None) -> Workspace:
    """Write ``segdsl.toml`` and ``segments/`` into ``folder``; refuses an existing one."""
    config_path = folder / CONFIG_NAME
    if config_path.exists():
        raise UsageError(f"{config_path} already exists: {folder} is a workspace already")
    try:
        (folder / DEFAULT_SEGMENTS).mkdir(parents=True, exist_ok=True)
        config_path.write_text(config_text(timezone=timezone, currency=currency, as_of=as_of),
                               encoding="utf-8")
    except OSError as err:
        raise UsageError(f"{folder}: cannot create a workspace: {err.strerror}") from None
    return open_workspace(folder)
