"""Names of the canonical tables and columns in a particular database.

A store whose tables are named differently (``order`` instead of ``orders``, ``created`` instead
of ``ordered_at``) maps them here; the SQL backend quotes every name, so reserved words work.

>>> m = TableMapping.from_config({"tables": {"orders": "order"},
...                               "columns": {"orders": {"ordered_at": "created"}}})
>>> m.table("orders"), m.column("orders", "ordered_at"), m.column("orders", "total")
('order', 'created', 'total')
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from segdsl.errors import UsageError

CANONICAL_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "customers": ("customer_id", "name", "email", "phone", "country"),
    "orders": ("order_id", "customer_id", "ordered_at", "total"),
    "order_items": ("order_id", "product_id", "quantity", "price"),
    "products": ("product_id", "title", "product_type"),
    "product_collections": ("product_id", "collection"),
}
META_TABLE = "segdsl_meta"


@dataclass(frozen=True)
class TableMapping:
    tables: Mapping[str, str] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    schema: str | None = None  # database schema / namespace holding the tables, if not default

    def table(self, canonical: str) -> str:
        return self.tables.get(canonical, canonical)

    def column(self, table: str, canonical: str) -> str:
        return self.columns.get(table, {}).get(canonical, canonical)

    @classmethod
    def from_config(cls, data: Mapping[str, Any]) -> TableMapping:
        tables = dict(data.get("tables", {}))
        columns = {t: dict(c) for t, c in data.get("columns", {}).items()}
        for t in list(tables) + list(columns):
            if t not in CANONICAL_COLUMNS:
                raise UsageError(f"the mapping names an unknown table `{t}`; the tables are "
                                 f"{', '.join(CANONICAL_COLUMNS)}")
        for t, cols in columns.items():
            for c in cols:
                if c not in CANONICAL_COLUMNS[t]:
                    raise UsageError(f"the mapping names an unknown column `{t}.{c}`; "
                                     f"{t} has {', '.join(CANONICAL_COLUMNS[t])}")
        return cls(tables, columns, data.get("schema"))


DEFAULT_MAPPING = TableMapping()
