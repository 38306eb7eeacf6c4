"""The canonical tables of a :class:`~segdsl.store.model.Store`, as columns ready to load.

Column types are *logical* (:class:`Col`); each engine maps them to its own SQL types.
"""

from __future__ import annotations

import enum
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from segdsl.catalog import FieldType
from segdsl.store.mapping import META_TABLE
from segdsl.store.model import Store

CANONICAL_TABLES = ("customers", "orders", "order_items", "products", "product_collections")
ALL_TABLES = (*CANONICAL_TABLES, META_TABLE)


class Col(enum.Enum):
    ID = "id"  # text identifiers: joined on, so they must compare exactly
    TEXT = "text"
    TIMESTAMP = "timestamp"
    MONEY = "money"  # DECIMAL(38, money_scale)
    DOUBLE = "double"
    DATE = "date"


def arrow_type(col: Col, money_scale: int) -> pa.DataType:
    """The Arrow type engines that bulk load through Arrow (DuckDB, ClickHouse) give ``col``."""
    return {Col.ID: pa.string(), Col.TEXT: pa.string(), Col.TIMESTAMP: pa.timestamp("s"),
            Col.MONEY: pa.decimal128(38, money_scale), Col.DOUBLE: pa.float64(),
            Col.DATE: pa.date32()}[col]


_CUSTOM = {FieldType.NUMBER: Col.DOUBLE, FieldType.DATE: Col.DATE, FieldType.TEXT: Col.TEXT}


@dataclass
class Table:
    name: str
    columns: list[tuple[str, Col]]
    data: list[list[Any]]  # one list per column
    indexes: tuple[str, ...] = ()  # columns to index

    @property
    def rows(self) -> list[tuple[Any, ...]]:
        return list(zip(*self.data, strict=True)) if self.data else []


def _custom_value(v: object, type_: FieldType) -> object:
    if v is None:
        return None
    if type_ is FieldType.NUMBER:
        assert isinstance(v, Decimal)
        return float(v)
    return v


def _decimals(values: list[Decimal | None]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def canonical_tables(store: Store) -> list[Table]:
    """customers, orders and whichever optional tables the store has, then the meta table."""
    c = store.customers
    customer_cols = [("customer_id", Col.ID), ("name", Col.TEXT), ("email", Col.TEXT),
                     ("phone", Col.TEXT), ("country", Col.TEXT)]
    customer_data: list[list[Any]] = [list(c.customer_id), list(c.name), list(c.email),
                                      list(c.phone), list(c.country)]
    for name, column in c.custom.items():
        customer_cols.append((name, _CUSTOM[column.type]))
        customer_data.append([_custom_value(v, column.type) for v in column.values])
    o = store.orders
    stamps: list[datetime] = o.ordered_at.astype("datetime64[s]").tolist()
    totals = [Decimal(int(m)).scaleb(-store.money_scale) for m in o.total_minor.tolist()]
    tables = [
        # Every join key is indexed: MySQL/MariaDB and SQLite run the set-field semi-joins
        # as lookups per row, which without these are full scans (minutes on real data).
        Table("customers", customer_cols, customer_data, indexes=("customer_id",)),
        Table("orders", [("order_id", Col.ID), ("customer_id", Col.ID),
                         ("ordered_at", Col.TIMESTAMP), ("total", Col.MONEY)],
              [list(o.order_id), list(o.customer_id), stamps, totals],
              indexes=("customer_id", "order_id")),
    ]
    if store.order_items is not None:
        i = store.order_items
        tables.append(Table("order_items", [("order_id", Col.ID), ("product_id", Col.ID),
                                            ("quantity", Col.DOUBLE), ("price", Col.DOUBLE)],
                            [list(i.order_id), list(i.product_id), _decimals(i.quantity),
                             _decimals(i.price)], indexes=("order_id", "product_id")))
    if store.products is not None:
        p = store.products
        tables.append(Table("products", [("product_id", Col.ID), ("title", Col.TEXT),
                                         ("product_type", Col.TEXT)],
                            [list(p.product_id), list(p.title), list(p.product_type)],
                            indexes=("product_id",)))
    if store.product_collections is not None:
        pc = store.product_collections
        tables.append(Table("product_collections", [("product_id", Col.ID),
                                                    ("collection", Col.TEXT)],
                            [list(pc.product_id), list(pc.collection)],
                            indexes=("product_id",)))
    meta = meta_rows(store)
    tables.append(Table(META_TABLE, [("key", Col.ID), ("value", Col.TEXT)],
                        [[k for k, _ in meta], [v for _, v in meta]]))
    return tables


def meta_rows(store: Store) -> list[tuple[str, str]]:
    """The meta table's rows. ``load_id`` is new at every load: state computed from the data
    (the segment store's) records it, so state from data loaded before is seen to be stale."""
    custom = {name: str(col.type) for name, col in store.customers.custom.items()}
    loaded_at = datetime.now(UTC).isoformat(timespec="seconds")
    return [("timezone", store.timezone), ("money_scale", str(store.money_scale)),
            ("custom_types", json.dumps(custom)), ("loaded_at", loaded_at),
            ("load_id", uuid.uuid4().hex)]


def field_type(db_type: str) -> FieldType:
    """A custom attribute's type from its database column type."""
    t = db_type.lower()
    if t == "date":
        return FieldType.DATE
    if any(w in t for w in ("int", "dec", "numeric", "real", "double", "float", "number")):
        return FieldType.NUMBER
    return FieldType.TEXT


def iso(v: date | datetime | None) -> str | None:
    """SQLite keeps dates and timestamps as ISO text ('YYYY-MM-DD HH:MM:SS')."""
    if v is None:
        return None
    return v.isoformat(sep=" ") if isinstance(v, datetime) else v.isoformat()
