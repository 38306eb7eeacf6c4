"""The canonical store, held in memory: five tables, already validated and normalised.

Readers (``reader.py`` for CSV/Parquet folders, ``importer.py`` for line-item exports)
produce a :class:`Store`; the memory backend evaluates segments on it and the engines load
it into databases. Normalisation done once here, so that no backend redoes it:

- customer ids, order ids and product ids are text, exactly as written (``00001`` stays);
- ``ordered_at`` is a store-local wall-clock timestamp (a value written with an offset or
  ``Z`` was converted to the store's time zone when read); ``local_date`` is its date;
- money is an exact integer count of ``10 ** -money_scale`` units (``total_minor``);
- custom attributes carry their type (number, date or text) and typed values;
- empty cells are ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from segdsl.catalog import CORE_TABLES, FieldType, StoreSchema

CustomValue = Decimal | date | str | None


@dataclass
class CustomColumn:
    type: FieldType  # NUMBER, DATE or TEXT
    values: list[CustomValue]


@dataclass
class Customers:
    customer_id: list[str]
    name: list[str | None]
    email: list[str | None]
    phone: list[str | None]
    country: list[str | None]
    custom: dict[str, CustomColumn] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.customer_id)

    def text_column(self, column: str) -> list[str | None]:
        """One of name, email, phone, country."""
        values: list[str | None] = getattr(self, column)
        return values


@dataclass
class Orders:
    order_id: list[str]
    customer_id: list[str | None]  # may name no known customer: such orders are ignored
    ordered_at: npt.NDArray[np.datetime64]  # datetime64[s], store-local wall clock
    total_minor: npt.NDArray[np.int64]  # total * 10**money_scale, exact

    def __len__(self) -> int:
        return len(self.order_id)

    @property
    def local_date(self) -> npt.NDArray[np.datetime64]:
        return self.ordered_at.astype("datetime64[D]")


@dataclass
class OrderItems:
    order_id: list[str]
    product_id: list[str | None]
    quantity: list[Decimal | None]
    price: list[Decimal | None]


@dataclass
class Products:
    product_id: list[str]
    title: list[str | None]
    product_type: list[str | None]


@dataclass
class ProductCollections:
    product_id: list[str]
    collection: list[str | None]


@dataclass
class Store:
    customers: Customers
    orders: Orders
    order_items: OrderItems | None = None
    products: Products | None = None
    product_collections: ProductCollections | None = None
    timezone: str = "UTC"
    money_scale: int = 2
    source: str = "<memory>"
    warnings: list[str] = field(default_factory=list)
    # How many ordered_at values carried an offset (or Z) and were converted to `timezone`
    # when read. When there are none the store reads the same in any time zone.
    offset_timestamps: int = 0

    @property
    def tables(self) -> frozenset[str]:
        present = set(CORE_TABLES)
        for name in ("order_items", "products", "product_collections"):
            if getattr(self, name) is not None:
                present.add(name)
        return frozenset(present)

    def schema(self) -> StoreSchema:
        return StoreSchema(self.tables, {k: c.type for k, c in self.customers.custom.items()})

    def ignored_orders(self) -> int:
        """Orders whose customer is missing or not in ``customers``."""
        known = set(self.customers.customer_id)
        return sum(1 for c in self.orders.customer_id if c is None or c not in known)

    def money(self, minor: int) -> Decimal:
        """An exact amount from minor units."""
        return Decimal(minor).scaleb(-self.money_scale)
