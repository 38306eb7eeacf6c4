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

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from segdsl.catalog import FieldType
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


def _custom_types(raw: dict[str, Any], where: Path) -> dict[str, FieldType]:
    out: dict[str, FieldType] = {}
    for column, name in raw.items():
        if str(name).lower() not in _CUSTOM_TYPES:
            raise UsageError(f"{where}: custom_types.{column} = {name!r}; the types are "
                             "number, date and text")
        out[column] = _CUSTOM_TYPES[str(name).lower()]
    return out


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
    known = {"timezone", "currency", "data", "db", "mapping", "custom_types", "segments"}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise UsageError(f"{path}: unknown setting{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(unknown)}; known: {', '.join(sorted(known))}")
    data = raw.get("data")
    return Config(
        timezone=raw.get("timezone"),
        currency=raw.get("currency"),
        data=(base / data) if data else None,
        db=raw.get("db"),
        mapping=TableMapping.from_config(raw.get("mapping", {})),
        custom_types=_custom_types(raw.get("custom_types", {}), path),
        path=path,
    )
