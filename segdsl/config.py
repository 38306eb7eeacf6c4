"""``segdsl.toml``: where a store's data lives and how to read it.

>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "segdsl.toml"
>>> _ = p.write_text('timezone = "Europe/London"\\n[mapping.tables]\\norders = "order"\\n'
...                  '[custom_types]\\nzip = "text"\\n')
>>> cfg = load_config(p)
>>> cfg.timezone, cfg.mapping.table("orders"), cfg.custom_types["zip"].value
('Europe/London', 'order', 'text')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from segdsl.catalog import FieldType
from segdsl.engines.urls import in_memory
from segdsl.errors import UsageError
from segdsl.store.mapping import DEFAULT_MAPPING, TableMapping

CONFIG_NAME = "segdsl.toml"
_CUSTOM_TYPES = {"number": FieldType.NUMBER, "date": FieldType.DATE, "text": FieldType.TEXT}


@dataclass(frozen=True)
class Config:
    timezone: str | None = None  # None: the store's own (from the database), else UTC
    currency: str | None = None
    data: Path | None = None  # a folder of CSV/Parquet files
    db: str | None = None  # a database URL
    mapping: TableMapping = DEFAULT_MAPPING
    custom_types: dict[str, FieldType] = field(default_factory=dict)
    path: Path | None = None
    # The workspace settings (segdsl/workspace/): the CUSTOM .seg files, the day the store is
    # seen from (None: today) and how old a SYSTEM segment may get before a refresh redoes it.
    segments: Path | None = None
    as_of: date | None = None
    refresh_interval: timedelta = timedelta(hours=12)


_INTERVAL = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_interval(text: str, where: str) -> timedelta:
    """``"12h"``, ``"30m"``, ``"1d"``, ``"90s"``: a refresh interval.

    >>> parse_interval("12h", "x")
    datetime.timedelta(seconds=43200)
    """
    m = _INTERVAL.match(str(text))
    if not m or int(m.group(1)) == 0:
        raise UsageError(f"{where}: refresh_interval = {text!r}; write a positive number with "
                         "a unit: 90s, 30m, 12h, 1d")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def resolve_db_url(url: str, base: Path) -> str:
    """A file database's relative path (``duckdb:///store.duckdb``) is relative to the config
    file's folder, so a workspace works from any current folder.

    >>> resolve_db_url("duckdb:///segdsl.duckdb", Path("/ws"))
    'duckdb:////ws/segdsl.duckdb'
    >>> resolve_db_url("duckdb:////abs/x.duckdb", Path("/ws"))
    'duckdb:////abs/x.duckdb'
    >>> resolve_db_url("chdb:///store", Path("/ws"))
    'chdb:////ws/store'
    >>> resolve_db_url("spark:///:memory:?master=local[2]", Path("/ws"))
    'spark:///:memory:?master=local[2]'
    """
    for scheme in ("duckdb", "sqlite", "chdb", "spark"):
        prefix = f"{scheme}:///"
        rest = url[len(prefix):]
        if url.startswith(prefix) and rest not in ("", ":memory:") and not in_memory(url) \
                and not rest.startswith(("/", "?")):
            return f"{prefix}{(base / rest).resolve()}"
    return url


def _as_of(raw: object, where: Path) -> date | None:
    if raw is None or isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise UsageError(f"{where}: as_of = {raw!r}; expected a date YYYY-MM-DD") from None


def _custom_types(raw: dict[str, Any], where: Path) -> dict[str, FieldType]:
    out: dict[str, FieldType] = {}
    for column, name in raw.items():
        if str(name).lower() not in _CUSTOM_TYPES:
            raise UsageError(f"{where}: custom_types.{column} = {name!r}; the types are "
                             "number, date and text")
        out[column] = _CUSTOM_TYPES[str(name).lower()]
    return out


def _timezone(name: object, where: Path) -> str | None:
    """A valid IANA time zone name, judged when the config is read rather than at first use."""
    if name is None:
        return None
    from segdsl.store.reader import zone

    try:
        zone(str(name))
    except UsageError as err:
        raise UsageError(f"{where}: timezone: {err}") from None
    return str(name)


def load_config(path: Path | None = None) -> Config:
    """Read ``path``, or ``./segdsl.toml`` when it exists, or return the defaults."""
    if path is None:
        default = Path.cwd() / CONFIG_NAME
        if not default.is_file():
            return Config()
        path = default
    if not path.is_file():
        raise UsageError(f"{path}: no such config file")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"{path}: not valid TOML: {err}") from None
    base = path.parent
    known = {"timezone", "currency", "data", "db", "mapping", "custom_types", "segments",
             "as_of", "refresh_interval"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UsageError(f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
    data = raw.get("data")
    segments = raw.get("segments")
    interval = raw.get("refresh_interval")
    return Config(
        timezone=_timezone(raw.get("timezone"), path),
        currency=raw.get("currency"),
        data=(base / data) if data else None,
        db=resolve_db_url(raw["db"], base) if raw.get("db") else None,
        mapping=TableMapping.from_config(raw.get("mapping", {})),
        custom_types=_custom_types(raw.get("custom_types", {}), path),
        path=path,
        segments=(base / segments) if segments else None,
        as_of=_as_of(raw.get("as_of"), path),
        refresh_interval=(parse_interval(interval, str(path)) if interval is not None
                          else timedelta(hours=12)),
    )
