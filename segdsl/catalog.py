"""The field catalog: every field of the language, in one place.

Each :class:`Field` says what a field is called, its type, what it means (the text completion
and hover show), which tables it needs, and *how it is computed* (its :class:`Kind`). The
checker types conditions with it; each backend keeps one implementation per :class:`Kind`
(``backends/sql/fields.py``, ``backends/memory/fields.py``), and a test makes sure no kind is
missing anywhere. A new field of an existing kind is one entry here.

>>> FIELDS["aov"].type
<FieldType.MONEY: 'money'>
>>> lookup("ORDERS").name
'orders'
>>> suggest("ordrs")
'orders'
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class FieldType(enum.StrEnum):
    NUMBER = "number"
    MONEY = "money"
    DATE = "date"
    TEXT = "text"
    TEXT_SET = "text set"

    @property
    def ordered(self) -> bool:
        """Whether <, <=, >, >= and BETWEEN apply."""
        return self in (FieldType.NUMBER, FieldType.MONEY, FieldType.DATE)

    @property
    def textual(self) -> bool:
        return self in (FieldType.TEXT, FieldType.TEXT_SET)


class Kind(enum.StrEnum):
    """How a field's value is computed; every backend implements every kind."""

    CUSTOMER_TEXT = "customer_text"  # a text column of `customers`
    ORDER_COUNT = "order_count"
    AMOUNT_SPENT = "amount_spent"
    AOV = "aov"
    STORE_AOV = "store_aov"
    FIRST_ORDER_DATE = "first_order_date"
    LAST_ORDER_DATE = "last_order_date"
    DAYS_SINCE_LAST_ORDER = "days_since_last_order"
    ITEM_SET = "item_set"  # the set of a product attribute over the items of selected orders
    CUSTOM = "custom"  # a custom attribute: any extra column of `customers`
    RFM_SCORE = "rfm_score"  # a quintile-like rank among the customers who ordered


CORE_TABLES = ("customers", "orders")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    kind: Kind
    doc: str
    column: str | None = None  # the source column (customer text, custom attribute, item set)
    table: str | None = None  # for ITEM_SET: the table holding `column`
    needs: tuple[str, ...] = CORE_TABLES
    country: bool = False  # values compare as countries (ISO codes and names interchangeable)
    available: bool = True  # False: reserved name, refused by the checker for now

    @property
    def is_custom(self) -> bool:
        return self.kind is Kind.CUSTOM


def _f(name: str, type_: FieldType, kind: Kind, doc: str, **kw: object) -> Field:
    return Field(name, type_, kind, doc, **kw)  # type: ignore[arg-type]


_ENTRIES = [
    _f("orders", FieldType.NUMBER, Kind.ORDER_COUNT,
       "Number of distinct orders the customer placed in the window (0 when none)."),
    _f("amount_spent", FieldType.MONEY, Kind.AMOUNT_SPENT,
       "Sum of the totals of the customer's orders in the window (0 when none)."),
    _f("aov", FieldType.MONEY, Kind.AOV,
       "The customer's average order value in the window: amount_spent / orders, exactly "
       "(missing when the customer has no order)."),
    _f("store_aov", FieldType.MONEY, Kind.STORE_AOV,
       "The whole store's average order value in the window: all orders' totals / number of "
       "orders (the same for every customer)."),
    _f("first_order_date", FieldType.DATE, Kind.FIRST_ORDER_DATE,
       "Store-local date of the customer's first order in the window (missing when none)."),
    _f("last_order_date", FieldType.DATE, Kind.LAST_ORDER_DATE,
       "Store-local date of the customer's last order in the window (missing when none)."),
    _f("days_since_last_order", FieldType.NUMBER, Kind.DAYS_SINCE_LAST_ORDER,
       "Days from last_order_date to the as-of day (missing when no order)."),
    _f("product_type", FieldType.TEXT_SET, Kind.ITEM_SET,
       "The product types the customer bought in the window (a set; empty when none).",
       column="product_type", table="products", needs=(*CORE_TABLES, "order_items", "products")),
    _f("collection", FieldType.TEXT_SET, Kind.ITEM_SET,
       "The collections of the products the customer bought in the window (a set).",
       column="collection", table="product_collections",
       needs=(*CORE_TABLES, "order_items", "product_collections")),
    _f("country", FieldType.TEXT, Kind.CUSTOMER_TEXT,
       "The customer's country; ISO codes (GB, GBR) and English names are interchangeable.",
       column="country", country=True),
    _f("name", FieldType.TEXT, Kind.CUSTOMER_TEXT, "The customer's name.", column="name"),
    _f("email", FieldType.TEXT, Kind.CUSTOMER_TEXT, "The customer's email address.",
       column="email"),
    _f("phone", FieldType.TEXT, Kind.CUSTOMER_TEXT, "The customer's phone number, as text.",
       column="phone"),
    # RFM scores rank the customers who ordered in the window against each other (see
    # docs/rfm.md); `column` names the value ranked.
    _f("recency_score", FieldType.NUMBER, Kind.RFM_SCORE,
       "RFM recency score, 1 to 5, among the customers with an order in the window: "
       "1 + floor(5 * w / n), w = how many of the n last ordered earlier (5 = most recent; "
       "missing when no order).", column="recency"),
    _f("frequency_score", FieldType.NUMBER, Kind.RFM_SCORE,
       "RFM frequency score, 1 to 5, among the customers with an order in the window: "
       "1 + floor(5 * w / n), w = how many of the n placed fewer orders (5 = most orders; "
       "missing when no order).", column="frequency"),
    _f("monetary_score", FieldType.NUMBER, Kind.RFM_SCORE,
       "RFM monetary score, 1 to 5, among the customers with an order in the window: "
       "1 + floor(5 * w / n), w = how many of the n spent less (5 = spent the most; "
       "missing when no order).", column="monetary"),
]

FIELDS: Mapping[str, Field] = {f.name: f for f in _ENTRIES}

# Columns of `customers` that are not custom attributes.
STANDARD_CUSTOMER_COLUMNS = ("customer_id", "name", "email", "phone", "country")


def lookup(name: str) -> Field | None:
    """The built-in field called ``name`` (any case), or None."""
    return FIELDS.get(name.lower())


def custom_field(column: str, type_: FieldType) -> Field:
    """The field for custom attribute ``column`` (an extra column of ``customers``)."""
    return Field(f"custom.{column}", type_, Kind.CUSTOM,
                 f"Custom attribute `{column}` from the customers table ({type_}).",
                 column=column)


def suggest(name: str, extra: list[str] | None = None) -> str | None:
    """The closest known field name to a misspelt one, if any is close."""
    names = [n for n, f in FIELDS.items() if f.available] + (extra or [])
    found = difflib.get_close_matches(name.lower(), names, n=1, cutoff=0.6)
    return found[0] if found else None


@dataclass(frozen=True)
class StoreSchema:
    """What a store has: its tables and its custom attributes with their types.

    The checker uses it to judge ``custom.X`` and to refuse fields whose tables are absent.
    """

    tables: frozenset[str] = frozenset(CORE_TABLES)
    custom: Mapping[str, FieldType] = field(default_factory=dict)

    def custom_lookup(self, name: str) -> Field | None:
        """Custom attribute by name; names match without regard to case."""
        if name in self.custom:
            return custom_field(name, self.custom[name])
        folded = [c for c in self.custom if c.lower() == name.lower()]
        if len(folded) == 1:
            return custom_field(folded[0], self.custom[folded[0]])
        return None

    def missing_tables(self, f: Field) -> list[str]:
        return [t for t in f.needs if t not in self.tables]
